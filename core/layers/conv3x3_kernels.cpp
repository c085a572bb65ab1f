#include "core/layers/conv3x3_kernels.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/parallel.h"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace ll {

#ifdef __AVX512F__

namespace {

constexpr int kLanes = 16;  // floats per AVX-512 vector
// Floats of zeros after a padded sample: a row's last vector may read past the last row.
constexpr int kSlack = 2 * kLanes;

// One sample's C channels in a zero border: (C, H + 2, W + 2), then kSlack zeros.
struct Padded {
    int C, H, W, Wp;
    std::size_t plane, size;
    Padded(int channels, int height, int width)
        : C(channels),
          H(height),
          W(width),
          Wp(width + 2),
          plane(static_cast<std::size_t>(height + 2) * (width + 2)),
          size(static_cast<std::size_t>(channels) * plane + kSlack) {}
};

void padSample(const Padded& p, const float* x, float* xp) {
    for (int c = 0; c < p.C; ++c) {
        float* dst = xp + c * p.plane;
        std::fill(dst, dst + p.Wp, 0.0f);
        for (int h = 0; h < p.H; ++h) {
            float* row = dst + static_cast<std::size_t>(h + 1) * p.Wp;
            row[0] = 0.0f;
            std::memcpy(row + 1, x + (static_cast<std::size_t>(c) * p.H + h) * p.W,
                        sizeof(float) * p.W);
            row[p.W + 1] = 0.0f;
        }
        std::fill(dst + static_cast<std::size_t>(p.H + 1) * p.Wp, dst + p.plane, 0.0f);
    }
    std::fill(xp + p.C * p.plane, xp + p.size, 0.0f);
}

// Scratch of the calling thread, grown on demand and kept (a steady-state step allocates
// nothing): one for padded samples, one for packed weights.
AlignedFloats& threadPadded(std::size_t n) {
    static thread_local AlignedFloats buf;
    if (buf.size() < n) buf.resize(n);
    return buf;
}

// Mask of the valid lanes of a row's last vector.
__mmask16 tailMask(int width) {
    const int r = width % kLanes;
    return r == 0 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << r) - 1);
}

// Weights packed (Cin, 9, Kout), so the weights a tile broadcasts for one input channel and tap
// are adjacent. Forward: Cin = C, Kout = K, wp[c, t, k] = W[k, c, t]. Backward-data: the
// transposed, flipped kernel: Cin = K, Kout = C, wp[k, t, c] = W[k, c, 8 − t].
void packForward(const float* W, int K, int C, float* wp) {
    for (int k = 0; k < K; ++k)
        for (int c = 0; c < C; ++c)
            for (int t = 0; t < 9; ++t)
                wp[(static_cast<std::size_t>(c) * 9 + t) * K + k] =
                    W[(static_cast<std::size_t>(k) * C + c) * 9 + t];
}
void packBackwardData(const float* W, int K, int C, float* wp) {
    for (int k = 0; k < K; ++k)
        for (int c = 0; c < C; ++c)
            for (int t = 0; t < 9; ++t)
                wp[(static_cast<std::size_t>(k) * 9 + t) * C + c] =
                    W[(static_cast<std::size_t>(k) * C + c) * 9 + (8 - t)];
}

// What one output map needs: the padded input, its packed weights, and where the rows go.
struct ConvPlan {
    const Padded* p;
    int Kout;
    const float* wp;    // (Cin, 9, Kout)
    const float* bias;  // (Kout) or null
    __mmask16 tail;     // valid lanes of a row's last vector
};

