#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// y = x, dx = dy: a placeholder node (a skip branch, a layer switched off). Any shape; costs
/// nothing and leaves the receptive field unchanged.
class Identity : public Layer {
public:
    const char* type() const override { return "Identity"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return {}; }
    FieldRule fieldRule(const Shape&) const override { return FieldRule::same(); }
    void write(nlohmann::json&) const override {}
    Shape outputShape(const Shape& in) const override { return in; }
    bool takesSeed() const override { return false; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
