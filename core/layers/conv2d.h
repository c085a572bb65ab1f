#pragma once

#include "core/layer.h"
#include "core/layers/conv_kernels.h"
#include "core/layers/registry.h"
#include "core/layers/window.h"

namespace ll {

/// 2-D convolution: x (N, Cin, H, W) → y (N, Cout, Ho, Wo), Ho = ⌊(H + 2ph − kh)/sh⌋ + 1.
/// W (Cout, Cin, kh, kw), b (Cout). Computed as im2col + GEMM per sample.
class Conv2d : public Layer {
public:
    Conv2d(int inChannels, int outChannels, Window2d window, bool bias = true);

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
    const Window2d& window() const { return m_win; }
    bool hasBias() const { return m_hasBias; }
    Param& weight() { return m_weight; }
    Param& bias() { return m_bias; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
    ConvGeometry geometry(const Shape& in) const;

    int m_cin, m_cout;
    Window2d m_win;
    bool m_hasBias;
    Param m_weight;  // (Cout, Cin, kh, kw)
    Param m_bias;    // (Cout)
    ConvWorkspace m_ws;
};

}  // namespace ll
