#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise max(0, x); the derivative at 0 is taken as 0 (PyTorch). Any shape.
class ReLU : public Activation {
public:
    const char* type() const override { return "ReLU"; }
    static LayerKind kind();

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
