#pragma once
// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016) for the 3×3 stride-1 convolutions of the fast kernel set: each 2×2 block
// of outputs of each channel pair is computed from a 4×4 input tile with 16 multiplications
// instead of 36, so the multiply-adds of a layer drop 2.25×:
//
//   Y = Aᵀ [ Σ_c (G g_kc Gᵀ) ⊙ (Bᵀ d_c B) ] A
//
//        ⎡1  0 −1  0⎤        ⎡1    0    0 ⎤
//   Bᵀ = ⎢0  1  1  0⎥    G = ⎢½    ½    ½ ⎥    Aᵀ = ⎡1 1  1  0⎤
//        ⎢0 −1  1  0⎥        ⎢½   −½    ½ ⎥         ⎣0 1 −1 −1⎦
//        ⎣0  1  0 −1⎦        ⎣0    0    1 ⎦
//
// The sum over input channels c, for each of the 16 tile positions ξ, is one GEMM:
// M_ξ (K × tiles) = U_ξ (K × C) · V_ξ (C × tiles), U the transformed weights, V the transformed
// input tiles. Tiles are worked in blocks of whole tile rows that stay in cache from the input
// transform to the output transform, blocks spread over the threads; when a layer has too few
// tiles for that (VGG's 4×4 maps), one block holds them all and the threads share its 16 GEMMs
// instead. The weights' transform is one product too, (16 × 9) · (9 × K·C).
//
// Backward-data is the same algorithm on dy, bordered by 2 − pad, with the flipped, transposed
// weights (as in direct_conv_kernels.h). Backward-weights is the transposed algorithm:
// winogradBackwardWeights.
//
// Error: the transforms add and subtract up to 9 (input) and 9 (output) values and halve the
// weights, so results differ from the direct sum by a few more roundings than the direct kernels
// do; tests/core/test_winograd_conv.cpp bounds the difference by the rounding error bound of the
// transformed sum, and checks the layer's gradients numerically with it in use.

#include "core/layers/conv_kernels.h"

namespace ll {

/// True when the fast kernel set computes `g`'s forward and backward-data passes with
/// F(2×2, 3×3): 3×3 kernel, stride 1, dilation 1, groups 1, every padding at most 2, at least 32
/// input and 32 output channels and C·K ≥ 64·128 (below that the GEMMs are too thin and the
/// direct kernels win: ResNet-20's layers stay with them), maps of at least 4×4, on a CPU where the
/// direct kernels run (directConvAvailable) in a build whose own target has AVX2 (the transforms
/// are compiled for it; a portable build keeps the direct kernels), unless LAYERLENS_WINOGRAD=off.
bool winogradApplies(const ConvGeometry& g);

/// y (N, K, Ho, Wo) = conv(x (N, C, H, W), W (K, C, 3, 3)) + b (may be null), then the epilogue if
/// given. Requires g to be a 3×3 stride-1 convolution with padding ≤ 2 (winogradApplies, but for
/// the CPU and channel conditions, which tests may bypass).
void winogradForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                     float* y, const ConvEpilogue* epilogue = nullptr);

/// dx (N, C, H, W) = the gradient of the forward pass with respect to x, given dy (N, K, Ho, Wo)
/// (overwritten). The same requirements as winogradForward.
void winogradBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx);

/// dW (K, C, 3, 3) += the weights' gradient, db (K) += Σ dy (when non-null), given x and dy: the
/// transpose of the forward algorithm, dW = G_tᵀ [ Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B) ] G_t (per tap t),
/// the sum over tiles one GEMM per position with the tiles as its inner dimension. The same sums
/// in the same order at any thread count. The same requirements as winogradForward.
void winogradBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                             float* dW, float* db);

}  // namespace ll
