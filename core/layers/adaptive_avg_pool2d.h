#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// Average pooling onto a fixed output grid (PyTorch's AdaptiveAvgPool2d): x (N, C, H, W) →
/// y (N, C, Ho, Wo) whatever H and W. Output row i averages input rows
/// [⌊i·H/Ho⌋, ⌈(i + 1)·H/Ho⌉), likewise columns: when Ho divides H the bins are the windows of an
/// AvgPool2d with kernel = stride = H/Ho; otherwise neighbouring bins may share a row, and an
/// output larger than the input repeats rows. dx spreads each dy over its bin.
class AdaptiveAvgPool2d : public Layer {
public:
    /// Throws ModelError unless both sizes are positive.
    AdaptiveAvgPool2d(int outH, int outW);

    const char* type() const override { return "AdaptiveAvgPool2d"; }
    static LayerKind kind();
    std::string describe() const override;
    Shape outputShape(const Shape& in) const override;
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    int outH() const { return m_outH; }
    int outW() const { return m_outW; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    int m_outH, m_outW;
};

}  // namespace ll
