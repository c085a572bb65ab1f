#pragma once
// Convolutions of maps smaller than their kernel, as one product with the layer's Toeplitz
// matrix (fast kernel set): with P = Ho·Wo outputs and Q = H·W inputs per channel,
//
//   T (K·P, C·Q):  T[k·P + o][c·Q + i] = W[k][c][t] when output o reads input i through tap t,
//                  0 when no tap joins them,
//
// so that a sample's output (K·P) is T times its input (C·Q), both as they lie in NCHW. A batch is
// one GEMM, Y (K·P, N) = T Xᵀ; dx is Tᵀ dYᵀ and the weights' gradient dT = dYᵀ X, folded back
// onto the taps. im2col + GEMM does K·C·P·kh·kw multiply-adds, this K·C·P·Q: on vgg-cifar's 2×2
// maps with 3×3 kernels 16 per channel pair against 36 (5 of a 2×2 map's 9 taps read padding).
// The sums are the direct ones (plus the zeros of T's empty entries), in another order.

#include "core/layers/conv_kernels.h"

namespace ll {

/// True when the fast kernel set computes `g` on a batch of N this way: groups 1, input maps of
/// at most half the kernel's taps (H·W ≤ kh·kw / 2, so at least twice less work than im2col), a
/// batch of at least kToeplitzMinBatch (below, building T costs more than it saves), and T within
/// 64 MB.
bool toeplitzApplies(const ConvGeometry& g, int N);
constexpr int kToeplitzMinBatch = 16;

/// y (N, K, Ho, Wo) = conv(x (N, C, H, W), W (K, C, kh, kw)) + b (may be null), then the epilogue
/// if given. Any geometry with groups 1 (tests call it outside toeplitzApplies' range).
void toeplitzForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                     float* y, const ConvEpilogue* epilogue = nullptr);
/// dx (N, C, H, W) = the gradient of the forward pass with respect to x, given dy (overwritten).
void toeplitzBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx);
/// dW (K, C, kh, kw) += the weights' gradient, db (K) += Σ dy (when non-null). The same sums in
/// the same order at any thread count.
void toeplitzBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                             float* dW, float* db);

}  // namespace ll
