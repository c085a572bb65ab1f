// The tap-by-tap kernels' AVX-512 products for 2 × 2 maps under a 3 × 3 kernel (stride 1,
// padding 1, dilation 1: vgg-cifar's last two convolutions), where every output reads every
// input through one tap. The samples are the vector lanes (the weight gradient's are the input
// channels), and the weights are read where they are, in (K, C, 3, 3): no tap-major copy, no
// gathered columns, no GEMM packing. Compiled for AVX-512 whatever the build's target, called
// only on a CPU that has it; what this file may contain is restricted (direct_conv_isa.h).
#include <immintrin.h>

#include <cstddef>

#include "core/layers/direct_conv_isa.h"

namespace ll::direct_avx512 {

namespace {

constexpr int kLanes = 16;  // floats per AVX-512 vector
constexpr int kTaps = 9;

// The input (row-major position 0 to 3) that output `o` reads through tap t, or −1 for none; for
// dx (Flip) the output that input `o` is read by. Forward: i = o + (t − centre) per axis; dx: the
// kernel flipped, o − (t − centre).
template <bool Flip>
constexpr int joined(int o, int t) {
    const int dh = t / 3 - 1, dw = t % 3 - 1;
    const int h = o / 2 + (Flip ? -dh : dh), w = o % 2 + (Flip ? -dw : dw);
    return h < 0 || h > 1 || w < 0 || w > 1 ? -1 : h * 2 + w;
}

// Rows [r, r + R) of out (rows, 4, ld), lanes [n0, n0 + 16·V): out[r][a][n] = Σ_j Σ_t
// w[r·rs + j·js + t] · in[j][joined(a, t)][n], j over the `red` rows of in (red, 4, ld), taps
// in order. R·4·V accumulators; each of a row's nine weights is broadcast once per j and meets
// the V input vectors of each position it joins.
template <int R, int V, bool Flip>
void rowsBlock(const float* in, int red, std::ptrdiff_t ld, const float* w, std::ptrdiff_t rs,
               std::ptrdiff_t js, int n0, float* out) {
    __m512 acc[R][4][V] = {};  // zeros
    for (int j = 0; j < red; ++j) {
        const float* ij = in + static_cast<std::ptrdiff_t>(j) * 4 * ld + n0;
        __m512 x[4][V];
#pragma GCC unroll 4
        for (int b = 0; b < 4; ++b)
#pragma GCC unroll 4
            for (int v = 0; v < V; ++v)
                x[b][v] = _mm512_load_ps(ij + b * ld + v * kLanes);
        const float* wj = w + j * js;
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
#pragma GCC unroll 9
            for (int t = 0; t < kTaps; ++t) {
                const __m512 wt = _mm512_set1_ps(wj[r * rs + t]);
#pragma GCC unroll 4
                for (int a = 0; a < 4; ++a) {
                    const int b = joined<Flip>(a, t);
                    if (b < 0) continue;
#pragma GCC unroll 4
                    for (int v = 0; v < V; ++v)
                        acc[r][a][v] = _mm512_fmadd_ps(wt, x[b][v], acc[r][a][v]);
                }
            }
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int a = 0; a < 4; ++a)
#pragma GCC unroll 4
            for (int v = 0; v < V; ++v)
                _mm512_store_ps(out + (r * 4 + a) * ld + n0 + v * kLanes, acc[r][a][v]);
}

template <int R, bool Flip>
void rowsAllLanes(const float* in, int red, int ld, const float* w, std::ptrdiff_t rs,
                  std::ptrdiff_t js, float* out) {
    int n0 = 0;
    for (; n0 + 2 * kLanes <= ld; n0 += 2 * kLanes)
        rowsBlock<R, 2, Flip>(in, red, ld, w, rs, js, n0, out);
    if (n0 < ld) rowsBlock<R, 1, Flip>(in, red, ld, w, rs, js, n0, out);
}

template <bool Flip>
void rows(const float* in, int red, int ld, const float* w, std::ptrdiff_t rs, std::ptrdiff_t js,
          int r0, int r1, float* out) {
    int r = r0;
    for (; r + 2 <= r1; r += 2)
        rowsAllLanes<2, Flip>(in, red, ld, w + r * rs, rs, js,
                              out + static_cast<std::ptrdiff_t>(r) * 4 * ld);
    if (r < r1)
        rowsAllLanes<1, Flip>(in, red, ld, w + r * rs, rs, js,
                              out + static_cast<std::ptrdiff_t>(r) * 4 * ld);
}

// dW rows [k, k + R), input channels [c0, c0 + 16) (the first `valid` of them real): R·9
// accumulators over the channels, summed over the samples in order; then transposed to the
// weights' (c, t) order in registers and added onto dW. xb: this block's x (N, 4, 16); dk: dy
// (K, N, 4).
template <int R>
void weightsBlock(const float* xb, const float* dk, int N, int C, int k, int c0, int valid,
                  float* dW) {
    __m512 acc[R][kTaps];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 9
        for (int t = 0; t < kTaps; ++t)
            acc[r][t] = _mm512_setzero_ps();
    const float* d0 = dk + static_cast<std::ptrdiff_t>(k) * N * 4;
    for (int n = 0; n < N; ++n) {
        __m512 x[4];
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i)
            x[i] = _mm512_load_ps(xb + (n * 4 + i) * kLanes);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int o = 0; o < 4; ++o) {
                const __m512 d = _mm512_set1_ps(d0[(r * N + n) * 4 + o]);
#pragma GCC unroll 9
                for (int t = 0; t < kTaps; ++t) {
                    const int i = joined<false>(o, t);
                    if (i >= 0) acc[r][t] = _mm512_fmadd_ps(d, x[i], acc[r][t]);
                }
            }
    }
    alignas(64) float byTap[kTaps][kLanes];
    alignas(64) float byChannel[kTaps * kLanes];
    const int floats = valid * kTaps;
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 9
        for (int t = 0; t < kTaps; ++t)
            _mm512_store_ps(byTap[t], acc[r][t]);
        transposeBlock(&byTap[0][0], kLanes, kTaps, kLanes, byChannel, kTaps);
        float* dst = dW + (static_cast<std::ptrdiff_t>(k + r) * C + c0) * kTaps;
        for (int e = 0; e < floats; e += kLanes) {
            const int left = floats - e;
            const __mmask16 m = left >= kLanes ? static_cast<__mmask16>(0xFFFF)
                                               : static_cast<__mmask16>((1u << left) - 1u);
            _mm512_mask_storeu_ps(
                dst + e, m,
                _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + e), _mm512_load_ps(byChannel + e)));
        }
    }
}

}  // namespace

void tap2x2Forward(const float* xs, int C, int ld, const float* W, int k0, int k1, float* ys) {
    rows<false>(xs, C, ld, W, static_cast<std::ptrdiff_t>(C) * kTaps, kTaps, k0, k1, ys);
}

void tap2x2BackwardData(const float* ds, int K, int C, int ld, const float* W, int c0, int c1,
                        float* gs) {
    rows<true>(ds, K, ld, W, kTaps, static_cast<std::ptrdiff_t>(C) * kTaps, c0, c1, gs);
}

void tap2x2BackwardWeights(const float* xb, const float* dk, int N, int C, int k0, int k1,
                           float* dW) {
    for (int c0 = 0; c0 < C; c0 += kLanes) {
        const int valid = C - c0 < kLanes ? C - c0 : kLanes;
        const float* block = xb + static_cast<std::ptrdiff_t>(c0) * N * 4;
        int k = k0;
        for (; k + 2 <= k1; k += 2)
            weightsBlock<2>(block, dk, N, C, k, c0, valid, dW);
        if (k < k1) weightsBlock<1>(block, dk, N, C, k, c0, valid, dW);
    }
}

}  // namespace ll::direct_avx512
