// The direct 3×3 and 5×5 convolution kernels (direct_conv_kernels.h), compiled for AVX-512 whatever
// the build's target: the portable part (direct_conv_kernels.cpp) calls them only on a CPU that has
// it. What this file may contain is restricted (direct_conv_isa.h): its own functions only, no
// std:: or Eigen templates and no inline functions from headers, which the linker could pick as
// the one copy for callers on any CPU.
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/layers/direct_conv_isa.h"
#include "core/parallel.h"

namespace ll::direct_avx512 {

namespace {

constexpr int kLanes = 16;  // floats per AVX-512 vector
// Floats of zeros after a padded sample: a row's last vector may read past the last row.
constexpr int kSlack = 2 * kLanes;

// Scratch of the calling thread (the portable part's, grown on demand and kept: a steady-state
// step allocates nothing): padded samples, transposed outputs or dy, packed weights, bias.
float* scratch(direct_detail::Scratch which, std::size_t n) {
    return direct_detail::threadScratch(which, n);
}
constexpr auto kPadded = direct_detail::Scratch::Padded;
constexpr auto kTransposed = direct_detail::Scratch::Transposed;

void fillZero(float* p, std::size_t n) {
    std::memset(p, 0, n * sizeof(float));
}
int minInt(int a, int b) {
    return a < b ? a : b;
}

// One sample's C channels of H × W inside a zero border (top, left, bottom, right):
// (C, Hp, Wp), then kSlack zeros.
struct Padded {
    int C, H, W, top, left, Hp, Wp;
    std::size_t plane, size;
    Padded(int channels, int height, int width, int padTop, int padLeft, int padBottom,
           int padRight)
        : C(channels),
          H(height),
          W(width),
          top(padTop),
          left(padLeft),
          Hp(height + padTop + padBottom),
          Wp(width + padLeft + padRight),
          plane(static_cast<std::size_t>(Hp) * Wp),
          size(static_cast<std::size_t>(channels) * plane + kSlack) {}
};

void padSample(const Padded& p, const float* x, float* xp) {
    fillZero(xp, p.size);
    for (int c = 0; c < p.C; ++c)
        for (int h = 0; h < p.H; ++h)
            std::memcpy(xp + c * p.plane + static_cast<std::size_t>(h + p.top) * p.Wp + p.left,
                        x + (static_cast<std::size_t>(c) * p.H + h) * p.W, sizeof(float) * p.W);
}

// Mask of the valid lanes of a row's last vector.
__mmask16 tailMask(int width) {
    const int r = width % kLanes;
    return r == 0 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << r) - 1);
}

int roundUpToLanes(int n) {
    return (n + kLanes - 1) / kLanes * kLanes;
}

// Weights packed (Cin, k², ld) with ld >= Kout (zeros past Kout), so the weights a tile needs for
// one input channel and tap are adjacent. Forward: Cin = C, Kout = K, wp[c, t, k] = W[k, c, t].
// Backward-data: the transposed, flipped kernel: Cin = K, Kout = C, wp[k, t, c] = W[k, c, k²−1−t].
void packWeights(const float* W, int K, int C, int taps, bool backwardData, int ld, float* wp) {
    const int Cin = backwardData ? K : C;
    fillZero(wp, static_cast<std::size_t>(Cin) * taps * ld);
    for (int k = 0; k < K; ++k)
        for (int c = 0; c < C; ++c)
            for (int t = 0; t < taps; ++t) {
                const float w = W[(static_cast<std::size_t>(k) * C + c) * taps + t];
                if (backwardData) {
                    wp[(static_cast<std::size_t>(k) * taps + (taps - 1 - t)) * ld + c] = w;
                } else {
                    wp[(static_cast<std::size_t>(c) * taps + t) * ld + k] = w;
                }
            }
}

// One convolution to compute: a padded input, packed weights and the output map.
struct ConvPlan {
    const Padded* p;
    int Kout, ld;       // output channels; packed weights' row length (>= Kout)
    const float* wp;    // (Cin, k², ld)
    const float* bias;  // (Kout) or null
    int Ho, Wo, S;      // output size, stride
    // Applied by the rows kernel to each tile it stores (the lanes kernel's callers apply it
    // afterwards): or null; and how applyEpilogue computes it.
    const ConvEpilogue* epilogue;
    EpilogueArithmetic arithmetic;
};

// ---- Rows kernel: stride 1, rows of up to 64 outputs (a partial last vector masked) ----

// Output channels [k0, k0 + KB), rows [oh0, oh0 + R·tiles), all V vectors of each row, of one
// sample, in tiles of R rows: KB·R·V accumulators. For each input channel and tap, KB broadcast
// weights meet R·V input vectors (loaded from L1), so the FMAs outnumber the loads about 2 to 1.
// The tiles' loop is in here, not in the caller: with an image's 3 input channels a tile is only
// 27 multiply-adds per output, and a call per tile, with its address setup, cost about a tenth
// of vgg-cifar's first layer on one thread.
template <int KS, int KB, int R, int V>
void rowsTiles(const ConvPlan& pl, const float* xp, int k0, int oh0, int tiles, __mmask16 tail,
               float* y) {
    const Padded& p = *pl.p;
    for (int tile = 0; tile < tiles; ++tile, oh0 += R) {
        __m512 acc[KB][R][V];
#pragma GCC unroll 16
        for (int kb = 0; kb < KB; ++kb) {
            const __m512 b = _mm512_set1_ps(pl.bias ? pl.bias[k0 + kb] : 0.0f);
#pragma GCC unroll 16
            for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
                for (int v = 0; v < V; ++v)
                    acc[kb][r][v] = b;
        }
        for (int c = 0; c < p.C; ++c) {
            const float* xc = xp + c * p.plane + static_cast<std::size_t>(oh0) * p.Wp;
            const float* wc = pl.wp + static_cast<std::size_t>(c) * KS * KS * pl.ld + k0;
#pragma GCC unroll 5
            for (int ki = 0; ki < KS; ++ki) {
#pragma GCC unroll 5
                for (int kj = 0; kj < KS; ++kj) {
                    const float* wt = wc + (ki * KS + kj) * pl.ld;
                    __m512 w[KB];
#pragma GCC unroll 16
                    for (int kb = 0; kb < KB; ++kb)
                        w[kb] = _mm512_set1_ps(wt[kb]);
#pragma GCC unroll 16
                    for (int r = 0; r < R; ++r) {
                        const float* xr = xc + (r + ki) * p.Wp + kj;
#pragma GCC unroll 16
                        for (int v = 0; v < V; ++v) {
                            const __m512 xv = _mm512_loadu_ps(xr + v * kLanes);
#pragma GCC unroll 16
                            for (int kb = 0; kb < KB; ++kb)
                                acc[kb][r][v] = _mm512_fmadd_ps(w[kb], xv, acc[kb][r][v]);
                        }
                    }
                }
            }
        }
        const std::size_t P = static_cast<std::size_t>(pl.Ho) * pl.Wo;
        if (pl.epilogue && pl.arithmetic != EpilogueArithmetic::Mixed) {
            // applyEpilogue's arithmetic in registers: a·y + b fused or not as its compiled code
            // does it (epilogueArithmetic; this file fuses none it is not asked for), then max(0,
            // y) as Eigen's cwiseMax (y when y is −0 or NaN).
            const ConvEpilogue& e = *pl.epilogue;
            const bool fused = pl.arithmetic == EpilogueArithmetic::Fused;
#pragma GCC unroll 16
            for (int kb = 0; kb < KB; ++kb) {
                if (e.scale) {
                    const __m512 a = _mm512_set1_ps(e.scale[k0 + kb]);
                    const __m512 b = _mm512_set1_ps(e.shift[k0 + kb]);
#pragma GCC unroll 16
                    for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
                        for (int v = 0; v < V; ++v)
                            acc[kb][r][v] = fused
                                                ? _mm512_fmadd_ps(a, acc[kb][r][v], b)
                                                : _mm512_add_ps(_mm512_mul_ps(a, acc[kb][r][v]), b);
                }
                if (e.relu) {
#pragma GCC unroll 16
                    for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
                        for (int v = 0; v < V; ++v)
                            acc[kb][r][v] = _mm512_max_ps(_mm512_setzero_ps(), acc[kb][r][v]);
                }
            }
        }
#pragma GCC unroll 16
        for (int kb = 0; kb < KB; ++kb)
#pragma GCC unroll 16
            for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
                for (int v = 0; v < V; ++v) {
                    float* dst =
                        y + (k0 + kb) * P + static_cast<std::size_t>(oh0 + r) * pl.Wo + v * kLanes;
                    if (v == V - 1) {
                        _mm512_mask_storeu_ps(dst, tail, acc[kb][r][v]);
                    } else {
                        _mm512_storeu_ps(dst, acc[kb][r][v]);
                    }
                }
        if (pl.epilogue && pl.arithmetic == EpilogueArithmetic::Mixed)
            applyEpilogueRows(*pl.epilogue, k0, KB, R * pl.Wo, static_cast<std::ptrdiff_t>(P),
                              y + k0 * P + static_cast<std::size_t>(oh0) * pl.Wo);
    }
}