// Output channels [k0, k0 + KB), rows [oh0, oh0 + R), all V vectors of each row, of one sample:
// KB·R·V accumulators. For each input channel and tap, KB broadcast weights meet R·V input
// vectors (loaded from L1), so the FMAs outnumber the loads about 2 to 1.
template <int KB, int R, int V>
void convTile(const ConvPlan& pl, const float* xp, int k0, int oh0, float* y) {
    const Padded& p = *pl.p;
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
        const float* wc = pl.wp + static_cast<std::size_t>(c) * 9 * pl.Kout + k0;
#pragma GCC unroll 3
        for (int ki = 0; ki < 3; ++ki) {
#pragma GCC unroll 3
            for (int kj = 0; kj < 3; ++kj) {
                const float* wt = wc + (ki * 3 + kj) * pl.Kout;
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
    const std::size_t HW = static_cast<std::size_t>(p.H) * p.W;
#pragma GCC unroll 16
    for (int kb = 0; kb < KB; ++kb)
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
            for (int v = 0; v < V; ++v) {
                float* dst =
                    y + (k0 + kb) * HW + static_cast<std::size_t>(oh0 + r) * p.W + v * kLanes;
                if (v == V - 1) {
                    _mm512_mask_storeu_ps(dst, pl.tail, acc[kb][r][v]);
                } else {
                    _mm512_storeu_ps(dst, acc[kb][r][v]);
                }
            }
}

// Rows of output channels [k0, k0 + KB): tiles of R rows, the remainder one row at a time.
template <int KB, int R, int V>
void convRows(const ConvPlan& pl, const float* xp, int k0, float* y) {
    int oh = 0;
    for (; oh + R <= pl.p->H; oh += R)
        convTile<KB, R, V>(pl, xp, k0, oh, y);
    for (; oh < pl.p->H; ++oh)
        convTile<KB, 1, V>(pl, xp, k0, oh, y);
}

template <int KB, int R, int V>
void convChannels(const ConvPlan& pl, const float* xp, int kBegin, int kEnd, float* y) {
    int k = kBegin;
    for (; k + KB <= kEnd; k += KB)
        convRows<KB, R, V>(pl, xp, k, y);
    for (; k < kEnd; ++k)
        convRows<1, R, V>(pl, xp, k, y);
}

// Output channels [kBegin, kEnd) of one sample (Kout, H, W) from its padded input. The tile
// shape depends on the row's vectors V, keeping KB·R·V at 16–24 accumulators.
void convSample(const ConvPlan& pl, const float* xp, int kBegin, int kEnd, float* y) {
    switch ((pl.p->W + kLanes - 1) / kLanes) {
        case 1:
            convChannels<4, 4, 1>(pl, xp, kBegin, kEnd, y);
            break;
        case 2:
            convChannels<4, 2, 2>(pl, xp, kBegin, kEnd, y);
            break;
        case 3:
            convChannels<2, 4, 3>(pl, xp, kBegin, kEnd, y);
            break;
        default:
            convChannels<2, 2, 4>(pl, xp, kBegin, kEnd, y);
            break;
    }
}

// y (N, Kout, H, W) = the 3×3 "same" convolution of x (N, Cin, H, W) with packed weights wp,
// plus bias, then the epilogue. Samples are spread over threads when there are enough of them;
// a smaller batch (one image in the window) splits each sample's output channels instead.
void convolve(int N, int Cin, int Kout, int H, int W, const float* x, const float* wp,
              const float* bias, float* y, const ConvEpilogue* epilogue) {
    const Padded p(Cin, H, W);
    const ConvPlan pl{&p, Kout, wp, bias, tailMask(W)};
    const std::size_t xs = static_cast<std::size_t>(Cin) * H * W;
    const std::size_t ys = static_cast<std::size_t>(Kout) * H * W;
    const int T = numThreads();
    const bool big = static_cast<std::int64_t>(N) * Kout * Cin * 9 * H * W >= kParallelMinWork;
    if (N >= T || !big) {
        parallelFor(N, big, [&](int n) {
            float* xp = threadPadded(p.size).data();
            padSample(p, x + n * xs, xp);
            convSample(pl, xp, 0, Kout, y + n * ys);
            if (epilogue) applyEpilogue(*epilogue, 0, Kout, H * W, y + n * ys);
        });
        return;
    }
    // Fewer samples than threads: each sample padded once, its channels split into T parts.
    AlignedFloats& all = threadPadded(p.size * N);
    for (int n = 0; n < N; ++n)
        padSample(p, x + n * xs, all.data() + p.size * n);
    const float* padded = all.data();
    const int parts = T;
    parallelFor(N * parts, true, [&](int i) {
        const int n = i / parts, part = i % parts;
        const int k0 = static_cast<int>(static_cast<std::int64_t>(Kout) * part / parts);
        const int k1 = static_cast<int>(static_cast<std::int64_t>(Kout) * (part + 1) / parts);
        if (k0 == k1) return;
        convSample(pl, padded + p.size * n, k0, k1, y + n * ys);
        if (epilogue) applyEpilogue(*epilogue, k0, k1 - k0, H * W, y + n * ys + k0 * H * W);
    });
}

// Σ of the 16 lanes (without _mm512_reduce_add_ps, whose GCC 12 expansion warns).
float sum16(__m512 v) {
    const __m512d d = _mm512_castps_pd(v);
    const __m256 lo = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, d, 0));
    const __m256 hi = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, d, 1));
    const __m256 s = _mm256_add_ps(lo, hi);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

