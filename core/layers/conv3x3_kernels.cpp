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

AlignedFloats& threadTransposed(std::size_t n) {
    static thread_local AlignedFloats buf;
    if (buf.size() < n) buf.resize(n);
    return buf;
}

// One sample's dy (K, HW) as (HW, K16): output channels along the vector lanes, K16 = K rounded up
// to 16, the extra lanes zero.
void transposeDy(const float* dy, int K, int HW, int K16, float* dyT) {
    for (int p = 0; p < HW; ++p)
        std::fill(dyT + static_cast<std::size_t>(p) * K16 + K,
                  dyT + static_cast<std::size_t>(p + 1) * K16, 0.0f);
    for (int k = 0; k < K; ++k) {
        const float* src = dy + static_cast<std::size_t>(k) * HW;
        for (int p = 0; p < HW; ++p)
            dyT[static_cast<std::size_t>(p) * K16 + k] = src[p];
    }
}

// A group of samples: padded inputs side by side, dy transposed side by side.
struct TransposedGroup {
    const float* xp;   // G padded samples, p.size floats apart
    const float* dyT;  // G samples of (Ho·Wo, K16)
    int K16, G;
    int Ho, Wo, S;  // output size, stride
};

// dW[k, c, t] += Σ_n Σ_{oh,ow} dy[n, k, oh, ow] · xpad[n, c, oh + ki, ow + kj] for the 16·KV output
// channels from vector kv0 on and input channels [c0, c0 + CB): lanes are output channels, so the
// KV·CB·9 accumulators need no adding up across lanes. Per position, KV vector loads of dy and
// 9·CB broadcasts of x feed 9·CB·KV FMAs.
template <int KV, int CB>
void weightTileK(const Padded& p, const TransposedGroup& tg, int kv0, int c0, int K, float* dW) {
    __m512 acc[KV][CB][9];
#pragma GCC unroll 16
    for (int kv = 0; kv < KV; ++kv)
#pragma GCC unroll 16
        for (int cb = 0; cb < CB; ++cb)
#pragma GCC unroll 9
            for (int t = 0; t < 9; ++t)
                acc[kv][cb][t] = _mm512_setzero_ps();
    const std::size_t HWo = static_cast<std::size_t>(tg.Ho) * tg.Wo;
    for (int n = 0; n < tg.G; ++n) {
        const float* dn = tg.dyT + HWo * tg.K16 * n + kv0 * kLanes;
        const float* xn = tg.xp + p.size * n + c0 * p.plane;
        for (int oh = 0; oh < tg.Ho; ++oh) {
            const float* drow = dn + static_cast<std::size_t>(oh) * tg.Wo * tg.K16;
            const float* xrow = xn + static_cast<std::size_t>(oh) * tg.S * p.Wp;
            for (int ow = 0; ow < tg.Wo; ++ow) {
                __m512 d[KV];
#pragma GCC unroll 16
                for (int kv = 0; kv < KV; ++kv)
                    d[kv] =
                        _mm512_load_ps(drow + static_cast<std::size_t>(ow) * tg.K16 + kv * kLanes);
#pragma GCC unroll 16
                for (int cb = 0; cb < CB; ++cb)
#pragma GCC unroll 3
                    for (int ki = 0; ki < 3; ++ki)
#pragma GCC unroll 3
                        for (int kj = 0; kj < 3; ++kj) {
                            const __m512 xv =
                                _mm512_set1_ps(xrow[cb * p.plane + ki * p.Wp + kj + ow * tg.S]);
#pragma GCC unroll 16
                            for (int kv = 0; kv < KV; ++kv)
                                acc[kv][cb][ki * 3 + kj] =
                                    _mm512_fmadd_ps(d[kv], xv, acc[kv][cb][ki * 3 + kj]);
                        }
            }
        }
    }
    alignas(64) float lanes[kLanes];
    for (int kv = 0; kv < KV; ++kv)
        for (int cb = 0; cb < CB; ++cb)
            for (int t = 0; t < 9; ++t) {
                _mm512_store_ps(lanes, acc[kv][cb][t]);
                for (int l = 0; l < kLanes; ++l) {
                    const int k = (kv0 + kv) * kLanes + l;
                    if (k < K)
                        dW[(static_cast<std::size_t>(k) * p.C + c0 + cb) * 9 + t] += lanes[l];
                }
            }
}

void weightGroupK(const Padded& p, const TransposedGroup& tg, int K, float* dW) {
    const int vectors = tg.K16 / kLanes;
    int kv = 0;
    for (; kv + 2 <= vectors; kv += 2)
        for (int c = 0; c < p.C; ++c)
            weightTileK<2, 1>(p, tg, kv, c, K, dW);
    for (; kv < vectors; ++kv) {
        int c = 0;
        for (; c + 2 <= p.C; c += 2)
            weightTileK<1, 2>(p, tg, kv, c, K, dW);
        for (; c < p.C; ++c)
            weightTileK<1, 1>(p, tg, kv, c, K, dW);
    }
}