// Output channels [k0, k0 + KB) of one sample in tiles of R rows (then single rows).
template <int KS, int KB, int R, int V>
void rowsBlock(const ConvPlan& pl, const float* xp, int k0, __mmask16 tail, float* y) {
    const int tiles = pl.Ho / R;
    rowsTiles<KS, KB, R, V>(pl, xp, k0, 0, tiles, tail, y);
    if (tiles * R < pl.Ho)
        rowsTiles<KS, KB, 1, V>(pl, xp, k0, tiles * R, pl.Ho - tiles * R, tail, y);
}

// Output channels [kBegin, kEnd) of one sample: channel blocks of KB in tiles of R rows; the
// channels left in blocks of 4 (when KB is larger), then single channels, in tiles of RR rows
// (LeNet-5's c1 has 6 channels).
template <int KS, int KB, int R, int V, int RR = R>
void rowsChannels(const ConvPlan& pl, const float* xp, int kBegin, int kEnd, float* y) {
    const __mmask16 tail = tailMask(pl.Wo);
    int k = kBegin;
    for (; k + KB <= kEnd; k += KB)
        rowsBlock<KS, KB, R, V>(pl, xp, k, tail, y);
    if constexpr (KB > 4) {
        for (; k + 4 <= kEnd; k += 4)
            rowsBlock<KS, 4, RR, V>(pl, xp, k, tail, y);
    }
    for (; k < kEnd; ++k)
        rowsBlock<KS, 1, RR, V>(pl, xp, k, tail, y);
}

// The tile shape by the row's vectors V, keeping KB·R·V at 16–24 accumulators.
template <int KS>
void rowsSample(const ConvPlan& pl, const float* xp, int kBegin, int kEnd, float* y) {
    switch ((pl.Wo + kLanes - 1) / kLanes) {
        case 1:
            rowsChannels<KS, 4, 4, 1>(pl, xp, kBegin, kEnd, y);
            break;
        case 2:
            rowsChannels<KS, 8, 1, 2, 2>(pl, xp, kBegin, kEnd, y);
            break;
        case 3:
            rowsChannels<KS, 2, 4, 3>(pl, xp, kBegin, kEnd, y);
            break;
        default:
            rowsChannels<KS, 2, 2, 4>(pl, xp, kBegin, kEnd, y);
            break;
    }
}

// ---- Lanes kernel: output channels along the vector lanes, any stride and width ----

constexpr int kTilePositions = 6;

// Output positions (offsets `offs` in the padded sample) × output channels [16·kv0,
// 16·(kv0 + KV)): per input channel and tap, KV weight vectors meet PB broadcast inputs. yT is
// (positions, ld).
template <int KS, int PB, int KV>
void lanesTile(const ConvPlan& pl, const float* xp, const float* bias16, int kv0, const int* offs,
               float* yT) {
    const Padded& p = *pl.p;
    __m512 acc[PB][KV];
#pragma GCC unroll 16
    for (int kv = 0; kv < KV; ++kv) {
        const __m512 b =
            bias16 ? _mm512_loadu_ps(bias16 + (kv0 + kv) * kLanes) : _mm512_setzero_ps();
#pragma GCC unroll 16
        for (int pb = 0; pb < PB; ++pb)
            acc[pb][kv] = b;
    }
    for (int c = 0; c < p.C; ++c) {
        const float* xc = xp + c * p.plane;
        const float* wc = pl.wp + static_cast<std::size_t>(c) * KS * KS * pl.ld + kv0 * kLanes;
#pragma GCC unroll 5
        for (int ki = 0; ki < KS; ++ki)
#pragma GCC unroll 5
            for (int kj = 0; kj < KS; ++kj) {
                __m512 w[KV];
#pragma GCC unroll 16
                for (int kv = 0; kv < KV; ++kv)
                    w[kv] = _mm512_loadu_ps(wc + (ki * KS + kj) * pl.ld + kv * kLanes);
                const float* xt = xc + ki * p.Wp + kj;
#pragma GCC unroll 16
                for (int pb = 0; pb < PB; ++pb) {
                    const __m512 xv = _mm512_set1_ps(xt[offs[pb]]);
#pragma GCC unroll 16
                    for (int kv = 0; kv < KV; ++kv)
                        acc[pb][kv] = _mm512_fmadd_ps(w[kv], xv, acc[pb][kv]);
                }
            }
    }
#pragma GCC unroll 16
    for (int pb = 0; pb < PB; ++pb)
#pragma GCC unroll 16
        for (int kv = 0; kv < KV; ++kv)
            _mm512_storeu_ps(yT + static_cast<std::size_t>(pb) * pl.ld + (kv0 + kv) * kLanes,
                             acc[pb][kv]);
}

// One sample, all output channels, through yT (positions + slack, ld); then y (Kout, Ho·Wo).
template <int KS>
void lanesSample(const ConvPlan& pl, const float* xp, const float* bias16, float* yT, float* y) {
    const int P = pl.Ho * pl.Wo;
    const int vectors = pl.ld / kLanes;
    for (int p0 = 0; p0 < P; p0 += kTilePositions) {
        int offs[kTilePositions];
        for (int i = 0; i < kTilePositions; ++i) {
            const int q = minInt(p0 + i, P - 1);  // a last, partial tile repeats a position
            offs[i] = q / pl.Wo * pl.S * pl.p->Wp + q % pl.Wo * pl.S;
        }
        float* out = yT + static_cast<std::size_t>(p0) * pl.ld;
        int kv = 0;
        for (; kv + 4 <= vectors; kv += 4)
            lanesTile<KS, kTilePositions, 4>(pl, xp, bias16, kv, offs, out);
        for (; kv + 2 <= vectors; kv += 2)
            lanesTile<KS, kTilePositions, 2>(pl, xp, bias16, kv, offs, out);
        for (; kv < vectors; ++kv)
            lanesTile<KS, kTilePositions, 1>(pl, xp, bias16, kv, offs, out);
    }
    for (int k = 0; k < pl.Kout; ++k) {
        float* row = y + static_cast<std::size_t>(k) * P;
        for (int q = 0; q < P; ++q)
            row[q] = yT[static_cast<std::size_t>(q) * pl.ld + k];
    }
}

