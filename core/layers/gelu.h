#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise exact GELU, x · Φ(x) = 0.5 · x · (1 + erf(x/√2)) with Φ the standard normal CDF
/// (Hendrycks & Gimpel 2016; PyTorch's approximate="none", not the tanh approximation). Any
/// shape.
class GELU : public Activation {
public:
    const char* type() const override { return "GELU"; }
    static LayerKind kind();

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
