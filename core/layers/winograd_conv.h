#pragma once
// Winograd's minimal filtering F(m×m, r×r) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016) for the stride-1 convolutions of the fast kernel set: each m×m block of
// outputs of each channel pair is computed from an α×α input tile (α = m + r − 1) with α²
// multiplications instead of m²r²:
//
//   Y = Aᵀ [ Σ_c (G g_kc Gᵀ) ⊙ (Bᵀ d_c B) ] A
//
// F(2×2, 3×3), F(4×4, 3×3) and F(6×6, 3×3) for 3×3 kernels (16 multiplications for 36, 36 for
// 144, 64 for 324), F(2×2, 5×5) and F(4×4, 5×5) for 5×5 ones (36 for 100, 64 for 400), with the
// matrices of Toom-Cook on the points 0, ±1, ±2, ±½, ∞ (winogradMatrices; for F(4, 3) they are the
// paper's). The sum over input channels c, for each of the α² tile positions ξ, is one GEMM:
// M_ξ (K × tiles) = U_ξ (K × C) · V_ξ (C × tiles), U the transformed weights, V the transformed
// input tiles. Tiles are worked in blocks that stay in cache from the input transform to the
// output transform, blocks spread over the threads; when a layer has too few tiles for that (VGG's
// 4×4 maps), one block holds them all and the threads share its steps instead. The transforms run
// in one of two layouts (WinogradLayout): on each channel's planes, vectorized over a sample's
// tiles, or on the maps copied channels-last, vectorized over the channels, with V_ξ and M_ξ stored
// as (tiles × channels); the second for maps of few tiles a row and for every weight gradient. The
// weights' transform, Σ_t T[ξ][t] g_t for T = G ⊗ G (α² × r²), runs 16 kernels at a time in the
// AVX-512 kernels (one BLIS product, (α² × r²) · (r² × K·C), on a CPU without them).
//
// Backward-data is the same algorithm on dy, bordered by r − 1 − pad, with the flipped, transposed
// weights (as in direct_conv_kernels.h). Backward-weights is the transposed algorithm:
// winogradBackwardWeights.
//
// Error: the transforms add up to α terms with coefficients up to 8 (F(4, 3), F(4, 5)) or 32
// (F(6, 3)), and the weights' transform divides by up to 24 (F(4, 3)) or 90 (α = 8), so results
// differ from the direct sum by more roundings than the direct kernels'. RMS errors against the
// exact sum, as a fraction of the outputs' RMS (normal weights, rectified inputs): alexnet-mnist's
// 5×5 layer 1.4 × 10⁻⁶ with F(2, 5) and 2.4 × 10⁻⁶ with F(4, 5); its 256 → 384 3×3 layer
// 0.4, 1.7 and 3.6 × 10⁻⁶ with F(2, 3), F(4, 3) and F(6, 3).
// tests/core/test_winograd_conv.cpp bounds the difference by the rounding error bound of the
// transformed sum, and checks the layer's gradients numerically with it in use.

#include "core/layers/conv_kernels.h"

namespace ll {

/// The matrices of F(m×m, r×r) (α = m + r − 1; m ≤ 6, r ≤ 5, α ≤ 8), row-major, in double:
/// Aᵀ (m, α), G (α, r), Bᵀ (α, α).
struct WinogradMatrices {
    int m = 0, r = 0, a = 0;
    double AT[6 * 8] = {}, G[8 * 5] = {}, BT[8 * 8] = {};
};
WinogradMatrices winogradMatrices(int m, int r);

/// True when the fast kernel set computes `g`'s forward pass and weight gradient with Winograd
/// (and dx where the direct kernel is slower or absent: conv_kernels.cpp): 3×3 or 5×5
/// kernel, stride 1, dilation 1, groups 1, every padding below the kernel size, at least 64 input
/// and 128 output channels (below that the GEMMs are too thin and the direct kernels win:
/// ResNet-20's layers and alexnet-mnist's 96-channel one stay with them), maps of at least 4×4, on
/// a CPU where the direct kernels run (directConvAvailable) in a build whose own target has AVX2
/// (the transforms are compiled for it; a portable build keeps the direct kernels), unless
/// LAYERLENS_WINOGRAD=off.
bool winogradApplies(const ConvGeometry& g);
/// The part of winogradApplies that does not depend on the layer: the CPU, the build, the switch.
bool winogradAvailable();

/// Where the transforms run: on each channel's planes, vectorized over the tiles of a sample, or
/// on the maps copied channels-last, vectorized over the channels (for maps of few tiles a row).
/// Auto: the layer's default (winograd_conv.cpp's channelsLast); tests ask for both.
enum class WinogradLayout { Auto, Planes, ChannelsLast };

/// y (N, K, Ho, Wo) = conv(x (N, C, H, W), W (K, C, r, r)) + b (may be null), then the epilogue if
/// given. Requires g to be a 3×3 or 5×5 stride-1 convolution with every padding below the kernel
/// size (winogradApplies, but for the CPU, channel and size conditions, which tests may bypass).
/// `tile`: m (2 or 4, or 6 for 3×3 kernels), 0 for the layer's default (winograd_conv.cpp's
/// tileFor).
void winogradForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                     float* y, const ConvEpilogue* epilogue = nullptr, int tile = 0,
                     WinogradLayout layout = WinogradLayout::Auto);

/// dx (N, C, H, W) = the gradient of the forward pass with respect to x, given dy (N, K, Ho, Wo)
/// (overwritten). The same requirements as winogradForward.
void winogradBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx,
                          int tile = 0, WinogradLayout layout = WinogradLayout::Auto);

/// dW (K, C, r, r) += the weights' gradient, db (K) += Σ dy (when non-null), given x and dy: the
/// transpose of the forward algorithm, dW = G_tᵀ [ Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B) ] G_t (per tap t),
/// the sum over tiles one GEMM per position with the tiles as its inner dimension. The same sums
/// in the same order at any thread count. The same requirements as winogradForward.
void winogradBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                             float* dW, float* db, int tile = 0,
                             WinogradLayout layout = WinogradLayout::Auto);

}  // namespace ll
