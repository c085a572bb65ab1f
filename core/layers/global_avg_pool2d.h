#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// Average over each whole map: x (N, C, H, W) → y (N, C, 1, 1) (ONNX GlobalAveragePool,
/// PyTorch AdaptiveAvgPool2d(1)). dx = dy / (H·W) everywhere.
class GlobalAvgPool2d : public Layer {
public:
    const char* type() const override { return "GlobalAvgPool2d"; }
    static LayerKind kind();
    Shape outputShape(const Shape& in) const override;
    bool takesSeed() const override { return false; }
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json&) const override {}

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
