#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise x · relu6(x + 3) / 6 (PyTorch's Hardswish; MobileNetV3). Derivative, as
/// PyTorch's hardswish_backward: 0 for x < −3, x/3 + 1/2 for −3 ≤ x ≤ 3, 1 for x > 3 — so at the
/// kinks it is the right-hand slope at −3 (−1/2) and the left-hand slope at 3 (3/2). Any shape.
class HardSwish : public Activation {
public:
    const char* type() const override { return "HardSwish"; }
    static LayerKind kind();

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