// A group of samples whose padded inputs sit side by side in the thread's buffer.
struct SampleGroup {
    const float* xp;  // G padded samples, p.size floats apart
    const float* dy;  // G samples of dy (K, H, W), ys floats apart
    std::size_t ys;
    int G;
};

// dW[k0..k0+KB, c, ki, 0..2] += Σ_n Σ_{oh,ow} dy[n, k, oh, ow] · xpad[n, c, oh + ki, ow + kj]
// over a group of samples: KB·3 accumulators; per vector of a row, KB loads of dy and 3 of x
// feed 3·KB FMAs. The lanes are added up once per group, not once per sample.
template <int KB, int V>
void weightTile(const Padded& p, const SampleGroup& sg, int c, int ki, int k0, __mmask16 tail,
                float* dW) {
    __m512 acc[KB][3];
#pragma GCC unroll 16
    for (int kb = 0; kb < KB; ++kb)
#pragma GCC unroll 3
        for (int j = 0; j < 3; ++j)
            acc[kb][j] = _mm512_setzero_ps();
    const std::size_t HW = static_cast<std::size_t>(p.H) * p.W;
    for (int n = 0; n < sg.G; ++n) {
        const float* xc = sg.xp + p.size * n + c * p.plane + static_cast<std::size_t>(ki) * p.Wp;
        const float* dyn = sg.dy + sg.ys * n + k0 * HW;
        for (int oh = 0; oh < p.H; ++oh) {
            const float* xr = xc + static_cast<std::size_t>(oh) * p.Wp;
            const float* dr = dyn + static_cast<std::size_t>(oh) * p.W;
#pragma GCC unroll 16
            for (int v = 0; v < V; ++v) {
                __m512 xv[3];
#pragma GCC unroll 3
                for (int j = 0; j < 3; ++j)
                    xv[j] = _mm512_loadu_ps(xr + v * kLanes + j);
                // The last vector's lanes past the row read zeros of dy, so they add nothing.
                const __mmask16 m = v == V - 1 ? tail : static_cast<__mmask16>(0xFFFF);
#pragma GCC unroll 16
                for (int kb = 0; kb < KB; ++kb) {
                    const __m512 d = _mm512_maskz_loadu_ps(m, dr + kb * HW + v * kLanes);
#pragma GCC unroll 3
                    for (int j = 0; j < 3; ++j)
                        acc[kb][j] = _mm512_fmadd_ps(d, xv[j], acc[kb][j]);
                }
            }
        }
    }
    const int C = p.C;
#pragma GCC unroll 16
    for (int kb = 0; kb < KB; ++kb)
#pragma GCC unroll 3
        for (int j = 0; j < 3; ++j)
            dW[(static_cast<std::size_t>(k0 + kb) * C + c) * 9 + ki * 3 + j] += sum16(acc[kb][j]);
}

template <int V>
void weightGroup(const Padded& p, const SampleGroup& sg, int K, float* dW) {
    constexpr int KB = 8;
    const __mmask16 tail = tailMask(p.W);
    int k0 = 0;
    for (; k0 + KB <= K; k0 += KB)
        for (int c = 0; c < p.C; ++c)
            for (int ki = 0; ki < 3; ++ki)
                weightTile<KB, V>(p, sg, c, ki, k0, tail, dW);
    for (; k0 < K; ++k0)
        for (int c = 0; c < p.C; ++c)
            for (int ki = 0; ki < 3; ++ki)
                weightTile<1, V>(p, sg, c, ki, k0, tail, dW);
}

}  // namespace

bool direct3x3Applies(const ConvGeometry& g) {
    return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.ph == 1 && g.pw == 1 &&
           g.pb == 1 && g.pr == 1 && g.dh == 1 && g.dw == 1 && g.groups == 1 && g.Wo >= 16 &&
           g.Wo <= 4 * kLanes && g.Ho == g.H && g.Wo == g.W;
}

