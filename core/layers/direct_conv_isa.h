#pragma once
// Inside the direct convolution kernels (direct_conv_kernels.h): the line between the portable
// part (direct_conv_kernels.cpp: which shapes, whether this CPU can, scratch memory, compiled for
// the build's target) and the kernels compiled for AVX-512 (direct_conv_avx512.cpp, and
// tapwise_avx512.cpp for the tap-by-tap kernels' 2 × 2 maps; built with -mavx512f -mfma whatever
// the build's target, called only when the CPU has both).
//
// The AVX-512 files hold their own functions only (an anonymous namespace and ll::direct_avx512):
// no std:: or Eigen templates, no inline functions of headers. The linker keeps one copy of such
// shared code for the whole program and could take the AVX-512 one, which would then die with an
// illegal instruction on a CPU without it. tests/CMakeLists.txt's IsaObjects test reads the
// object file's symbols and fails on any shared (weak) one.

#include <cstddef>

#include "core/layers/conv_kernels.h"

namespace ll::direct_detail {

enum class Scratch {
    Padded,
    Transposed,
    Weights,
    Bias,
    WeightPartials,
    BiasPartials,
    WinogradU,  // winograd_conv.cpp: transformed weights, input tiles, products, rows;
                // tapwise_conv.cpp: tap-major weights, gathered columns, products
    WinogradV,
    WinogradM,
    WinogradRows
};
constexpr int kScratchKinds = 10;
/// The calling thread's scratch `which`: at least n floats, 64-byte aligned (whatever the build's
/// target), grown on demand and kept (a steady-state training step allocates nothing). Contents
/// are left as they were. The partial sums are the calling thread's but written by the whole
/// OpenMP team of that call.
float* threadScratch(Scratch which, std::size_t n);

}  // namespace ll::direct_detail

namespace ll::direct_avx512 {

/// Floats of one thread's weight-gradient partial sums for g: C·k²·K rounded up to 16 lanes.
std::size_t partialFloats(const ConvGeometry& g);
void forward3(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
              float* y, const ConvEpilogue* epilogue);
void backwardData3(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx);
/// The same three for 5×5 kernels.
void forward5(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
              float* y, const ConvEpilogue* epilogue);
void backwardData5(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx);
/// dx of a stride-2 3×3 convolution with padding 1 and even H, W (directConvDataApplies).
void backwardDataStride2(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx);
void backwardWeights5(const ConvGeometry& g, int N, const float* x, const float* dy, float* dW,
                      float* db, float* dWPartials, float* dbPartials, int threads);
/// Winograd's weight transform for kernels [p0, p1) of w (pairs, R): U[ξ·us + j] =
/// Σ_t T[ξ·R + t] · w[j·R + t] for the P ≤ 64 positions ξ, taps summed in order (R ≤ 25).
void winogradWeights(const float* T, int P, int R, const float* w, int p0, int p1, float* U,
                     std::ptrdiff_t us);
/// U[i·us + j] = w[j·R + taps[i]] for the kernels j in [p0, p1) of w (pairs, R) and i < count:
/// tap-major copies of the taps listed (R ≤ 16; tapwise_conv.cpp).
void gatherTaps(const float* w, int R, int pairs, const int* taps, int count, int p0, int p1,
                float* U, std::ptrdiff_t us);
/// dst[j·dstStride + i] = src[i·srcStride + j] for i < rows and j < cols (both 1 to 16).
void transposeBlock(const float* src, std::ptrdiff_t srcStride, int rows, int cols, float* dst,
                    std::ptrdiff_t dstStride);
/// 2 × 2 maps under a 3 × 3 kernel, stride 1, padding 1 (tapwise_avx512.cpp; tapwise_conv.cpp
/// says when), the samples as lanes: xs (C, 4, ld) and ys (K, 4, ld) hold x and y position-major,
/// ld = the batch rounded up to 16 lanes (zeros past it). ys rows [k0, k1) = the products of W
/// (K, C, 3, 3) with xs, input channels summed in order.
void tap2x2Forward(const float* xs, int C, int ld, const float* W, int k0, int k1, float* ys);
/// The same for dx: gs (C, 4, ld) rows [c0, c1) from ds (K, 4, ld), output channels in order.
void tap2x2BackwardData(const float* ds, int K, int C, int ld, const float* W, int c0, int c1,
                        float* gs);
/// dW rows [k0, k1) += Σ_n dy ⊗ x at each tap, samples in order: xb (C/16 blocks, N, 4, 16) is x
/// by blocks of 16 channels (zeros past C), dk (K, N, 4) is dy.
void tap2x2BackwardWeights(const float* xb, const float* dk, int N, int C, int k0, int k1,
                           float* dW);
/// dWPartials: threads·partialFloats(g) zeros; dbPartials: threads·K zeros.
void backwardWeights3(const ConvGeometry& g, int N, const float* x, const float* dy, float* dW,
                      float* db, float* dWPartials, float* dbPartials, int threads);

}  // namespace ll::direct_avx512