// Weights packed (Cin, 9, K16) for the channels-along-lanes kernel: the forward (wp[c, t, k] =
// W[k, c, t]) or the backward-data (wp[k, t, c] = W[k, c, 8 − t]) kernel of `packForward` and
// `packBackwardData`, with each tap's output channels padded with zeros to K16 = a multiple of 16.
void padLanes(const float* packed, int Cin, int Kout, int K16, float* wp) {
    for (std::size_t row = 0; row < static_cast<std::size_t>(Cin) * 9; ++row) {
        std::copy(packed + row * Kout, packed + (row + 1) * Kout, wp + row * K16);
        std::fill(wp + row * K16 + Kout, wp + (row + 1) * K16, 0.0f);
    }
}

// Output positions [p0, p0 + PB) × output channels [16·kv0, 16·(kv0 + KV)) of one sample, output
// channels along the lanes: per input channel and tap, KV weight vectors meet PB broadcast inputs.
// It needs no row of 16 outputs, so it serves the small maps (8×8 and below) the row kernel
// cannot fill. `offs` are the positions' offsets in the padded sample; yT is (positions, K16).
template <int PB, int KV>
void convTileK(const Padded& p, const float* xp, const float* wp, int K16, const float* bias16,
               int kv0, const int* offs, float* yT) {
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
        const float* wc = wp + static_cast<std::size_t>(c) * 9 * K16 + kv0 * kLanes;
#pragma GCC unroll 3
        for (int ki = 0; ki < 3; ++ki)
#pragma GCC unroll 3
            for (int kj = 0; kj < 3; ++kj) {
                __m512 w[KV];
#pragma GCC unroll 16
                for (int kv = 0; kv < KV; ++kv)
                    w[kv] = _mm512_loadu_ps(wc + (ki * 3 + kj) * K16 + kv * kLanes);
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
            _mm512_storeu_ps(yT + static_cast<std::size_t>(pb) * K16 + (kv0 + kv) * kLanes,
                             acc[pb][kv]);
}

constexpr int kTilePositions = 6;

// One sample, all output channels (an Ho × Wo map at stride S), through yT (positions + slack,
// K16); then y (Kout, Ho·Wo).
void convSampleK(const Padded& p, int Ho, int Wo, int S, const float* xp, const float* wp, int Kout,
                 int K16, const float* bias16, float* yT, float* y) {
    const int HW = Ho * Wo;
    const int vectors = K16 / kLanes;
    for (int p0 = 0; p0 < HW; p0 += kTilePositions) {
        int offs[kTilePositions];
        for (int i = 0; i < kTilePositions; ++i) {
            const int q = std::min(p0 + i, HW - 1);  // a last, partial tile repeats a position
            offs[i] = q / Wo * S * p.Wp + q % Wo * S;
        }
        float* out = yT + static_cast<std::size_t>(p0) * K16;
        int kv = 0;
        for (; kv + 4 <= vectors; kv += 4)
            convTileK<kTilePositions, 4>(p, xp, wp, K16, bias16, kv, offs, out);
        for (; kv + 2 <= vectors; kv += 2)
            convTileK<kTilePositions, 2>(p, xp, wp, K16, bias16, kv, offs, out);
        for (; kv < vectors; ++kv)
            convTileK<kTilePositions, 1>(p, xp, wp, K16, bias16, kv, offs, out);
    }
    for (int k = 0; k < Kout; ++k) {
        float* row = y + static_cast<std::size_t>(k) * HW;
        for (int q = 0; q < HW; ++q)
            row[q] = yT[static_cast<std::size_t>(q) * K16 + k];
    }
}

// convolve()'s contract, at stride S (output Ho × Wo), for maps narrower than a vector and for
// stride 2: samples over threads, each through the channels-along-lanes kernel. `packed` is
// (Cin, 9, Kout) as packForward/packBackwardData make it.
void convolveK(int N, int Cin, int Kout, int H, int W, int Ho, int Wo, int S, const float* x,
               const float* packed, const float* bias, float* y, const ConvEpilogue* epilogue) {
    const Padded p(Cin, H, W);
    const int K16 = (Kout + kLanes - 1) / kLanes * kLanes;
    static thread_local AlignedFloats wp, bias16;
    wp.resize(static_cast<std::size_t>(Cin) * 9 * K16);
    padLanes(packed, Cin, Kout, K16, wp.data());
    if (bias) {
        bias16.assign(K16, 0.0f);
        std::copy(bias, bias + Kout, bias16.begin());
    }
    const float* w16 = wp.data();
    const float* b16 = bias ? bias16.data() : nullptr;
    const std::size_t xs = static_cast<std::size_t>(Cin) * H * W;
    const std::size_t ys = static_cast<std::size_t>(Kout) * Ho * Wo;
    const std::size_t yTSize = static_cast<std::size_t>(Ho * Wo + kTilePositions) * K16;
    const bool big = static_cast<std::int64_t>(N) * Kout * Cin * 9 * Ho * Wo >= kParallelMinWork;
    parallelFor(N, big, [&](int n) {
        float* xp = threadPadded(p.size).data();
        float* yT = threadTransposed(yTSize).data();
        padSample(p, x + n * xs, xp);
        convSampleK(p, Ho, Wo, S, xp, w16, Kout, K16, b16, yT, y + n * ys);
        if (epilogue) applyEpilogue(*epilogue, 0, Kout, Ho * Wo, y + n * ys);
    });
}

}  // namespace

