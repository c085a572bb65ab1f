#pragma once
// Convolution kernels shared by Conv2d and SparseConv2d: im2col + one GEMM per batch sample,
// samples spread over threads (OpenMP). Eigen GEMMs run single-threaded inside the parallel loop.

#include <cstdint>
#include <limits>
#include <vector>

#include "core/tensor.h"

namespace ll {

/// Sizes of one 2-D convolution (cross-correlation, as in every DL framework).
struct ConvGeometry {
    int C = 0, H = 0, W = 0;    // input channels, height, width
    int K = 0, Ho = 0, Wo = 0;  // output channels, height, width
    int kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;

    int colRows() const { return C * kh * kw; }
    int colCols() const { return Ho * Wo; }
    /// True when the column matrix equals the input (1×1 kernel, stride 1, no padding).
    bool isPointwise() const {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
    }
};

/// Output size of a sliding window: floor((in + 2 pad - k) / stride) + 1 (may be <= 0 when the
/// window does not fit).
inline int slidingOutputSize(int in, int k, int stride, int pad) {
    // In 64 bits: sizes declared by a model file must not overflow here.
    const std::int64_t span = std::int64_t{in} + 2 * std::int64_t{pad} - k;
    if (span < 0) return 0;
    const std::int64_t out = span / stride + 1;
    return out > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                 : static_cast<int>(out);
}

/// Per-layer scratch space, sized on first use and reused afterwards.
struct ConvWorkspace {
    AlignedFloats dWPartials;  // (threads, K, C*kh*kw)
    AlignedFloats dbPartials;  // (threads, K)
};

/// col (C*kh*kw, Ho*Wo) from one sample x (C, H, W); zero where the window reads padding.
/// Rows of col are `ld` floats apart (default Ho*Wo), so several samples' columns can sit side
/// by side in one matrix.
void im2col(const float* x, const ConvGeometry& g, float* col, int ld = 0);
/// dx (C, H, W) += scatter of dcol (C*kh*kw, Ho*Wo), rows `ld` apart; the inverse of im2col.
void col2imAdd(const float* dcol, const ConvGeometry& g, float* dx, int ld = 0);

/// y (N, K, Ho, Wo) = conv(x (N, C, H, W), W (K, C*kh*kw)) + b (K) (b may be null).
void convForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                 float* y);
/// dW (K, C*kh*kw) += Σ_n dy_n col_nᵀ; db (K) += Σ dy (if non-null);
/// dx (N, C, H, W) = col2im(Wᵀ dy_n) (overwritten, if non-null).
void convBackward(const ConvGeometry& g, int N, const float* x, const float* W, const float* dy,
                  float* dW, float* db, float* dx, ConvWorkspace& ws);

}  // namespace ll
