#pragma once

#include "core/layer.h"

namespace ll {

/// (N, d1, d2, ...) → (N, d1·d2·…), row-major order preserved (PyTorch's flatten(1)).
class Flatten : public Layer {
public:
    const char* type() const override { return "Flatten"; }
    Shape outputShape(const Shape& in) const override;

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
