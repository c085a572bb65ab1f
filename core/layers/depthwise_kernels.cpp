#include "core/layers/depthwise_kernels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "core/isa_kernels.h"
#include "core/kernels.h"
#include "core/parallel.h"

namespace ll {

namespace {

#include "core/layers/depthwise_walk.inc"

float* sized(AlignedFloats& buf, std::size_t n) {
    if (buf.size() < n) buf.resize(n);
    return buf.data();
}

using FloatArray = Eigen::Map<Eigen::ArrayXf>;
using ConstFloatArray = Eigen::Map<const Eigen::ArrayXf>;

// A padded plane: origin[r·ld + c] is element (r, c) of the padded plane.
struct PaddedView {
    const float* origin;
    int ld;
};

// Zero-bordered copies of planes: element (r, c) = src (H, W)[r − top][c − left] where that lies
// inside src, else 0 (top and left may be negative: src is then cropped). The planes of one layer
// share their geometry, so the border is written once and later planes copy only their interior.
// The copied rows start on a 64-byte boundary (rows ld = a multiple of 16 floats apart, a lead of
// zeros before them), so the inline copies need no scalar peeling — with a library call or a
// peeled copy per 32-float row, the copy would cost as much as the arithmetic on it.
class PaddedPlane {
public:
    PaddedView fill(const float* src, int H, int W, int top, int left, int rows, int cols) {
        constexpr int kAlign = 16;
        auto roundUp = [](int v) { return (v + kAlign - 1) / kAlign * kAlign; };
        const int shift = left > 0 ? roundUp(left) - left : 0;  // buffer column of padded col 0
        const int ld = roundUp(shift + cols);
        const std::array<int, 6> key{H, W, top, left, rows, cols};
        float* buf = sized(m_buf, static_cast<std::size_t>(rows) * ld);
        if (key != m_key) {
            FloatArray(buf, static_cast<Eigen::Index>(rows) * ld).setZero();
            m_key = key;
        }
        const int c0 = std::clamp(left, 0, cols);       // first padded column with a source value
        const int c1 = std::clamp(left + W, c0, cols);  // one past the last
        const int r0 = std::clamp(top, 0, rows), r1 = std::clamp(top + H, r0, rows);
        float* origin = buf + shift;
        for (int r = r0; r < r1; ++r) {
            FloatArray(origin + static_cast<std::ptrdiff_t>(r) * ld + c0, c1 - c0) =
                ConstFloatArray(src + static_cast<std::ptrdiff_t>(r - top) * W + (c0 - left),
                                c1 - c0);
        }
        return {origin, ld};
    }

private:
    AlignedFloats m_buf;
    std::array<int, 6> m_key{};  // the geometry whose zero border m_buf holds
};

// Per-thread scratch, sized on first use.
struct Scratch {
    PaddedPlane input;      // the zero-bordered input plane
    PaddedPlane gradient;   // the zero-bordered output gradient (dx by gathering)
    AlignedFloats scatter;  // the padded dx plane (dx by scattering)
    AlignedFloats taps;     // per-tap partial sums of the weight gradient, (kh·kw, Wo)
    AlignedFloats flipped;  // a kernel turned by 180°
    AlignedFloats split;    // the padded input plane split by column parity (stride 2)
};

Scratch& threadScratch() {
    static thread_local Scratch s;
    return s;
}

// The plane (rows, cols) at p split by column parity: its even columns (rows, ⌈cols/2⌉), then its
// odd columns (a zero where cols is odd). A stride-2 walk along a row of p is a stride-1 walk along
// a row of either half, which vectorizes; the taps read the same values, so every sum is the same.
PaddedView splitColumns(const PaddedView& p, int rows, int cols, AlignedFloats& buf,
                        std::ptrdiff_t& split) {
    const int ld2 = (cols + 1) / 2;
    split = static_cast<std::ptrdiff_t>(rows) * ld2;
    float* even = sized(buf, 2 * static_cast<std::size_t>(split));
    float* odd = even + split;
    for (int r = 0; r < rows; ++r) {
        const float* src = p.origin + static_cast<std::ptrdiff_t>(r) * p.ld;
        float* e = even + static_cast<std::ptrdiff_t>(r) * ld2;
        float* o = odd + static_cast<std::ptrdiff_t>(r) * ld2;
        for (int j = 0; j < cols / 2; ++j) {
            e[j] = src[2 * j];
            o[j] = src[2 * j + 1];
        }
        if (cols % 2) {
            e[ld2 - 1] = src[cols - 1];
            o[ld2 - 1] = 0.0f;
        }
    }
    return {even, ld2};
}

// Kernels the split walk serves (the fixed-size loops).
bool splittable(const ConvGeometry& g) {
    return g.sw == 2 && g.dw == 1 && g.kh == g.kw && (g.kh == 3 || g.kh == 5);
}

// acc (kh·kw, Wo) += per tap, for R rows of d from row oh on: d[oh][ow]·in[(oh·sh + ki·dh)·ld +
// ow·sw + kj·dw], the rows' products summed in registers before acc is read and written once.
template <int KH, int KW, int R, Steps S>
[[gnu::always_inline]] inline void tapSumRows(const float* in, const Walk& k, const float* d,
                                              int Wo, float* acc) {
    const bool ones = S == Steps::Ones;
    const std::ptrdiff_t rowStep = ones ? k.ld : std::ptrdiff_t{k.dh} * k.ld;
    const std::ptrdiff_t rowStride = ones ? k.ld : std::ptrdiff_t{k.sh} * k.ld;
#pragma omp simd
    for (int ow = 0; ow < Wo; ++ow) {
        float dv[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
            dv[r] = d[r * Wo + ow];
#pragma GCC unroll 8
        for (int ki = 0; ki < KH; ++ki)
#pragma GCC unroll 8
            for (int kj = 0; kj < KW; ++kj) {
                float a = acc[(ki * KW + kj) * Wo + ow];
#pragma GCC unroll 8
                for (int r = 0; r < R; ++r)
                    a = madd(dv[r], in[r * rowStride + ki * rowStep + column<S>(k, ow, kj)], a);
                acc[(ki * KW + kj) * Wo + ow] = a;
            }
    }
}

// acc (kh·kw, Wo) += per tap, row by row, d[oh][ow] · in[(oh·sh + ki·dh)·ld + ow·sw + kj·dw]:
// element-wise sums (vectorized, no reduction inside the loops); KH × KW fixed or (0, 0).
template <int KH, int KW, Steps S>
void tapSums(const float* in, const Walk& k, const float* d, int Ho, int Wo, float* acc) {
    const std::ptrdiff_t rowStride = std::ptrdiff_t{k.sh} * k.ld;
    if constexpr (KH > 0 && KW > 0) {
        constexpr int R = 4;
        int oh = 0;
        for (; oh + R <= Ho; oh += R)
            tapSumRows<KH, KW, R, S>(in + oh * rowStride, k, d + std::ptrdiff_t{oh} * Wo, Wo, acc);
        for (; oh < Ho; ++oh)
            tapSumRows<KH, KW, 1, S>(in + oh * rowStride, k, d + std::ptrdiff_t{oh} * Wo, Wo, acc);
    } else {
        const std::ptrdiff_t rowStep = std::ptrdiff_t{k.dh} * k.ld;
        for (int oh = 0; oh < Ho; ++oh) {
            const float* r = in + oh * rowStride;
            const float* dr = d + static_cast<std::ptrdiff_t>(oh) * Wo;
            for (int ki = 0; ki < k.kh; ++ki)
                for (int kj = 0; kj < k.kw; ++kj) {
                    float* a = acc + static_cast<std::ptrdiff_t>(ki * k.kw + kj) * Wo;
                    const float* rk = r + ki * rowStep;
#pragma omp simd
                    for (int ow = 0; ow < Wo; ++ow)
                        a[ow] = madd(dr[ow], rk[column<S>(k, ow, kj)], a[ow]);
                }
        }
    }
}

template <int KH, int KW>
void tapSums(const float* in, const Walk& k, const float* d, int Ho, int Wo, float* acc) {
    switch (steps(k)) {
        case Steps::Ones:
            return tapSums<KH, KW, Steps::Ones>(in, k, d, Ho, Wo, acc);
        case Steps::UnitColumns:
            return tapSums<KH, KW, Steps::UnitColumns>(in, k, d, Ho, Wo, acc);
        case Steps::Split2:
            return tapSums<KH, KW, Steps::Split2>(in, k, d, Ho, Wo, acc);
        case Steps::Any:
            return tapSums<KH, KW, Steps::Any>(in, k, d, Ho, Wo, acc);
    }
}

// dw[ki·kw + kj] += Σ_{oh, ow} d[oh·Wo + ow] · in[(oh·sh + ki·dh)·ld + ow·sw + kj·dw], summed
// per column first (tapSums), then across the row of partial sums.
void weightGradAdd(const float* in, const Walk& k, const float* d, int Ho, int Wo, float* scratch,
                   float* dw) {
    const int taps = k.kh * k.kw;
    FloatArray(scratch, static_cast<Eigen::Index>(taps) * Wo).setZero();
    if (k.kh == 3 && k.kw == 3) {
        tapSums<3, 3>(in, k, d, Ho, Wo, scratch);
    } else if (k.kh == 5 && k.kw == 5) {
        tapSums<5, 5>(in, k, d, Ho, Wo, scratch);
    } else {
        tapSums<0, 0>(in, k, d, Ho, Wo, scratch);
    }
    for (int t = 0; t < taps; ++t)
        dw[t] += ConstFloatArray(scratch + static_cast<std::ptrdiff_t>(t) * Wo, Wo).sum();
}

// out (rows, ld) += scatter of d (Ho, Wo) through the kernel: the transpose of correlate. With
// Steps::Split2, onto a plane split by column parity (splitColumns' layout, k.split apart), whose
// stores along a row are contiguous; every element receives the same additions in the same order.
template <Steps S>
void scatterAdd(const float* d, const Walk& k, const float* w, int Ho, int Wo, float* out) {
    for (int oh = 0; oh < Ho; ++oh) {
        const float* dr = d + static_cast<std::ptrdiff_t>(oh) * Wo;
        for (int ki = 0; ki < k.kh; ++ki) {
            float* r = out + (static_cast<std::ptrdiff_t>(oh) * k.sh + ki * k.dh) * k.ld;
            for (int kj = 0; kj < k.kw; ++kj) {
                const float wv = w[ki * k.kw + kj];
                // Within one tap the targets are distinct: no two lanes write one float.
#pragma omp simd
                for (int ow = 0; ow < Wo; ++ow)
                    r[column<S>(k, ow, kj)] = madd(wv, dr[ow], r[column<S>(k, ow, kj)]);
            }
        }
    }
}

// The padded input plane of x (H, W): x itself when there is no padding.
PaddedView paddedInput(const ConvGeometry& g, const float* x, PaddedPlane& buf) {
    if (g.ph == 0 && g.pw == 0 && g.pb == 0 && g.pr == 0) return {x, g.W};
    return buf.fill(x, g.H, g.W, g.ph, g.pw, g.H + g.ph + g.pb, g.W + g.pw + g.pr);
}

// The padded input plane of x (H, W) and the walk of the kernel over it; at column stride 2 (3×3
// and 5×5) the plane split by column parity, so the loops vectorize.
std::pair<PaddedView, Walk> inputWalk(const ConvGeometry& g, const float* x, Scratch& s) {
    const PaddedView xp = paddedInput(g, x, s.input);
    if (!splittable(g)) return {xp, Walk{g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, xp.ld}};
    std::ptrdiff_t split = 0;
    const PaddedView halves =
        splitColumns(xp, g.H + g.ph + g.pb, g.W + g.pw + g.pr, s.split, split);
    return {halves, Walk{g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, halves.ld, split}};
}

std::int64_t work(const ConvGeometry& g, int N) {
    return static_cast<std::int64_t>(N) * g.K * g.kh * g.kw * g.Ho * g.Wo;
}

}  // namespace

void depthwiseForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                      float* y) {
    LL_CHECK(isDepthwise(g), "not a depthwise geometry: C ", g.C, ", K ", g.K, ", groups ",
             g.groups);
    const int m = g.K / g.C, taps = g.kh * g.kw;
    const std::ptrdiff_t inPlane = static_cast<std::ptrdiff_t>(g.H) * g.W;
    const std::ptrdiff_t outPlane = static_cast<std::ptrdiff_t>(g.Ho) * g.Wo;
    const int planes = N * g.C;
    const auto correlate = isaKernelsFor(kernelSet()).depthwiseCorrelate;
    parallelFor(planes, work(g, N) >= kParallelMinWork, [&](int p) {
        const auto [xp, k] = inputWalk(g, x + p * inPlane, threadScratch());
        for (int j = 0; j < m; ++j) {
            const int o = p % g.C * m + j;  // the output channel
            correlate(xp.origin, k, W + static_cast<std::ptrdiff_t>(o) * taps, g.Ho, g.Wo,
                      b ? b[o] : 0.0f, false,
                      y + (static_cast<std::ptrdiff_t>(p) * m + j) * outPlane);
        }
    });
}

void depthwiseBackward(const ConvGeometry& g, int N, const float* x, const float* W,
                       const float* dy, float* dW, float* db, float* dx, ConvWorkspace& ws) {
    LL_CHECK(isDepthwise(g), "not a depthwise geometry: C ", g.C, ", K ", g.K, ", groups ",
             g.groups);
    const int m = g.K / g.C, taps = g.kh * g.kw;
    const std::ptrdiff_t inPlane = static_cast<std::ptrdiff_t>(g.H) * g.W;
    const std::ptrdiff_t outPlane = static_cast<std::ptrdiff_t>(g.Ho) * g.Wo;
    const int rows = g.H + g.ph + g.pb, cols = g.W + g.pw + g.pr;  // the padded input
    // Larger strides scatter dx onto the padded plane (rows, cols), at column stride 2 onto the
    // plane split by column parity (halves of (rows, ⌈cols/2⌉)).
    const bool split = splittable(g);
    const int ld2 = (cols + 1) / 2;
    const std::ptrdiff_t half = static_cast<std::ptrdiff_t>(rows) * ld2;
    const Walk kScatter = split ? Walk{g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, ld2, half}
                                : Walk{g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, cols};
    const std::size_t scatterSize =
        split ? 2 * static_cast<std::size_t>(half) : static_cast<std::size_t>(rows) * cols;
    // dx of a stride-1 kernel gathers: dx[i][j] = Σ dy[i + ph − ki·dh][j + pw − kj·dw]·w[ki][kj],
    // the correlation of dy, bordered by (kh − 1)·dh − ph rows above (and so on), with the kernel
    // flipped. Larger strides scatter into the padded plane instead.
    const bool gather = g.sh == 1 && g.sw == 1;
    const int gTop = (g.kh - 1) * g.dh - g.ph, gLeft = (g.kw - 1) * g.dw - g.pw;
    const int gRows = g.H + (g.kh - 1) * g.dh, gCols = g.W + (g.kw - 1) * g.dw;

    const int T = numThreads();
    const std::size_t wSize = static_cast<std::size_t>(g.K) * taps;
    ws.dWPartials.assign(wSize * T, 0.0f);
    ws.dbPartials.assign(static_cast<std::size_t>(g.K) * T, 0.0f);
    const int planes = N * g.C;
    const auto correlate = isaKernelsFor(kernelSet()).depthwiseCorrelate;
    parallelFor(planes, work(g, N) >= kParallelMinWork, [&](int p) {
        const int t = threadIndex();
        Scratch& s = threadScratch();
        const auto [xp, k] = inputWalk(g, x + p * inPlane, s);
        float* tapScratch = sized(s.taps, static_cast<std::size_t>(taps) * g.Wo);
        float* dxp = dx ? dx + p * inPlane : nullptr;
        float* scattered = dx && !gather ? sized(s.scatter, scatterSize) : nullptr;
        for (int j = 0; j < m; ++j) {
            const int o = p % g.C * m + j;
            const float* d = dy + (static_cast<std::ptrdiff_t>(p) * m + j) * outPlane;
            const float* w = W + static_cast<std::ptrdiff_t>(o) * taps;
            weightGradAdd(xp.origin, k, d, g.Ho, g.Wo, tapScratch,
                          ws.dWPartials.data() + wSize * t + static_cast<std::size_t>(o) * taps);
            if (db) {
                ws.dbPartials[static_cast<std::size_t>(g.K) * t + o] +=
                    ConstFloatArray(d, outPlane).sum();
            }
            if (!dx) continue;
            if (gather) {
                float* wf = sized(s.flipped, static_cast<std::size_t>(taps));
                std::reverse_copy(w, w + taps, wf);  // w[kh−1−a][kw−1−b] at [a][b]
                const PaddedView dp = s.gradient.fill(d, g.Ho, g.Wo, gTop, gLeft, gRows, gCols);
                const Walk kGather{g.kh, g.kw, 1, 1, g.dh, g.dw, dp.ld};
                correlate(dp.origin, kGather, wf, g.H, g.W, 0.0f, j > 0, dxp);
            } else {
                if (j == 0) FloatArray(scattered, static_cast<Eigen::Index>(scatterSize)).setZero();
                if (split) {
                    scatterAdd<Steps::Split2>(d, kScatter, w, g.Ho, g.Wo, scattered);
                } else {
                    scatterAdd<Steps::Any>(d, kScatter, w, g.Ho, g.Wo, scattered);
                }
            }
        }
        if (scattered && split) {  // the padded dx's interior is dx, its columns interleaved
            for (int r = 0; r < g.H; ++r) {
                const float* row = scattered + static_cast<std::ptrdiff_t>(r + g.ph) * ld2;
                float* out = dxp + static_cast<std::ptrdiff_t>(r) * g.W;
                for (int c = 0; c < g.W; ++c) {
                    const int pc = c + g.pw;
                    out[c] = row[(pc & 1) * half + (pc >> 1)];
                }
            }
        } else if (scattered) {  // the padded dx's interior is dx
            for (int r = 0; r < g.H; ++r) {
                FloatArray(dxp + static_cast<std::ptrdiff_t>(r) * g.W, g.W) = ConstFloatArray(
                    scattered + static_cast<std::ptrdiff_t>(r + g.ph) * cols + g.pw, g.W);
            }
        }
    });
    ws.addPartials(T, wSize, g.K, dW, db);
}

}  // namespace ll
