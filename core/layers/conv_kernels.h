#pragma once
// Convolution kernels shared by Conv2d and SparseConv2d: im2col + one GEMM per batch sample (and
// per group of channels), samples spread over threads (OpenMP). The GEMMs run single-threaded
// inside the parallel loop. Depthwise convolutions have their own direct kernels
// (depthwise_kernels.h).

#include <cstdint>
#include <limits>
#include <vector>

#include "core/tensor.h"

namespace ll {

/// Sizes of one 2-D convolution (cross-correlation, as in every DL framework). With groups > 1
/// the C input and K output channels split into `groups` equal groups; output channel o sees only
/// the input channels of its group o / (K/groups) (PyTorch's `groups`).
struct ConvGeometry {
    int C = 0, H = 0, W = 0;    // input channels, height, width
    int K = 0, Ho = 0, Wo = 0;  // output channels, height, width
    int kh = 1, kw = 1, sh = 1, sw = 1;
    int ph = 0, pw = 0;  // padding at the top and the left
    int pb = 0, pr = 0;  // padding at the bottom and the right
    int dh = 1, dw = 1;  // dilation
    int groups = 1;

    int groupChannels() const { return C / groups; }  // input channels of one group
    int groupOutputs() const { return K / groups; }   // output channels of one group
    /// Rows of one group's column matrix: (C/groups)·kh·kw.
    int colRows() const { return groupChannels() * kh * kw; }
    int colCols() const { return Ho * Wo; }
    /// True when the column matrix equals the input (1×1 kernel, stride 1, no padding).
    bool isPointwise() const {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && pb == 0 && pr == 0;
    }
};

/// Output size of a sliding window along one axis:
///   floor((in + padBefore + padAfter − span) / stride) + 1,  span = (k − 1)·dilation + 1,
/// or, with `ceil`, rounded up instead — but the last window must then start inside the input or
/// the leading padding (PyTorch's ceil_mode rule), else it is dropped. May be <= 0 when the window
/// does not fit.
inline int slidingOutputSize(int in, int k, int stride, int padBefore, int padAfter,
                             int dilation = 1, bool ceil = false) {
    // In 64 bits: sizes declared by a model file must not overflow here.
    const std::int64_t span = std::int64_t{in} + padBefore + std::int64_t{padAfter} -
                              (std::int64_t{k} - 1) * dilation - 1;
    // Rounding up lets the last window hang over the padded end, even when the window is larger
    // than the padded input (PyTorch: MaxPool2d(3, 3, ceil_mode=True) of a 2×2 map is 1×1).
    const std::int64_t numerator = ceil ? span + stride - 1 : span;
    if (numerator < 0) return 0;
    std::int64_t out = numerator / stride + 1;
    if (ceil && (out - 1) * stride >= std::int64_t{in} + padBefore) --out;
    return out > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                 : static_cast<int>(out);
}
/// Symmetric padding, no dilation: floor((in + 2 pad − k) / stride) + 1.
inline int slidingOutputSize(int in, int k, int stride, int pad) {
    return slidingOutputSize(in, k, stride, pad, pad);
}

/// Per-layer scratch space, sized on first use and reused afterwards.
struct ConvWorkspace {
    AlignedFloats dWPartials;  // (threads, K, C/groups*kh*kw)
    AlignedFloats dbPartials;  // (threads, K)

    /// dW (wSize) += Σ_t dWPartials[t]; db (K) += Σ_t dbPartials[t] when db is non-null.
    void addPartials(int threads, std::size_t wSize, int K, float* dW, float* db) const;
};

/// col (Cg*kh*kw, Ho*Wo) from the Cg = C/groups channels of one group of one sample at x
/// (Cg, H, W); zero where the window reads padding. Rows of col are `ld` floats apart (default
/// Ho*Wo), so several samples' columns can sit side by side in one matrix.
void im2col(const float* x, const ConvGeometry& g, float* col, int ld = 0);
/// dx (Cg, H, W) += scatter of dcol (Cg*kh*kw, Ho*Wo), rows `ld` apart; the inverse of im2col.
void col2imAdd(const float* dcol, const ConvGeometry& g, float* dx, int ld = 0);

/// What inference applies to a convolution's output while it is still in cache (Net::infer):
/// per output channel y = scale·y + shift (an eval-mode batch norm that reads only this
/// convolution), then max(y, 0) when relu. The same float operations, in the same order, as the
/// separate layers, so the result is bit for bit theirs.
struct ConvEpilogue {
    const float* scale = nullptr;  // (K)
    const float* shift = nullptr;  // (K)
    bool relu = false;
};
/// Σ of output channel k of dy (N, K, P) over the batch, sample by sample in position order: one
/// bias gradient (the Winograd and tap-by-tap kernels').
float channelSum(const float* dy, int N, int K, std::ptrdiff_t P, int k);

/// Applies `e` to `rows` output channels of P values each, starting at channel k0.
void applyEpilogue(const ConvEpilogue& e, int k0, int rows, int P, float* y);
/// The same to the first n values of `rows` channels `stride` apart (a kernel's tile of rows,
/// while it is in L1): one compiled body for both.
void applyEpilogueRows(const ConvEpilogue& e, int k0, int rows, int n, std::ptrdiff_t stride,
                       float* y);
/// How applyEpilogue's compiled code computes a·y + b. Whether the compiler fuses it into one
/// multiply-add depends on the compiler (GCC fuses across statements, clang within one) and on
/// the build's target (x86-64-v2 has no FMA), so a kernel that applies the epilogue in its own
/// registers asks this (measured once, on values whose two roundings differ) to give the same
/// bits. Mixed: the vector loop and its scalar tail differ (call applyEpilogueRows instead).
enum class EpilogueArithmetic { Separate, Fused, Mixed };
EpilogueArithmetic epilogueArithmetic();

/// y (N, K, Ho, Wo) = conv(x (N, C, H, W), W (K, C/groups*kh*kw)) + b (K) (b may be null), then
/// the epilogue if given. One GEMM per group of channels (and block of samples).
void convForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                 float* y, const ConvEpilogue* epilogue = nullptr);
/// dW (K, C/groups*kh*kw) += Σ_n dy_n col_nᵀ (group by group; skipped when null, and then db
/// too); db (K) += Σ dy (if non-null); dx (N, C, H, W) = col2im(Wᵀ dy_n) (overwritten, if
/// non-null).
void convBackward(const ConvGeometry& g, int N, const float* x, const float* W, const float* dy,
                  float* dW, float* db, float* dx, ConvWorkspace& ws);

}  // namespace ll
