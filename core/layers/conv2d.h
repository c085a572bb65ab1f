#pragma once

#include "core/layer.h"
#include "core/layers/conv_kernels.h"
#include "core/layers/registry.h"
#include "core/layers/window.h"

namespace ll {

/// 2-D convolution: x (N, Cin, H, W) → y (N, Cout, Ho, Wo),
/// Ho = ⌊(H + p_top + p_bottom − (kh − 1)·dh − 1)/sh⌋ + 1 (likewise Wo).
/// W (Cout, Cin/groups, kh, kw), b (Cout), as in PyTorch: with groups > 1 the channels split into
/// groups and output channel o sees only the Cin/groups input channels of its group.
/// Computed as im2col + GEMM per sample (and group); a depthwise convolution (groups = Cin, Cout
/// a multiple of it) by its own direct kernels (depthwise_kernels.h).
class Conv2d : public Layer {
public:
    /// Throws ModelError for non-positive channels, a bad window, or groups that do not divide
    /// both channel counts.
    Conv2d(int inChannels, int outChannels, Window2d window, bool bias = true, int groups = 1);

    const char* type() const override { return "Conv2d"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    std::string describe() const override;
    Shape outputShape(const Shape& in) const override;
    std::vector<Param*> params() override;
    void resetParameters(Rng& rng) override;

    int inChannels() const { return m_cin; }
    int outChannels() const { return m_cout; }
    int groups() const { return m_groups; }
    /// groups = Cin > 1: the direct depthwise kernels compute it.
    bool isDepthwise() const;
    const Window2d& window() const { return m_win; }
    bool hasBias() const { return m_hasBias; }
    Param& weight() { return m_weight; }
    Param& bias() { return m_bias; }
    /// Inference (eval mode) with an epilogue applied to the output (conv_kernels.h): what
    /// forward followed by the epilogue's layers gives, bit for bit, without a pass over memory
    /// per layer.
    void forwardFused(const Tensor& x, Tensor& y, const ConvEpilogue& e);

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
    ConvGeometry geometry(const Shape& in) const;

    int m_cin, m_cout;
    Window2d m_win;
    bool m_hasBias;
    int m_groups;
    Param m_weight;  // (Cout, Cin/groups, kh, kw)
    Param m_bias;    // (Cout)
    ConvWorkspace m_ws;
};

}  // namespace ll
