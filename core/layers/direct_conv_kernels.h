#pragma once
// Direct kernels for the convolutions CNNs spend most of their time in: 3×3 kernels, stride 1 or 2,
// any zero padding up to 2 on each side, no dilation, one group — every 3×3 layer of VGG and
// ResNet (with the downsampling ones) and AlexNet's — and 5×5 kernels over few channels
// (LeNet-5's). They replace im2col + GEMM
// (conv_kernels.h) in the fast kernel set (core/kernels.h) when the CPU has AVX-512, whatever the
// build's target (the kernels are compiled for it apart: direct_conv_isa.h). With k the
// kernel size, S the stride and xpad the input in its zero border:
//
//   forward          y[k, oh, ow] = b[k] + Σ_c Σ_{ki,kj} W[k,c,ki,kj] · xpad[c, S·oh+ki, S·ow+kj]
//   backward-data    (stride 1) the same kernel on dy, bordered by k−1−pad, with the flipped,
//                    transposed weights W'[c,k,ki,kj] = W[k,c,k−1−ki,k−1−kj]; (stride 2, 3×3,
//                    padding 1) each of the four phases of dx's 2 × 2 blocks from its own taps
//                    on dy (outputs of whole vectors), or a 2×2 kernel on dy into the four
//                    phases together (other widths)
//   backward-weights dW[k,c,ki,kj] += Σ_{oh,ow} dy[k,oh,ow] · xpad[c, S·oh+ki, S·ow+kj]
//
// Each sample is copied into its zero border first, so the inner loops have no edge cases. No
// column matrix is written: the pass reads the input once instead of k² times. Register tiles,
// each an outer product of loaded vectors and broadcast scalars:
//   - stride 1, output rows of 16, 32, 48 or 64, or of up to 64 that fill more of their last
//     vector than the output channels fill theirs (forward, backward-data): output channels ×
//     rows × 16-float vectors along the row; each input vector serves every channel and row of
//     the tile.
//   - other widths, stride 2 (forward, backward-data), and backward-weights: output channels
//     along the vector lanes (the weights, or dy transposed to (positions, channels)), times a
//     few positions or input taps broadcast from the input.
//   - backward-weights of at most 8 input channels (an image's), stride 1, rows of 32, 48 or 64:
//     output positions along the lanes, dy read as it lies; 8 output channels × a kernel row's 3
//     taps of accumulators, each vector's lanes summed once per 8 samples.
// Sums run in another order than im2col + GEMM's, so results differ from the reference kernels in
// the last bits (tests/core/test_direct_conv_kernels.cpp bounds it by the rounding error bound).
// Measured on one core (bench/bench_conv_shapes, AMD EPYC, AVX-512), CPU time against the
// reference kernels (forward; backward with dx): ResNet-20's 16×32×32 stage 2.1×, 2.3×; 32×16×16
// 1.9×, 2.1×; 64×8×8 3.4×, 3.0× (of which about 2× is the fast set's smaller GEMM blocks);
// vgg-cifar's 128×16×16 1.4×, 1.2×.

#include "core/layers/conv_kernels.h"

namespace ll {

/// True when this process can run the direct kernels: an x86-64 build where kernelIsa() is
/// AVX-512 (core/isa.h: the CPU has it and LAYERLENS_ISA does not lower it; "portable" or
/// "avx2" keep every convolution on im2col + GEMM, to compare). Decided once per process.
bool directConvAvailable();

/// True when the direct forward and backward-weights kernels compute `g`: a 3×3 kernel, stride 1
/// or 2 (the same along both axes), every padding at most 2, dilation 1, groups 1, output rows
/// of 8 to 64 values, and directConvAvailable() (below 8 wide, im2col + GEMM is as fast:
/// vgg-cifar's 4×4 layers); or a 5×5 kernel over few channels (at most 16 in, 64 out: LeNet-5's
/// c1 and c3, where im2col + GEMM multiplies matrices of 6 to 16 rows at 8–12% of the FMA peak;
/// alexnet-mnist's wider 5×5 layer takes Winograd), stride 1, every padding at most 4, under the
/// same other conditions.
bool directConvApplies(const ConvGeometry& g);
/// directConvApplies and stride 1, or stride 2 with padding 1, even maps and outputs at least 16
/// wide: the backward-data kernel too (at other strides 2, dx is a scatter that im2col's col2im
/// does).
bool directConvDataApplies(const ConvGeometry& g);
/// y (N, K, Ho, Wo) = conv(x (N, C, H, W), W (K, C, k, k)) + b (may be null), then the epilogue
/// if given. Requires directConvApplies(g).
void directConvForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                       float* y, const ConvEpilogue* epilogue = nullptr);

/// dx (N, C, H, W) = the gradient of the forward pass with respect to x, given dy (N, K, Ho, Wo)
/// (overwritten). Requires directConvDataApplies(g).
void directConvBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy,
                            float* dx);

/// dW (K, C, k, k) += Σ_n dy_n ⋆ xpad_n and db (K) += Σ dy (when non-null), summed per thread
/// and added in thread order (deterministic for a thread count). Requires directConvApplies(g).
void directConvBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                               float* dW, float* db);

}  // namespace ll
