#pragma once
// Convolutions of maps smaller than their kernel, tap by tap (fast kernel set). Each of the
// kernel's kh·kw taps t joins output o to one input i(o, t), for the outputs whose window puts t
// inside the map (a rectangle of them); over those outputs of the whole batch the tap is one
// product,
//
//   M_t (K, N·v_t) = W_t (K, C) · X_t (C, N·v_t),   X_t[c][(n, o)] = x[n][c][i(o, t)],
//
// W_t the tap's weights (the kernels transposed to tap-major), v_t its valid outputs, and
// y[n][k][o] is Σ_t M_t[k][(n, o)], summed in tap order. dx and the weights' gradient are the
// transposed products. Only taps that read the map multiply: on vgg-cifar's 2×2 maps with 3×3
// kernels, 16 multiply-adds per channel pair and sample against im2col's 36 (5 of a 2×2 map's 9
// taps read padding), in products of 32 to 128 columns at batch 32.

#include "core/layers/conv_kernels.h"

namespace ll {

/// True when the fast kernel set computes `g` on a batch of N this way: groups 1, input maps of
/// at most half the kernel's taps (H·W ≤ kh·kw / 2: at most half the work of im2col), and a batch
/// of at least kTapwiseMinBatch (below, the thin products cost more than they save), unless
/// LAYERLENS_TAPWISE=off.
bool tapwiseApplies(const ConvGeometry& g, int N);
constexpr int kTapwiseMinBatch = 16;

/// y (N, K, Ho, Wo) = conv(x (N, C, H, W), W (K, C, kh, kw)) + b (may be null), then the epilogue
/// if given. Any geometry with groups 1 (tests call it outside tapwiseApplies' range).
void tapwiseForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                    float* y, const ConvEpilogue* epilogue = nullptr);
/// dx (N, C, H, W) (overwritten) = the gradient of the forward pass with respect to x, given dy.
void tapwiseBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx);
/// dW (K, C, kh, kw) += the weights' gradient, db (K) += Σ dy (when non-null). The same sums in
/// the same order at any thread count.
void tapwiseBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                            float* dW, float* db);

}  // namespace ll
