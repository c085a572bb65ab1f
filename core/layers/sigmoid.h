#pragma once

#include "core/layer.h"

namespace ll {

/// Element-wise σ(x) = 1/(1+e^(−x)), computed without overflow for large |x|. Any shape.
class Sigmoid : public Layer {
public:
    const char* type() const override { return "Sigmoid"; }
    Shape outputShape(const Shape& in) const override { return in; }
    bool isActivation() const override { return true; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
