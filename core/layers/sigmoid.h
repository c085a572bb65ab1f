#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise σ(x) = 1/(1+e^(−x)), computed without overflow for large |x|. Any shape.
class Sigmoid : public Activation {
public:
    const char* type() const override { return "Sigmoid"; }
    static LayerKind kind();

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