bool direct3x3Applies(const ConvGeometry& g) {
    const bool stride =
        (g.sh == 1 && g.sw == 1 && g.Ho == g.H && g.Wo == g.W) || (g.sh == 2 && g.sw == 2);
    return g.kh == 3 && g.kw == 3 && stride && g.ph == 1 && g.pw == 1 && g.pb == 1 && g.pr == 1 &&
           g.dh == 1 && g.dw == 1 && g.groups == 1 && g.Wo >= kLanes / 2 && g.Wo <= 4 * kLanes;
}

bool direct3x3DataApplies(const ConvGeometry& g) {
    return direct3x3Applies(g) && g.sh == 1;
}

void direct3x3Forward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                      float* y, const ConvEpilogue* epilogue) {
    LL_CHECK(direct3x3Applies(g), "direct 3×3 kernel called for another convolution");
    static thread_local AlignedFloats packed;
    packed.resize(static_cast<std::size_t>(g.K) * g.C * 9);
    packForward(W, g.K, g.C, packed.data());
    if (g.sh == 2 || g.W < kLanes) {
        convolveK(N, g.C, g.K, g.H, g.W, g.Ho, g.Wo, g.sh, x, packed.data(), b, y, epilogue);
        return;
    }
    convolve(N, g.C, g.K, g.H, g.W, x, packed.data(), b, y, epilogue);
}

void direct3x3BackwardData(const ConvGeometry& g, int N, const float* W, const float* dy,
                           float* dx) {
    LL_CHECK(direct3x3DataApplies(g), "direct 3×3 kernel called for another convolution");
    static thread_local AlignedFloats packed;
    packed.resize(static_cast<std::size_t>(g.K) * g.C * 9);
    packBackwardData(W, g.K, g.C, packed.data());
    if (g.W < kLanes) {
        convolveK(N, g.K, g.C, g.H, g.W, g.H, g.W, 1, dy, packed.data(), nullptr, dx, nullptr);
        return;
    }
    convolve(N, g.K, g.C, g.H, g.W, dy, packed.data(), nullptr, dx, nullptr);
}

void direct3x3BackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                              float* dW, float* db, ConvWorkspace& ws) {
    LL_CHECK(direct3x3Applies(g), "direct 3×3 kernel called for another convolution");
    const Padded p(g.C, g.H, g.W);
    const int T = numThreads();
    const std::size_t wSize = static_cast<std::size_t>(g.K) * g.C * 9;
    const std::size_t xs = static_cast<std::size_t>(g.C) * g.H * g.W;
    const std::size_t ys = static_cast<std::size_t>(g.K) * g.Ho * g.Wo;
    const int HW = g.Ho * g.Wo;
    ws.dWPartials.assign(wSize * T, 0.0f);
    ws.dbPartials.assign(static_cast<std::size_t>(g.K) * T, 0.0f);
    // Groups of samples whose padded inputs and transposed dy stay within about 512 kB (in L2),
    // worked on by one thread: each tile's accumulators run over the whole group.
    const int K16 = (g.K + kLanes - 1) / kLanes * kLanes;
    const std::size_t dyTSize = static_cast<std::size_t>(HW) * K16;
    const std::size_t perSample = (p.size + dyTSize) * sizeof(float);
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
        float* dyT = threadTransposed(dyTSize * cnt).data();
        for (int j = 0; j < cnt; ++j)
            transposeDy(dy + (n0 + j) * ys, g.K, HW, K16, dyT + dyTSize * j);
        weightGroupK(p, TransposedGroup{xp, dyT, K16, cnt, g.Ho, g.Wo, g.sh}, g.K, dWt);
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
bool direct3x3DataApplies(const ConvGeometry&) {
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
