#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// Softmax over dimension 1 (classes of (N, K), channels of (N, C, H, W)): for every other
/// index, y_c = e^(x_c − m) / Σ_c' e^(x_c' − m) with m = max_c x_c, so logits of ±1e4 stay
/// finite. Input of rank 2 or more; the output has its shape.
/// Backward from the cached output: dx = y ⊙ (dy − Σ_c dy_c·y_c).
class Softmax : public Layer {
public:
    const char* type() const override { return "Softmax"; }
    static LayerKind kind();
    Shape outputShape(const Shape& in) const override;
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape&) const override;
    void write(nlohmann::json&) const override {}

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