// ---- Driver: y (N, Kout, Ho, Wo) from x (N, Cin, H, W) ----

// body(xp, n, k0, k1) for every sample n of x (N samples `xs` floats apart) padded as p into xp,
// and its output channels [k0, k1) of [0, channels): samples spread over the threads when there
// are enough of them (or on the calling thread when not `parallel`); a smaller batch (one image
// in the window) is padded once and each sample's channels split into T parts.
template <typename F>
void samplesOrChannels(const Padded& p, int N, int channels, const float* x, std::size_t xs,
                       bool parallel, F&& body) {
    const int T = numThreads();
    if (N >= T || !parallel) {
        parallelFor(N, parallel, [&](int n) {
            float* xp = scratch(kPadded, p.size);
            padSample(p, x + n * xs, xp);
            body(static_cast<const float*>(xp), n, 0, channels);
        });
        return;
    }
    float* padded = scratch(kPadded, p.size * N);
    for (int n = 0; n < N; ++n)
        padSample(p, x + n * xs, padded + p.size * n);
    parallelFor(N * T, true, [&](int i) {
        const int n = i / T, part = i % T;
        const int k0 = static_cast<int>(static_cast<std::int64_t>(channels) * part / T);
        const int k1 = static_cast<int>(static_cast<std::int64_t>(channels) * (part + 1) / T);
        if (k0 < k1) body(static_cast<const float*>(padded + p.size * n), n, k0, k1);
    });
}

// The convolution of x (N, Cin, H, W) in border `border` with the weights W (forward, or the
// backward-data kernel when `backwardData`) into y (N, Kout, Ho, Wo), plus bias, then the
// epilogue. Samples are spread over threads when there are enough of them; a smaller batch (one
// image in the window) splits the rows kernel's output channels instead.
template <int KS>
void convolve(const Padded& p, int N, int Kout, int Ho, int Wo, int S, const float* x,
              const float* W, bool backwardData, const float* bias, float* y,
              const ConvEpilogue* epilogue) {
    // Rows of whole vectors go to the rows kernel; a partial last vector wastes lanes (a 23-wide
    // row fills 23 of 32), so those maps, like stride 2, go to the lanes kernel — unless the
    // output channels would fill fewer of theirs (LeNet-5's c1: 28 of 32 lanes along its rows,
    // 6 of 16 along its channels).
    const bool rows =
        S == 1 && Wo <= 4 * kLanes &&
        (Wo % kLanes == 0 || static_cast<std::int64_t>(Wo) * roundUpToLanes(Kout) >
                                 static_cast<std::int64_t>(Kout) * roundUpToLanes(Wo));
    const int ld = rows ? Kout : roundUpToLanes(Kout);
    float* wp =
        scratch(direct_detail::Scratch::Weights, static_cast<std::size_t>(p.C) * KS * KS * ld);
    packWeights(W, backwardData ? p.C : Kout, backwardData ? Kout : p.C, KS * KS, backwardData, ld,
                wp);
    float* bias16 = nullptr;
    if (!rows && bias) {
        bias16 = scratch(direct_detail::Scratch::Bias, ld);
        fillZero(bias16, ld);
        std::memcpy(bias16, bias, sizeof(float) * Kout);
    }
    const ConvPlan pl{&p,
                      Kout,
                      ld,
                      wp,
                      bias,
                      Ho,
                      Wo,
                      S,
                      rows ? epilogue : nullptr,
                      epilogue ? epilogueArithmetic() : EpilogueArithmetic::Separate};
    const float* b16 = bias16;
    const std::size_t xs = static_cast<std::size_t>(p.C) * p.H * p.W;
    const std::size_t P = static_cast<std::size_t>(Ho) * Wo;
    const std::size_t ys = Kout * P;
    const std::size_t yTSize = (P + kTilePositions) * ld;
    const bool big =
        static_cast<std::int64_t>(N) * Kout * p.C * KS * KS * static_cast<std::int64_t>(P) >=
        kParallelMinWork;
    if (rows) {
        samplesOrChannels(p, N, Kout, x, xs, big, [&](const float* xp, int n, int k0, int k1) {
            rowsSample<KS>(pl, xp, k0, k1, y + n * ys);
        });
        return;
    }
    parallelFor(N, big, [&](int n) {
        float* xp = scratch(kPadded, p.size);
        padSample(p, x + n * xs, xp);
        lanesSample<KS>(pl, xp, b16, scratch(kTransposed, yTSize), y + n * ys);
        if (epilogue) applyEpilogue(*epilogue, 0, Kout, static_cast<int>(P), y + n * ys);
    });
}

// ---- Backward-weights: output channels along the lanes ----

// r[0..15] (16 rows of 16 floats) transposed: r[j] becomes column j. Pairs of rows interleaved
// within 128-bit lanes, then pairs of pairs (4 × 4 blocks per lane), then the lanes gathered.
// Always inlined: GCC 12 warns, falsely, of an uninitialized vector inside the unpack intrinsics
// (its PR 105593) when it compiles this as a function of its own.
__attribute__((always_inline)) inline void transpose16(__m512 (&r)[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    __m512 u[16];  // u[4g + j], lane L: column 4L + j of rows 4g .. 4g + 3
    for (int g = 0; g < 4; ++g) {
        const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
        const __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
        u[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int j = 0; j < 4; ++j) {
        const __m512 lo01 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44);
        const __m512 hi01 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
        const __m512 lo23 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x44);
        const __m512 hi23 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xEE);
        r[j] = _mm512_shuffle_f32x4(lo01, lo23, 0x88);
        r[4 + j] = _mm512_shuffle_f32x4(lo01, lo23, 0xDD);
        r[8 + j] = _mm512_shuffle_f32x4(hi01, hi23, 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(hi01, hi23, 0xDD);
    }
}

// One sample's dy (K, P) as (P, K16): output channels along the vector lanes, the extra lanes
// zero. Blocks of 16 channels × 16 positions transposed in registers (one float at a time, this
// took a fifth of ResNet-20's 16-channel weight gradients).
void transposeDy(const float* dy, int K, int P, int K16, float* dyT) {
    const int whole = P / kLanes * kLanes;
    for (int k0 = 0; k0 < K16; k0 += kLanes) {
        const int rows = minInt(kLanes, K - k0);
        for (int q0 = 0; q0 < whole; q0 += kLanes) {
            __m512 r[kLanes];
            for (int i = 0; i < kLanes; ++i)
                r[i] = i < rows ? _mm512_loadu_ps(dy + static_cast<std::size_t>(k0 + i) * P + q0)
                                : _mm512_setzero_ps();
            transpose16(r);
            for (int j = 0; j < kLanes; ++j)
                _mm512_store_ps(dyT + static_cast<std::size_t>(q0 + j) * K16 + k0, r[j]);
        }
        for (int q = whole; q < P; ++q)
            for (int i = 0; i < kLanes; ++i)
                dyT[static_cast<std::size_t>(q) * K16 + k0 + i] =
                    i < rows ? dy[static_cast<std::size_t>(k0 + i) * P + q] : 0.0f;
    }
}

