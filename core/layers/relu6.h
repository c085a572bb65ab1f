#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise min(max(x, 0), 6) (MobileNet's ReLU6). The derivative is 1 on the open interval
/// (0, 6) and 0 elsewhere, the kinks 0 and 6 included (PyTorch). Any shape.
class ReLU6 : public Activation {
public:
    const char* type() const override { return "ReLU6"; }
    static LayerKind kind();

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
