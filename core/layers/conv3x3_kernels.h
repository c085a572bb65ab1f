#pragma once
// Direct kernels for the most common convolution of CNNs: 3×3, stride 1, padding 1 on every side
// ("same" size) or 2, no dilation, one group — every 3×3 layer of VGG and ResNet. They replace
// im2col + GEMM (conv_kernels.h) in the fast kernel set (core/kernels.h) when the build has
// AVX-512:
//
//   forward         y[k] = b[k] + Σ_c Σ_{ki,kj} W[k,c,ki,kj] · xpad[c, oh+ki, ow+kj]
//   backward-data   the same kernel on dy with the flipped, transposed weights
//                   W'[c,k,ki,kj] = W[k,c,2−ki,2−kj]
//   backward-weights dW[k,c,ki,kj] += Σ_{oh,ow} dy[k,oh,ow] · xpad[c, oh+ki, ow+kj]
//
// xpad is one sample's input copied into a zero border, so the inner loops have no edge cases.
// No column matrix is written: the pass reads the input once instead of nine times. Register
// tiles, each an outer product of loaded vectors and broadcast scalars:
//   - maps 16 to 64 wide (forward, backward-data): output channels × rows × 16-float vectors
//     along the row; each input vector serves every channel and row of the tile.
//   - maps 8 to 15 wide (forward, backward-data), and backward-weights at every width: output
//     channels along the vector lanes (the weights, or dy transposed to (positions, channels)),
//     times a few positions or input taps broadcast from the input.
// Sums run in another order than im2col + GEMM's, so results differ from the reference kernels in
// the last bits (tests/core/test_conv3x3_kernels.cpp bounds it by the rounding error bound).
// Measured on one core (bench/bench_conv_shapes, AMD EPYC, AVX-512), CPU time against the
// reference kernels (forward; backward with dx): ResNet-20's 16×32×32 stage 2.1×, 2.3×; 32×16×16
// 1.9×, 2.1×; 64×8×8 3.4×, 3.0× (of which about 2× is the fast set's smaller GEMM blocks);
// vgg-cifar's 128×16×16 1.4×, 1.2×.

#include "core/layers/conv_kernels.h"

namespace ll {

/// True when the direct forward and backward-weights kernels compute `g` in this build: 3×3,
/// stride 1 ("same" size) or 2, padding 1 on all sides, dilation 1, groups 1, output rows of 8
/// to 64 values, and an AVX-512 build. (Below 8 wide, im2col + GEMM is as fast: vgg-cifar's 4×4
/// layers.)
bool direct3x3Applies(const ConvGeometry& g);
/// direct3x3Applies and stride 1: the backward-data kernel too (at stride 2, dx is a scatter
/// that im2col's col2im does).
bool direct3x3DataApplies(const ConvGeometry& g);

/// y (N, K, H, W) = conv(x (N, C, H, W), W (K, C, 3, 3)) + b (may be null), then the epilogue if
/// given. Requires direct3x3Applies(g).
void direct3x3Forward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                      float* y, const ConvEpilogue* epilogue = nullptr);

/// dx (N, C, H, W) = the gradient of the forward pass with respect to x, given dy (N, K, H, W)
/// (overwritten). Requires direct3x3DataApplies(g).
void direct3x3BackwardData(const ConvGeometry& g, int N, const float* W, const float* dy,
                           float* dx);

/// dW (K, C, 3, 3) += Σ_n dy_n ⋆ xpad_n and db (K) += Σ dy (when non-null), summed per thread
/// in ws and added in thread order (deterministic for a thread count). Requires
/// direct3x3Applies(g).
void direct3x3BackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                              float* dW, float* db, ConvWorkspace& ws);

}  // namespace ll
