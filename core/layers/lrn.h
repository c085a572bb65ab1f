#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// Local response normalization across channels (Krizhevsky et al. 2012, §3.3; PyTorch's
/// nn.LocalResponseNorm, ONNX LRN). At every other index, with n = size:
///   y_c = x_c / d_c^β,   d_c = k + (α/n)·Σ_{c' ∈ W(c)} x_{c'}²,
/// W(c) = [c − before, c + after] clipped to the channels [0, C), before + after = n − 1; the sum
/// is divided by n even where the window is clipped (both PyTorch and ONNX do).
/// The window's alignment (Align):
///  - PyTorch (the default): before = ⌊n/2⌋, after = ⌊(n − 1)/2⌋ (F.local_response_norm pads
///    the squares by size//2 channels before and (size − 1)//2 after);
///  - Onnx: before = ⌊(n − 1)/2⌋, after = ⌈(n − 1)/2⌉ (the ONNX LRN operator's definition).
///  They agree for odd n and are mirror images for even n.
/// x (N, C, ...) of rank 2 or more ((N, C, H, W) or (N, C)) → y of the same shape. No parameters.
/// Needs n ≥ 1, α ≥ 0 and k > 0, so d_c ≥ k > 0 and y is finite wherever x is.
/// Backward (exact): dx_j = dy_j·d_j^(−β) − (2αβ/n)·x_j·Σ_{c : j ∈ W(c)} dy_c·x_c·d_c^(−β−1).
class LRN : public Layer {
public:
    enum class Align { PyTorch, Onnx };
    static constexpr float kDefaultAlpha = 1e-4f, kDefaultBeta = 0.75f, kDefaultK = 1.0f;

    /// Throws ModelError for n < 1 or > kMaxWindow, α < 0, k ≤ 0 or a non-finite value.
    explicit LRN(int size, float alpha = kDefaultAlpha, float beta = kDefaultBeta,
                 float k = kDefaultK, Align align = Align::PyTorch);

    const char* type() const override { return "LRN"; }
    static LayerKind kind();
    /// "size 5, α=0.0001, β=0.75, k=2"; ", onnx window" when that differs from PyTorch's.
    std::string describe() const override;
    Shape outputShape(const Shape& in) const override;
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    /// Writes "size", and "alpha", "beta", "k" unless they are the defaults, "window": "onnx"
    /// when the window is not PyTorch's (even n only: for odd n the two are the same).
    void write(nlohmann::json& j) const override;
    bool takesSeed() const override { return false; }

    int size() const { return m_size; }
    float alpha() const { return m_alpha; }
    float beta() const { return m_beta; }
    float k() const { return m_k; }
    /// Channels of the window before and after its own channel.
    int before() const { return m_before; }
    int after() const { return m_size - 1 - m_before; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    /// d_c for the C channels of one sample (xn: C·S values, channel c at c·S) into d (C·S).
    void divisors(const float* xn, std::int64_t C, std::int64_t S, float* d) const;

    int m_size, m_before;
    float m_alpha, m_beta, m_k;
    Tensor m_terms;  // like x, (N, C, ...): backward's scratch dy_c·x_c·d_c^(−β−1)
};

}  // namespace ll
