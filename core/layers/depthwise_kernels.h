#pragma once
// Direct kernels of depthwise convolutions (groups = C: MobileNet, Xception): each input channel
// c is convolved with its own m kernels into output channels c·m … c·m + m − 1 (K = m·C).
//
// Why not im2col + GEMM: per channel that would be an (m × kh·kw)·(kh·kw × Ho·Wo) product — with
// m = 1 a matrix-vector product — after copying the input kh·kw times into columns. The direct
// kernels read each input plane once (into a zero-bordered copy, so the inner loops need no bounds
// checks), keep the kernel's taps in registers and vectorize along the output row. Planes (n, c)
// are spread over threads; the weight and bias gradients are summed per thread and added in
// thread order, so results are deterministic for a given thread count.

#include "core/layers/conv_kernels.h"

namespace ll {

/// True for the geometries these kernels compute: groups = C and K a multiple of C.
inline bool isDepthwise(const ConvGeometry& g) {
    return g.groups == g.C && g.K % g.C == 0;
}

/// y (N, K, Ho, Wo) = depthwise convolution of x (N, C, H, W) with W (K, 1, kh, kw), plus b (K)
/// (b may be null). Requires isDepthwise(g).
void depthwiseForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                      float* y);
/// dW (K, 1, kh, kw) += Σ_n correlation of x_n with dy_n; db (K) += Σ dy (if non-null);
/// dx (N, C, H, W) = transposed convolution of dy with W (overwritten, if non-null).
/// Requires isDepthwise(g); uses ws's partial sums.
void depthwiseBackward(const ConvGeometry& g, int N, const float* x, const float* W,
                       const float* dy, float* dW, float* db, float* dx, ConvWorkspace& ws);

}  // namespace ll
