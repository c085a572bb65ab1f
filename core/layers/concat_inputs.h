#pragma once

#include "core/layers/multi_input.h"
#include "core/layers/registry.h"

namespace ll {

/// Concatenation of two or more named inputs along channels (dim 1); they must agree on every
/// other dimension. Model files say {"type": "Concat", "inputs": [...]}; the older form with
/// "branches" is the Concat module (concat.h).
class ConcatInputs : public MultiInputLayer {
public:
    const char* type() const override { return "Concat"; }
    std::string describe() const override { return "along channels"; }
    int minInputs() const override { return 2; }
    int maxInputs() const override { return 1024; }
    LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return {}; }
    FieldRule fieldRule(const Shape&) const override { return FieldRule::same(); }
    void write(nlohmann::json&) const override {}

protected:
    Shape combinedShape(const std::vector<Shape>& in) const override;
    void forwardMultiImpl(const std::vector<const Tensor*>& xs, Tensor& y, Mode mode) override;
    void backwardMultiImpl(const std::vector<const Tensor*>& xs, const Tensor& y, const Tensor& dy,
                           const std::vector<Tensor*>& dxs) override;
};

}  // namespace ll
