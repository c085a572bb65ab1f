#pragma once

#include "core/layers/multi_input.h"
#include "core/layers/registry.h"

namespace ll {

/// y = x1 + x2 + ... + xn, inputs of equal shape (a residual block's join). dx_k = dy.
class Add : public MultiInputLayer {
public:
    const char* type() const override { return "Add"; }
    static LayerKind kind();
    int minInputs() const override { return 2; }
    int maxInputs() const override { return 64; }
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
