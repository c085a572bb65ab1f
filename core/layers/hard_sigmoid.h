#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise relu6(x + 3) / 6 (PyTorch's Hardsigmoid; MobileNetV3). The derivative is 1/6 on
/// the open interval (−3, 3) and 0 elsewhere, the kinks ±3 included (PyTorch). Any shape.
class HardSigmoid : public Activation {
public:
    const char* type() const override { return "HardSigmoid"; }
    static LayerKind kind();

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