// A group of samples: padded inputs side by side, dy transposed side by side.
struct TransposedGroup {
    const float* xp;   // G padded samples, p.size floats apart
    const float* dyT;  // G samples of (Ho·Wo, K16)
    int K16, G;
    int Ho, Wo, S;  // output size, stride
};

// Adds a tile's accumulators (lanes = output channels from vector kv0 on) to the thread's dWᵀ
// (C, k², K16): whole vectors, no lanes taken apart.
template <int KV, int TAPS>
void addLanes(const __m512 (&acc)[KV][TAPS], int kv0, int K16, int c, int taps, int t0,
              float* dWT) {
    for (int kv = 0; kv < KV; ++kv)
        for (int t = 0; t < TAPS; ++t) {
            float* dst =
                dWT + (static_cast<std::size_t>(c) * taps + t0 + t) * K16 + (kv0 + kv) * kLanes;
            _mm512_store_ps(dst, _mm512_add_ps(_mm512_load_ps(dst), acc[kv][t]));
        }
}

// dW[k, c, ki, kj] += Σ_n Σ_{oh,ow} dy[n, k, oh, ow] · xpad[n, c, S·oh + ki, S·ow + kj] for the
// 16·KV output channels from vector kv0 on, input channels [c0, c0 + CB) and kernel rows
// [ki0, ki0 + KR): KV·CB·KR·k accumulators (lanes are output channels, so nothing is added up
// across lanes). Per position, KV vector loads of dy and CB·KR·k broadcasts of x feed
// KV·CB·KR·k FMAs.
template <int KS, int KR, int KV, int CB>
void weightTile(const Padded& p, const TransposedGroup& tg, int kv0, int c0, int ki0, float* dWT) {
    constexpr int TAPS = KR * KS;
    __m512 acc[CB][KV][TAPS];
#pragma GCC unroll 16
    for (int cb = 0; cb < CB; ++cb)
#pragma GCC unroll 16
        for (int kv = 0; kv < KV; ++kv)
#pragma GCC unroll 25
            for (int t = 0; t < TAPS; ++t)
                acc[cb][kv][t] = _mm512_setzero_ps();
    const std::size_t P = static_cast<std::size_t>(tg.Ho) * tg.Wo;
    for (int n = 0; n < tg.G; ++n) {
        const float* dn = tg.dyT + P * tg.K16 * n + kv0 * kLanes;
        const float* xn = tg.xp + p.size * n + c0 * p.plane + static_cast<std::size_t>(ki0) * p.Wp;
        for (int oh = 0; oh < tg.Ho; ++oh) {
            const float* drow = dn + static_cast<std::size_t>(oh) * tg.Wo * tg.K16;
            const float* xrow = xn + static_cast<std::size_t>(oh) * tg.S * p.Wp;
            for (int ow = 0; ow < tg.Wo; ++ow) {
                __m512 d[KV];
#pragma GCC unroll 16
                for (int kv = 0; kv < KV; ++kv)
                    d[kv] =
                        _mm512_load_ps(drow + static_cast<std::size_t>(ow) * tg.K16 + kv * kLanes);
                const float* xo = xrow + ow * tg.S;
#pragma GCC unroll 16
                for (int cb = 0; cb < CB; ++cb)
#pragma GCC unroll 5
                    for (int ki = 0; ki < KR; ++ki)
#pragma GCC unroll 5
                        for (int kj = 0; kj < KS; ++kj) {
                            const __m512 xv = _mm512_set1_ps(xo[cb * p.plane + ki * p.Wp + kj]);
#pragma GCC unroll 16
                            for (int kv = 0; kv < KV; ++kv)
                                acc[cb][kv][ki * KS + kj] =
                                    _mm512_fmadd_ps(d[kv], xv, acc[cb][kv][ki * KS + kj]);
                        }
            }
        }
    }
    for (int cb = 0; cb < CB; ++cb)
        addLanes(acc[cb], kv0, tg.K16, c0 + cb, KS * KS, ki0 * KS, dWT);
}

// All of dW for a group, 3×3 in tiles of 18 accumulators: 2 vectors × 9 taps, or a last vector ×
// 2 channels × 9 taps (5×5: 25).
template <int KS>
void weightGroup(const Padded& p, const TransposedGroup& tg, float* dWT) {
    static_assert(KS == 3 || KS == 5, "whole-kernel tiles: 3×3 and 5×5 only");
    if constexpr (KS == 5) {
        // 5×5 layers have few channels (LeNet-5's): one vector of output channels × one input
        // channel × the 25 taps, 25 accumulators.
        for (int kv = 0; kv < tg.K16 / kLanes; ++kv)
            for (int c = 0; c < p.C; ++c)
                weightTile<5, 5, 1, 1>(p, tg, kv, c, 0, dWT);
        return;
    }
    constexpr int KR = KS;
    const auto tiles = [&](auto kvs, auto cbs, int kv) {
        constexpr int KV = decltype(kvs)::value, CB = decltype(cbs)::value;
        int c = 0;
        const auto channels = [&](auto n) {
            constexpr int B = decltype(n)::value;
            for (int ki = 0; ki < KS; ki += KR)
                weightTile<KS, KR, KV, B>(p, tg, kv, c, ki, dWT);
            c += B;
        };
        while (c + CB <= p.C)
            channels(std::integral_constant<int, CB>{});
        while (c < p.C)
            channels(std::integral_constant<int, 1>{});
    };
    using I1 = std::integral_constant<int, 1>;
    using I2 = std::integral_constant<int, 2>;
    const int vectors = tg.K16 / kLanes;
    int kv = 0;
    for (; kv + 2 <= vectors; kv += 2)
        tiles(I2{}, I1{}, kv);
    for (; kv < vectors; ++kv)
        tiles(I1{}, I2{}, kv);
}

// ---- Backward-weights, stride 1, rows of whole vectors: output positions along the lanes ----

// out[i] = the Σ of v[i]'s lanes, for i < count ≤ 16: the vectors transposed, then added. GCC 12
// warns here of the unpack and shuffle intrinsics' own uninitialized vector (its PR 105593, as
// above), so the warning is off for this function only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
void sumLanes(const __m512* v, int count, float* out) {
    __m512 r[kLanes];
    for (int i = 0; i < kLanes; ++i)
        r[i] = i < count ? v[i] : _mm512_setzero_ps();
    transpose16(r);
    __m512 sum = r[0];
    for (int i = 1; i < kLanes; ++i)
        sum = _mm512_add_ps(sum, r[i]);
    _mm512_mask_storeu_ps(out, static_cast<__mmask16>((1u << count) - 1), sum);
}
#pragma GCC diagnostic pop

// dW by output positions along the lanes (3×3, stride 1, rows of V whole vectors), one sample
// at a time: dy is read as it lies, with no transposition. acc holds one vector of partial sums
// per weight, (C, 9, K) vectors, whose lanes are summed once per group of samples.

float laneSum(__m512 v);

