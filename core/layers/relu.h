#pragma once

#include "core/layer.h"

namespace ll {

/// Element-wise max(0, x); the derivative at 0 is taken as 0 (PyTorch). Any shape.
class ReLU : public Layer {
public:
    const char* type() const override { return "ReLU"; }
    Shape outputShape(const Shape& in) const override { return in; }
    bool isActivation() const override { return true; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
