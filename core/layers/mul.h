#pragma once

#include "core/layers/multi_input.h"
#include "core/layers/registry.h"

namespace ll {

/// y = x ⊙ g: two inputs, x (N, C, H, W) and a gate g of the same shape or (N, C, 1, 1),
/// broadcast over H×W (squeeze-and-excitation, Hu et al. 2018). dx = dy ⊙ g;
/// dg = dy ⊙ x, summed over H×W when broadcast.
class Mul : public MultiInputLayer {
public:
    const char* type() const override { return "Mul"; }
    static LayerKind kind();
    int minInputs() const override { return 2; }
    int maxInputs() const override { return 2; }
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape&) const override { return FieldRule::same(); }
    void write(nlohmann::json&) const override {}

protected:
    Shape combinedShape(const std::vector<Shape>& in) const override;
    void forwardMultiImpl(const std::vector<const Tensor*>& xs, Tensor& y, Mode mode) override;
    void backwardMultiImpl(const std::vector<const Tensor*>& xs, const Tensor& y, const Tensor& dy,
                           const std::vector<Tensor*>& dxs) override;
};

}  // namespace ll