// Output channels [k0, k0 + KB), input channel c and kernel row ki of one sample: per 16 positions
// of a row, 3 loads of the padded input (the row's three taps) and KB of dy feed 3·KB FMAs into
// 3·KB accumulators, then added to acc. The block's dy (KB rows of the map) stays in L1 over the
// sample's C·3 tiles. With Bias ≥ 0, the tile also adds the Σ of channel k0 + Bias's dy to
// db[k0 + Bias], from the vectors it loads anyway: in the order of sumFloats, so the same bits.
template <int KB, int V, int Bias = -1>
void rowsWeightTile(const Padded& p, const float* xp, const float* dy, int Ho, int Wo, int K,
                    int k0, int c, int ki, float* acc, float* db) {
    __m512 bias = _mm512_setzero_ps();
    __m512 a[KB][3];
#pragma GCC unroll 8
    for (int kb = 0; kb < KB; ++kb)
#pragma GCC unroll 3
        for (int kj = 0; kj < 3; ++kj)
            a[kb][kj] = _mm512_setzero_ps();
    const std::size_t P = static_cast<std::size_t>(Ho) * Wo;
    const float* dk = dy + k0 * P;
    const float* xc = xp + c * p.plane + static_cast<std::size_t>(ki) * p.Wp;
    for (int oh = 0; oh < Ho; ++oh) {
        const float* dr = dk + static_cast<std::size_t>(oh) * Wo;
        const float* xr = xc + static_cast<std::size_t>(oh) * p.Wp;
        for (int v = 0; v < V; ++v) {
            __m512 xv[3];
#pragma GCC unroll 3
            for (int kj = 0; kj < 3; ++kj)
                xv[kj] = _mm512_loadu_ps(xr + kj + v * kLanes);
#pragma GCC unroll 8
            for (int kb = 0; kb < KB; ++kb) {
                __m512 d = _mm512_loadu_ps(dr + kb * P + v * kLanes);
                // One load into a register: left to itself, GCC (short of registers) folds the
                // load into each of the 3 FMAs, which ran this kernel at half the speed.
                asm("" : "+v"(d));
#pragma GCC unroll 3
                for (int kj = 0; kj < 3; ++kj)
                    a[kb][kj] = _mm512_fmadd_ps(d, xv[kj], a[kb][kj]);
                if (kb == Bias) bias = _mm512_add_ps(bias, d);
            }
        }
    }
#pragma GCC unroll 3
    for (int kj = 0; kj < 3; ++kj) {
        float* dst = acc + ((static_cast<std::size_t>(c) * 9 + ki * 3 + kj) * K + k0) * kLanes;
#pragma GCC unroll 8
        for (int kb = 0; kb < KB; ++kb)
            _mm512_store_ps(dst + kb * kLanes,
                            _mm512_add_ps(_mm512_load_ps(dst + kb * kLanes), a[kb][kj]));
    }
    if constexpr (Bias >= 0) db[k0 + Bias] += laneSum(bias);
}

// rowsWeightTile summing the bias gradient of channel k0 + t, each t its own template argument:
// the sum reuses a register the unrolled loop names. A t past the block (more tiles than
// channels) runs the tile without a bias sum.
template <int KB, int V, int B = 0>
void rowsWeightTileBias(int t, const Padded& p, const float* xp, const float* dy, int Ho, int Wo,
                        int K, int k0, int c, int ki, float* acc, float* db) {
    if constexpr (B < KB) {
        if (t == B) {
            rowsWeightTile<KB, V, B>(p, xp, dy, Ho, Wo, K, k0, c, ki, acc, db);
        } else {
            rowsWeightTileBias<KB, V, B + 1>(t, p, xp, dy, Ho, Wo, K, k0, c, ki, acc, db);
        }
    } else {
        rowsWeightTile<KB, V>(p, xp, dy, Ho, Wo, K, k0, c, ki, acc, nullptr);
    }
}

float sumFloats(const float* v, int n);

// Output channels [k0, k0 + KB) of one sample, over every input channel and kernel row, and
// their bias gradients into db (when non-null): the C·3 tiles sum one channel's each, and the
// channels left (with one or two input channels) are summed after them, while the block's dy is
// in L1. (A pass of its own over the block's dy took 6% of vgg-cifar's first weight gradient.)
template <int KB, int V>
void rowsWeightBlock(const Padded& p, const float* xp, const float* dy, int Ho, int Wo, int K,
                     int k0, float* acc, float* db) {
    int t = 0;
    for (int c = 0; c < p.C; ++c)
        for (int ki = 0; ki < 3; ++ki, ++t) {
            if (db) {
                rowsWeightTileBias<KB, V>(t, p, xp, dy, Ho, Wo, K, k0, c, ki, acc, db);
            } else {
                rowsWeightTile<KB, V>(p, xp, dy, Ho, Wo, K, k0, c, ki, acc, nullptr);
            }
        }
    if (db) {
        const int P = Ho * Wo;
        for (int kb = t; kb < KB; ++kb)
            db[k0 + kb] += sumFloats(dy + static_cast<std::size_t>(k0 + kb) * P, P);
    }
}

// One sample into acc and db: blocks of 8 output channels (24 accumulators), then of 4, then
// single.
template <int V>
void rowsWeightSample(const Padded& p, const float* xp, const float* dy, int Ho, int Wo, int K,
                      float* acc, float* db) {
    int k0 = 0;
    for (; k0 + 8 <= K; k0 += 8)
        rowsWeightBlock<8, V>(p, xp, dy, Ho, Wo, K, k0, acc, db);
    for (; k0 + 4 <= K; k0 += 4)
        rowsWeightBlock<4, V>(p, xp, dy, Ho, Wo, K, k0, acc, db);
    for (; k0 < K; ++k0)
        rowsWeightBlock<1, V>(p, xp, dy, Ho, Wo, K, k0, acc, db);
}

// dWᵀ (C, 9, K16) += the lanes of acc's (C, 9, K) vectors summed, 16 at a time.
void addLaneSums(const float* acc, int C, int K, int K16, float* dWT) {
    const std::size_t rows = static_cast<std::size_t>(C) * 9;
    for (std::size_t r = 0; r < rows; ++r)
        for (int k0 = 0; k0 < K; k0 += kLanes) {
            alignas(64) float sums[kLanes];
            const int n = minInt(kLanes, K - k0);
            sumLanes(reinterpret_cast<const __m512*>(acc + (r * K + k0) * kLanes), n, sums);
            for (int i = 0; i < n; ++i)
                dWT[r * K16 + k0 + i] += sums[i];
        }
}

Padded inputBorder(const ConvGeometry& g) {
    return Padded(g.C, g.H, g.W, g.ph, g.pw, g.pb, g.pr);
}

// dx is the "full" correlation of dy with the flipped kernel: dy in a border of k − 1 − pad on
// each side gives back H × W.
Padded dyBorder(const ConvGeometry& g) {
    const int k = g.kh;
    return Padded(g.K, g.Ho, g.Wo, k - 1 - g.ph, k - 1 - g.pw, k - 1 - g.pb, k - 1 - g.pr);
}

// The Σ of v's lanes in lane order, summed from memory: GCC 12 warns on its own
// _mm512_reduce_add_ps.
float laneSum(__m512 v) {
    alignas(64) float f[kLanes];
    _mm512_store_ps(f, v);
    float s = 0;
    for (float lane : f)
        s += lane;
    return s;
}

// Σ of n floats in 16 lanes, then across them.
float sumFloats(const float* v, int n) {
    __m512 acc = _mm512_setzero_ps();
    int i = 0;
    for (; i + kLanes <= n; i += kLanes)
        acc = _mm512_add_ps(acc, _mm512_loadu_ps(v + i));
    if (i < n) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(tailMask(n - i), v + i));
    return laneSum(acc);
}

