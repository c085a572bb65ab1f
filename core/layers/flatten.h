#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// (N, d1, d2, ...) → (N, d1·d2·…), row-major order preserved (PyTorch's flatten(1)).
class Flatten : public Layer {
public:
    const char* type() const override { return "Flatten"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    Shape outputShape(const Shape& in) const override;

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
