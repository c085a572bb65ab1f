#pragma once

#include "core/layer.h"
#include "core/layers/conv_kernels.h"

namespace ll {

/// Hyper-parameters of a 2-D convolution or pooling window (non-square allowed).
/// The largest kernel, stride or padding a layer accepts (window arithmetic stays within int).
constexpr int kMaxWindow = 65535;

struct Window2d {
    int kh = 1, kw = 1;       // kernel height, width
    int sh = 1, sw = 1;       // stride
    int ph = 0, pw = 0;       // zero padding on each side
    std::string str() const;  // "k5×5, s1, p2"
};

/// 2-D convolution: x (N, Cin, H, W) → y (N, Cout, Ho, Wo), Ho = ⌊(H + 2ph − kh)/sh⌋ + 1.
/// W (Cout, Cin, kh, kw), b (Cout). Computed as im2col + GEMM per sample.
class Conv2d : public Layer {
public:
    Conv2d(int inChannels, int outChannels, Window2d window, bool bias = true);

    const char* type() const override { return "Conv2d"; }
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