template <int KS>
void backwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy, float* dW,
                     float* db, float* dWPartials, float* dbPartials, int T) {
    const Padded p = inputBorder(g);
    const std::size_t xs = static_cast<std::size_t>(g.C) * g.H * g.W;
    const int P = g.Ho * g.Wo;
    const std::size_t ys = static_cast<std::size_t>(g.K) * P;
    // Each thread sums into its own dWᵀ (C, k², K16), added into dW in thread order at the end.
    const int K16 = roundUpToLanes(g.K);
    const std::size_t tSize = static_cast<std::size_t>(g.C) * KS * KS * K16;
    // Few input channels (an image's: vgg-cifar's and ResNet-20's first layers), stride 1, rows
    // of 2–4 whole vectors: output positions along the lanes, dy read as it lies (rowsWeightTile;
    // vgg-cifar's conv1 0.46–0.52 → 0.37–0.40 ms on two threads). With more channels the
    // transposition below costs less per FMA: at 16 the two are even, at 32 on 16-wide rows the
    // transposed one was 20% faster.
    const bool rowsLanes =
        KS == 3 && g.sh == 1 && g.C <= 8 && g.Wo % kLanes == 0 && g.Wo >= 2 * kLanes;
    // Otherwise groups of samples whose padded inputs and transposed dy stay within about 512 kB
    // (in L2), worked on by one thread: each tile's accumulators run over the whole group. The
    // rows path takes groups of up to 8 samples (its lanes are summed once per group), at least
    // one group per thread when the batch has a sample per thread (8 samples in one group left
    // the other thread idle at batches up to 8).
    const std::size_t dyTSize = static_cast<std::size_t>(P) * K16;
    const std::size_t perSample = (p.size + dyTSize) * sizeof(float);
    const std::size_t fit = (512 << 10) / perSample;
    const int perThread = (N + T - 1) / T;
    const int G = rowsLanes ? minInt(8, perThread < 1 ? 1 : perThread)
                  : fit < 1 ? 1
                  : fit > 8 ? 8
                            : static_cast<int>(fit);
    const int groups = (N + G - 1) / G;
    const bool big = static_cast<std::int64_t>(N) * g.K * g.C * KS * KS * P >= kParallelMinWork;
    parallelFor(groups, big, [&](int gi) {
        const int t = threadIndex();
        const int n0 = gi * G, cnt = minInt(G, N - n0);
        float* xp = scratch(kPadded, p.size * (rowsLanes ? 1 : cnt));
        float* dbt = db ? dbPartials + static_cast<std::size_t>(g.K) * t : nullptr;
        if (rowsLanes) {
            // The bias gradient summed per block of channels, while its dy is in L1.
            const std::size_t accSize = static_cast<std::size_t>(g.C) * 9 * g.K * kLanes;
            float* acc = scratch(kTransposed, accSize);
            fillZero(acc, accSize);
            for (int j = 0; j < cnt; ++j) {
                padSample(p, x + (n0 + j) * xs, xp);
                const float* dyn = dy + (n0 + j) * ys;
                switch (g.Wo / kLanes) {  // 2 to 4 (directConvApplies: rows of at most 64)
                    case 2:
                        rowsWeightSample<2>(p, xp, dyn, g.Ho, g.Wo, g.K, acc, dbt);
                        break;
                    case 3:
                        rowsWeightSample<3>(p, xp, dyn, g.Ho, g.Wo, g.K, acc, dbt);
                        break;
                    default:
                        rowsWeightSample<4>(p, xp, dyn, g.Ho, g.Wo, g.K, acc, dbt);
                        break;
                }
            }
            addLaneSums(acc, g.C, g.K, K16, dWPartials + tSize * t);
        } else {
            float* dyT = scratch(kTransposed, dyTSize * cnt);
            for (int j = 0; j < cnt; ++j) {
                padSample(p, x + (n0 + j) * xs, xp + p.size * j);
                transposeDy(dy + (n0 + j) * ys, g.K, P, K16, dyT + dyTSize * j);
            }
            weightGroup<KS>(p, TransposedGroup{xp, dyT, K16, cnt, g.Ho, g.Wo, g.sh},
                            dWPartials + tSize * t);
            if (dbt) {
                for (int j = 0; j < cnt; ++j)
                    for (int k = 0; k < g.K; ++k)
                        dbt[k] +=
                            sumFloats(dy + (n0 + j) * ys + static_cast<std::size_t>(k) * P, P);
            }
        }
    });
    const int taps = KS * KS;
    for (int t = 0; t < T; ++t) {
        const float* dWT = dWPartials + tSize * t;
        for (int k = 0; k < g.K; ++k)
            for (int c = 0; c < g.C; ++c)
                for (int tap = 0; tap < taps; ++tap)
                    dW[(static_cast<std::size_t>(k) * g.C + c) * taps + tap] +=
                        dWT[(static_cast<std::size_t>(c) * taps + tap) * K16 + k];
        if (db) {
            for (int k = 0; k < g.K; ++k)
                db[k] += dbPartials[static_cast<std::size_t>(g.K) * t + k];
        }
    }
}

}  // namespace

std::size_t partialFloats(const ConvGeometry& g) {
    return static_cast<std::size_t>(g.C) * g.kh * g.kw * roundUpToLanes(g.K);
}

void forward3(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
              float* y, const ConvEpilogue* epilogue) {
    convolve<3>(inputBorder(g), N, g.K, g.Ho, g.Wo, g.sh, x, W, false, b, y, epilogue);
}

void forward5(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
              float* y, const ConvEpilogue* epilogue) {
    convolve<5>(inputBorder(g), N, g.K, g.Ho, g.Wo, g.sh, x, W, false, b, y, epilogue);
}

void backwardData3(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx) {
    convolve<3>(dyBorder(g), N, g.C, g.H, g.W, 1, dy, W, true, nullptr, dx, nullptr);
}

// ---- Backward-data at stride 2 (3×3, padding 1), phase by phase, rows of whole vectors ----

// dx rows 2a and 2a + 1 for dy rows a in [a0, a0 + R), dx columns 2·b0 … 2·b0 + 31, channels
// [c0, c0 + CB) of one sample. Phase (i, j) of dx's 2 × 2 blocks takes dy[k, a + u, b + v]
// through tap (i + 1 − 2u, j + 1 − 2v) where it exists: 1, 2, 2 and 4 taps, 9 multiply-adds per
// dy value and dx channel. Per dy channel k, R + 1 rows × 2 shifts of dy meet the 9 weights of
// each channel (broadcast). Each accumulator takes its taps in the order of the 2×2 phase
// convolution below (k, then u, then v), which also adds the missing taps' zero products: those
// leave a finite sum as it is, so the bits are the same, but for the sign of a zero (a product
// under the smallest subnormal rounds to −0, which the old path's next +0 product turned into
// +0) and where dy holds an infinity or NaN (the old path's 0 · ∞ gave NaN at dx positions the
// value does not reach; this one follows the formula). The two column phases are interleaved
// in registers as they are stored.
template <int CB, int R>
void stride2PhasesTile(const Padded& p, const float* dyp, const float* W, int C, int c0, int a0,
                       int b0, int H, int Wd, float* dx) {
    __m512 acc[R][4][CB];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int ph = 0; ph < 4; ++ph)