void direct3x3Forward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                      float* y, const ConvEpilogue* epilogue) {
    LL_CHECK(direct3x3Applies(g), "direct 3×3 kernel called for another convolution");
    static thread_local AlignedFloats packed;
    packed.resize(static_cast<std::size_t>(g.K) * g.C * 9);
    packForward(W, g.K, g.C, packed.data());
    convolve(N, g.C, g.K, g.H, g.W, x, packed.data(), b, y, epilogue);
}

void direct3x3BackwardData(const ConvGeometry& g, int N, const float* W, const float* dy,
                           float* dx) {
    LL_CHECK(direct3x3Applies(g), "direct 3×3 kernel called for another convolution");
    static thread_local AlignedFloats packed;
    packed.resize(static_cast<std::size_t>(g.K) * g.C * 9);
    packBackwardData(W, g.K, g.C, packed.data());
    convolve(N, g.K, g.C, g.H, g.W, dy, packed.data(), nullptr, dx, nullptr);
}

void direct3x3BackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                              float* dW, float* db, ConvWorkspace& ws) {
    LL_CHECK(direct3x3Applies(g), "direct 3×3 kernel called for another convolution");
    const Padded p(g.C, g.H, g.W);
    const int T = numThreads();
    const std::size_t wSize = static_cast<std::size_t>(g.K) * g.C * 9;
    const std::size_t xs = static_cast<std::size_t>(g.C) * g.H * g.W;
    const std::size_t ys = static_cast<std::size_t>(g.K) * g.H * g.W;
    const int HW = g.H * g.W;
    ws.dWPartials.assign(wSize * T, 0.0f);
    ws.dbPartials.assign(static_cast<std::size_t>(g.K) * T, 0.0f);
    // Groups of samples whose padded inputs and dy stay within about 512 kB (in L2): the sums of
    // a group are reduced once.
    const std::size_t perSample = (p.size + ys) * sizeof(float);
    const int G = static_cast<int>(std::clamp<std::size_t>((512 << 10) / perSample, 1, 8));
    const int groups = (N + G - 1) / G;
    const bool big = static_cast<std::int64_t>(N) * g.K * g.C * 9 * HW >= kParallelMinWork;
    parallelFor(groups, big, [&](int gi) {
        const int t = threadIndex();
        const int n0 = gi * G, cnt = std::min(G, N - n0);
        float* xp = threadPadded(p.size * cnt).data();
        for (int j = 0; j < cnt; ++j)
            padSample(p, x + (n0 + j) * xs, xp + p.size * j);
        float* dWt = ws.dWPartials.data() + wSize * t;
        const SampleGroup sg{xp, dy + n0 * ys, ys, cnt};
        switch ((g.W + kLanes - 1) / kLanes) {
            case 1:
                weightGroup<1>(p, sg, g.K, dWt);
                break;
            case 2:
                weightGroup<2>(p, sg, g.K, dWt);
                break;
            case 3:
                weightGroup<3>(p, sg, g.K, dWt);
                break;
            default:
                weightGroup<4>(p, sg, g.K, dWt);
                break;
        }
        if (db) {
            float* dbt = ws.dbPartials.data() + static_cast<std::size_t>(g.K) * t;
            for (int j = 0; j < cnt; ++j)
                for (int k = 0; k < g.K; ++k)
                    dbt[k] +=
                        ConstVectorMap(dy + (n0 + j) * ys + static_cast<std::size_t>(k) * HW, HW)
                            .sum();
        }
    });
    ws.addPartials(T, wSize, g.K, dW, db);
}

#else  // no AVX-512: the im2col + GEMM kernels compute every convolution

bool direct3x3Applies(const ConvGeometry&) {
    return false;
}
void direct3x3Forward(const ConvGeometry&, int, const float*, const float*, const float*, float*,
                      const ConvEpilogue*) {
    LL_CHECK(false, "direct 3×3 kernels need an AVX-512 build");
}
void direct3x3BackwardData(const ConvGeometry&, int, const float*, const float*, float*) {
    LL_CHECK(false, "direct 3×3 kernels need an AVX-512 build");
}
void direct3x3BackwardWeights(const ConvGeometry&, int, const float*, const float*, float*, float*,
                              ConvWorkspace&) {
    LL_CHECK(false, "direct 3×3 kernels need an AVX-512 build");
}

#endif

}  // namespace ll
