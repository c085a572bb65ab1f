#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise tanh(x). Any shape.
class Tanh : public Activation {
public:
    const char* type() const override { return "Tanh"; }
    static LayerKind kind();

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