#pragma GCC unroll 4
            for (int cb = 0; cb < CB; ++cb)
                acc[r][ph][cb] = _mm512_setzero_ps();
    for (int k = 0; k < p.C; ++k) {
        const float* dk = dyp + k * p.plane + static_cast<std::size_t>(a0) * p.Wp + b0;
        __m512 d[R + 1][2];
#pragma GCC unroll 4
        for (int r = 0; r <= R; ++r) {
            d[r][0] = _mm512_loadu_ps(dk + r * p.Wp);
            d[r][1] = _mm512_loadu_ps(dk + r * p.Wp + 1);
        }
        const float* wk = W + (static_cast<std::size_t>(k) * C + c0) * 9;
#pragma GCC unroll 4
        for (int cb = 0; cb < CB; ++cb) {
            const float* w = wk + cb * 9;  // w[ki·3 + kj]
            const auto tap = [w](int t) { return _mm512_set1_ps(w[t]); };
#pragma GCC unroll 4
            for (int r = 0; r < R; ++r) {
                __m512* a = acc[r][0];  // (0, 0): (u, v) = (0, 0) through (1, 1)
                a[cb] = _mm512_fmadd_ps(tap(4), d[r][0], a[cb]);
                a = acc[r][1];  // (0, 1): (0, 0) through (1, 2); (0, 1) through (1, 0)
                a[cb] = _mm512_fmadd_ps(tap(5), d[r][0], a[cb]);
                a[cb] = _mm512_fmadd_ps(tap(3), d[r][1], a[cb]);
                a = acc[r][2];  // (1, 0): (0, 0) through (2, 1); (1, 0) through (0, 1)
                a[cb] = _mm512_fmadd_ps(tap(7), d[r][0], a[cb]);
                a[cb] = _mm512_fmadd_ps(tap(1), d[r + 1][0], a[cb]);
                a = acc[r][3];  // (1, 1): (0,0) (2,2); (0,1) (2,0); (1,0) (0,2); (1,1) (0,0)
                a[cb] = _mm512_fmadd_ps(tap(8), d[r][0], a[cb]);
                a[cb] = _mm512_fmadd_ps(tap(6), d[r][1], a[cb]);
                a[cb] = _mm512_fmadd_ps(tap(2), d[r + 1][0], a[cb]);
                a[cb] = _mm512_fmadd_ps(tap(0), d[r + 1][1], a[cb]);
            }
        }
    }
    // dx[2b] from the even column phase, dx[2b + 1] from the odd one.
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi =
        _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int i = 0; i < 2; ++i)
#pragma GCC unroll 4
            for (int cb = 0; cb < CB; ++cb) {
                float* row =
                    dx + (static_cast<std::size_t>(c0 + cb) * H + 2 * (a0 + r) + i) * Wd + 2 * b0;
                const __m512 even = acc[r][2 * i][cb], odd = acc[r][2 * i + 1][cb];
                _mm512_storeu_ps(row, _mm512_permutex2var_ps(even, lo, odd));
                _mm512_storeu_ps(row + kLanes, _mm512_permutex2var_ps(even, hi, odd));
            }
}

// Channels [c0, c0 + CB) of one sample, dy columns [b0, b0 + 16): rows in pairs, then one.
template <int CB>
void stride2PhasesBlock(const Padded& p, const float* dyp, const float* W, int C, int c0, int b0,
                        int Ho, int H, int Wd, float* dx) {
    int a = 0;
    for (; a + 2 <= Ho; a += 2)
        stride2PhasesTile<CB, 2>(p, dyp, W, C, c0, a, b0, H, Wd, dx);
    for (; a < Ho; ++a)
        stride2PhasesTile<CB, 1>(p, dyp, W, C, c0, a, b0, H, Wd, dx);
}

// dx of a stride-2 3×3 convolution with padding 1 on even maps whose output rows are whole
// vectors (ResNet-20's 16-wide downsampling layer), phase by phase (samplesOrChannels).
void backwardDataStride2Phases(const ConvGeometry& g, int N, const float* W, const float* dy,
                               float* dx) {
    const Padded p(g.K, g.Ho, g.Wo, 0, 0, 1, 1);  // a zero row and column below and right
    const std::size_t ys = static_cast<std::size_t>(g.K) * g.Ho * g.Wo;
    const std::size_t xs = static_cast<std::size_t>(g.C) * g.H * g.W;
    const bool big = static_cast<std::int64_t>(N) * g.K * g.C * 9 * g.Ho * g.Wo >= kParallelMinWork;
    samplesOrChannels(p, N, g.C, dy, ys, big, [&](const float* dyp, int n, int c0, int c1) {
        float* dxn = dx + n * xs;
        for (int b0 = 0; b0 < g.Wo; b0 += kLanes) {
            int c = c0;
            for (; c + 3 <= c1; c += 3)
                stride2PhasesBlock<3>(p, dyp, W, g.C, c, b0, g.Ho, g.H, g.W, dxn);
            for (; c < c1; ++c)
                stride2PhasesBlock<1>(p, dyp, W, g.C, c, b0, g.Ho, g.H, g.W, dxn);
        }
    });
}

// Stride 2, 3×3, padding 1, even H and W (ResNet's downsampling layers): dx[c, 2a + i, 2b + j]
// reads dy[k, a + u, b + v] through tap (i + 1 − 2u, j + 1 − 2v) for u, v ∈ {0, 1} where that tap
// exists. So dx is one stride-1 convolution of dy (bordered by one row and column of zeros
// below and right) with a 2×2 kernel into 4C channels (c, i, j), zero where no tap exists, then
// laid out into dx's 2 × 2 blocks: 16 multiply-adds per channel pair where 9 are needed, in the
// direct kernels instead of col2im's scatter (21–31% of the peak on ResNet-20's two). Outputs of
// whole vectors take the phases one by one instead (backwardDataStride2Phases: 9 multiply-adds,
// no layout pass; ResNet-20's 16-wide layer 2.2 → 1.25 ms alone on two threads), with the same
// bits for finite values (stride2PhasesTile).
void backwardDataStride2(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx) {
    if (g.Wo % kLanes == 0) {
        backwardDataStride2Phases(g, N, W, dy, dx);
        return;
    }
    const int C = g.C, K = g.K, Ho = g.Ho, Wo = g.Wo;
    float* w2 = scratch(direct_detail::Scratch::WinogradU, static_cast<std::size_t>(4) * C * K * 4);
    for (int c = 0; c < C; ++c)
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j)
                for (int k = 0; k < K; ++k)
                    for (int u = 0; u < 2; ++u)
                        for (int v = 0; v < 2; ++v) {
                            const int ki = i + 1 - 2 * u, kj = j + 1 - 2 * v;
                            const bool tap = ki >= 0 && ki < 3 && kj >= 0 && kj < 3;
                            w2[((static_cast<std::size_t>(c * 4 + i * 2 + j) * K + k) * 2 + u) * 2 +
                               v] =
                                tap ? W[((static_cast<std::size_t>(k) * C + c) * 3 + ki) * 3 + kj]
                                    : 0.0f;
                        }
    const std::size_t P = static_cast<std::size_t>(Ho) * Wo;
    float* out =
        scratch(direct_detail::Scratch::WinogradV, static_cast<std::size_t>(N) * 4 * C * P);
    convolve<2>(Padded(K, Ho, Wo, 0, 0, 1, 1), N, 4 * C, Ho, Wo, 1, dy, w2, false, nullptr, out,
                nullptr);
    const std::size_t plane = static_cast<std::size_t>(g.H) * g.W;
    parallelFor(N * C, static_cast<std::int64_t>(N) * C * plane >= kParallelMinWork, [&](int nc) {
        const float* o = out + static_cast<std::size_t>(nc) * 4 * P;  // (n, c): 4 phases
        float* d = dx + static_cast<std::size_t>(nc) * plane;
        for (int a = 0; a < Ho; ++a)
            for (int i = 0; i < 2; ++i) {
                float* row = d + static_cast<std::size_t>(2 * a + i) * g.W;
                const float* even = o + (i * 2) * P + static_cast<std::size_t>(a) * Wo;
                const float* odd = even + P;
                for (int b = 0; b < Wo; ++b) {
                    row[2 * b] = even[b];
                    row[2 * b + 1] = odd[b];
                }
            }
    });
}

void backwardData5(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx) {
    convolve<5>(dyBorder(g), N, g.C, g.H, g.W, 1, dy, W, true, nullptr, dx, nullptr);
}

void backwardWeights3(const ConvGeometry& g, int N, const float* x, const float* dy, float* dW,
                      float* db, float* dWPartials, float* dbPartials, int threads) {
    backwardWeights<3>(g, N, x, dy, dW, db, dWPartials, dbPartials, threads);
}

void backwardWeights5(const ConvGeometry& g, int N, const float* x, const float* dy, float* dW,
                      float* db, float* dWPartials, float* dbPartials, int threads) {
    backwardWeights<5>(g, N, x, dy, dW, db, dWPartials, dbPartials, threads);
}

// 16 kernels at a time: each kernel's P positions as up to 4 vectors, Σ_t of its tap (broadcast)
// times T's column t; then each 16 × 16 block of (kernels, positions) transposed in registers, so
// that each position's 16 kernels are one store. (BLIS, as one product of T and wᵀ with an inner
// dimension of r² = 9, wrote 6–11 GB/s.)
void winogradWeights(const float* T, int P, int R, const float* w, int p0, int p1, float* U,
                     std::ptrdiff_t us) {
    constexpr int kMaxR = 25, kMaxVectors = 4;  // r ≤ 5, α² ≤ 64
    const int PV = (P + kLanes - 1) / kLanes;
    alignas(64) float cols[kMaxR][kMaxVectors * kLanes] = {};  // cols[t][ξ] = T[ξ][t]
    for (int t = 0; t < R; ++t)
        for (int xi = 0; xi < P; ++xi)
            cols[t][xi] = T[xi * R + t];
    const bool aligned = reinterpret_cast<std::uintptr_t>(U + p0) % 64 == 0 && us % kLanes == 0;
    int j0 = p0;
    for (; j0 + kLanes <= p1; j0 += kLanes) {
        for (int v = 0; v < PV; ++v) {
            // 16 chains of R multiply-adds side by side (one after another, each waited on its
            // own latency).
            const float* wg = w + static_cast<std::size_t>(j0) * R;
            __m512 r[kLanes];
            const __m512 c0 = _mm512_load_ps(cols[0] + v * kLanes);
#pragma GCC unroll 16
            for (int j = 0; j < kLanes; ++j)
                r[j] = _mm512_mul_ps(_mm512_set1_ps(wg[j * R]), c0);
            for (int t = 1; t < R; ++t) {
                const __m512 ct = _mm512_load_ps(cols[t] + v * kLanes);
#pragma GCC unroll 16
                for (int j = 0; j < kLanes; ++j)
                    r[j] = _mm512_fmadd_ps(_mm512_set1_ps(wg[j * R + t]), ct, r[j]);
            }
            transpose16(r);
            // U is written once and read by the products after the whole transform: streaming
            // stores (no read of the lines first) when the rows are 64-byte aligned.
            float* u = U + v * kLanes * us + j0;
            const int positions = minInt(kLanes, P - v * kLanes);
            if (positions == kLanes && aligned) {
#pragma GCC unroll 16
                for (int i = 0; i < kLanes; ++i)
                    _mm512_stream_ps(u + i * us, r[i]);
            } else {
                alignas(64) float block[kLanes][kLanes];
#pragma GCC unroll 16
                for (int i = 0; i < kLanes; ++i)
                    _mm512_store_ps(block[i], r[i]);
                for (int i = 0; i < positions; ++i)
                    _mm512_storeu_ps(u + i * us, _mm512_load_ps(block[i]));
            }
        }
    }
    for (; j0 < p1; ++j0)  // the last kernels one by one, the same sums
        for (int xi = 0; xi < P; ++xi) {
            const float* wj = w + static_cast<std::size_t>(j0) * R;
            float acc = wj[0] * cols[0][xi];
            for (int t = 1; t < R; ++t)
                acc = __builtin_fmaf(wj[t], cols[t][xi], acc);
            U[xi * us + j0] = acc;
        }
    _mm_sfence();
}

// One block of at most 16 × 16 floats transposed in registers (winograd_conv.cpp's channels-last
// copies went one float at a time: 7% of alexnet-mnist's 5×5 layer's gradients).
void transposeBlock(const float* src, std::ptrdiff_t srcStride, int rows, int cols, float* dst,
                    std::ptrdiff_t dstStride) {
    const __mmask16 colMask = static_cast<__mmask16>((1u << cols) - 1u);
    const __mmask16 rowMask = static_cast<__mmask16>((1u << rows) - 1u);
    __m512 r[kLanes];
#pragma GCC unroll 16
    for (int i = 0; i < kLanes; ++i)
        r[i] = i < rows ? _mm512_maskz_loadu_ps(colMask, src + i * srcStride) : _mm512_setzero_ps();
    transpose16(r);
#pragma GCC unroll 16
    for (int j = 0; j < kLanes; ++j)
        if (j < cols) _mm512_mask_storeu_ps(dst + j * dstStride, rowMask, r[j]);
}

// 16 kernels' taps loaded as 16 rows, transposed in registers (one float at a time, the
// tap-by-tap layers spent about 0.9 ms of each 512 × 512 2×2 pass on this copy).
void gatherTaps(const float* w, int R, int pairs, const int* taps, int count, int p0, int p1,
                float* U, std::ptrdiff_t us) {
    const __mmask16 m = static_cast<__mmask16>((1u << R) - 1u);
    const bool aligned = reinterpret_cast<std::uintptr_t>(U + p0) % 64 == 0 && us % kLanes == 0;
    const std::size_t end = static_cast<std::size_t>(pairs) * R;  // floats in w
    int j0 = p0;
    for (; j0 + kLanes <= p1; j0 += kLanes) {
        // Whole vectors (the floats past R belong to the next kernels and are not used), masked
        // where 16 floats would run past w's end (its last ⌈16 / R⌉ kernels): masked loads across
        // cache lines made this 2× slower.
        __m512 r[kLanes];
#pragma GCC unroll 16
        for (int j = 0; j < kLanes; ++j) {
            const std::size_t at = static_cast<std::size_t>(j0 + j) * R;
            r[j] = at + kLanes <= end ? _mm512_loadu_ps(w + at) : _mm512_maskz_loadu_ps(m, w + at);
        }
        transpose16(r);
        alignas(64) float rows[kLanes][kLanes];
#pragma GCC unroll 16
        for (int t = 0; t < kLanes; ++t)
            _mm512_store_ps(rows[t], r[t]);
        for (int i = 0; i < count; ++i) {
            if (aligned) {  // streamed: no read of the lines first
                _mm512_stream_ps(U + i * us + j0, _mm512_load_ps(rows[taps[i]]));
            } else {
                _mm512_storeu_ps(U + i * us + j0, _mm512_load_ps(rows[taps[i]]));
            }
        }
    }
    _mm_sfence();
    for (; j0 < p1; ++j0)
        for (int i = 0; i < count; ++i)
            U[i * us + j0] = w[static_cast<std::size_t>(j0) * R + taps[i]];
}

}  // namespace ll::direct_avx512
