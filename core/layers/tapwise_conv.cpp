#include "core/layers/tapwise_conv.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/gemm.h"
#include "core/kernels.h"
#include "core/layers/direct_conv_isa.h"
#include "core/layers/direct_conv_kernels.h"
#include "core/parallel.h"

namespace ll {

namespace {

using direct_detail::Scratch;
using direct_detail::threadScratch;

constexpr int kMaxTaps = 256;  // kernels up to 16×16

// Outputs [lo, hi) along one axis that tap k reads inside the map: 0 <= o·s − p + k·d < in.
void outputRange(int in, int out, int s, int p, int k, int d, int& lo, int& hi) {
    const int first = p - k * d;  // the smallest o·s inside
    lo = first <= 0 ? 0 : (first + s - 1) / s;
    const int last = in - 1 + p - k * d;  // the largest
    hi = last < 0 ? 0 : std::min(out, last / s + 1);
    lo = std::min(lo, hi);
}

// One tap that reads the map: its valid outputs, rows [oh0, oh1) × columns [ow0, ow1), and where
// its columns (v·N of them, position-major, sample-minor) start among every tap's.
struct Tap {
    int t = 0;           // ki·kw + kj
    int ih = 0, iw = 0;  // the input read by output (0, 0) through it, in the map's coordinates
    int oh0 = 0, oh1 = 0, ow0 = 0, ow1 = 0;
    std::ptrdiff_t start = 0;
    int valid() const { return (oh1 - oh0) * (ow1 - ow0); }
};

struct Plan {
    Tap taps[kMaxTaps];
    int count = 0;
    std::ptrdiff_t columns = 0;  // Σ N·v over the taps
};

void makePlan(const ConvGeometry& g, int N, Plan& plan) {
    LL_CHECK(g.groups == 1, "tap-by-tap kernels called for a grouped convolution");
    LL_CHECK(g.kh * g.kw <= kMaxTaps, "tap-by-tap kernels called for a kernel over 16×16");
    plan.count = 0;
    plan.columns = 0;
    for (int ki = 0; ki < g.kh; ++ki)
        for (int kj = 0; kj < g.kw; ++kj) {
            Tap tap;
            tap.t = ki * g.kw + kj;
            tap.ih = ki * g.dh - g.ph;
            tap.iw = kj * g.dw - g.pw;
            outputRange(g.H, g.Ho, g.sh, g.ph, ki, g.dh, tap.oh0, tap.oh1);
            outputRange(g.W, g.Wo, g.sw, g.pw, kj, g.dw, tap.ow0, tap.ow1);
            if (tap.valid() == 0) continue;
            tap.start = plan.columns;
            plan.columns += static_cast<std::ptrdiff_t>(N) * tap.valid();
            plan.taps[plan.count++] = tap;
        }
}

// Calls body(j, o, i) for the tap's valid outputs o in row-major order (j = 0, 1, …) with the
// input i each reads.
template <typename F>
void forValid(const ConvGeometry& g, const Tap& tap, F&& body) {
    int j = 0;
    for (int oh = tap.oh0; oh < tap.oh1; ++oh) {
        const int row = (oh * g.sh + tap.ih) * g.W;
        for (int ow = tap.ow0; ow < tap.ow1; ++ow)
            body(j++, oh * g.Wo + ow, row + ow * g.sw + tap.iw);
    }
}

// cols (rows, Σ N·v): for each tap, its block (rows, v·N) of a tensor's (N, rows, plane) values at
// its valid positions — the inputs it reads (`inputs`) or its outputs — position-major, sample
// minor (column j·N + n); rows split over the threads.
void gather(const ConvGeometry& g, const Plan& plan, int N, const float* t, int rows, bool inputs,
            float* cols) {
    const int plane = inputs ? g.H * g.W : g.Ho * g.Wo;
    const std::ptrdiff_t sample = static_cast<std::ptrdiff_t>(rows) * plane;
    const std::int64_t work = static_cast<std::int64_t>(rows) * plan.columns;
    parallelFor(rows, work >= kParallelMinWork, [&](int r) {
        const float* src = t + static_cast<std::ptrdiff_t>(r) * plane;
        for (int p = 0; p < plan.count; ++p) {
            const Tap& tap = plan.taps[p];
            float* out = cols + static_cast<std::ptrdiff_t>(rows) * tap.start +
                         static_cast<std::ptrdiff_t>(r) * N * tap.valid();
            forValid(g, tap, [&](int j, int o, int i) {
                const float* s = src + (inputs ? i : o);
                float* d = out + static_cast<std::ptrdiff_t>(j) * N;
                for (int n = 0; n < N; ++n)
                    d[n] = s[n * sample];
            });
        }
    });
}

// The inverse of gather for sample n and rows [r0, r1): out (rows r0 .. r1 − 1 of the sample's
// (rows, plane) values, at the inputs or the outputs) = the sum, in tap order, of the products
// cols (rows, Σ N·v) at the positions each tap joins them to, 0 where none does. Sample by
// sample, so that the sums are written row after row (summing sample-minor wrote rows 8 KB apart
// on vgg's 2×2 layers, which evicted them from the caches' sets).
void scatterSample(const ConvGeometry& g, const Plan& plan, int N, const float* cols, int rows,
                   int r0, int r1, int n, bool inputs, float* out) {
    const int plane = inputs ? g.H * g.W : g.Ho * g.Wo;
    std::fill(out, out + static_cast<std::ptrdiff_t>(r1 - r0) * plane, 0.0f);
    for (int p = 0; p < plan.count; ++p) {
        const Tap& tap = plan.taps[p];
        const std::ptrdiff_t v = tap.valid();
        const float* block = cols + static_cast<std::ptrdiff_t>(rows) * tap.start + n;
        for (int r = r0; r < r1; ++r) {
            const float* src = block + r * N * v;
            float* dst = out + static_cast<std::ptrdiff_t>(r - r0) * plane;
            forValid(g, tap, [&](int j, int o, int i) { dst[inputs ? i : o] += src[j * N]; });
        }
    }
}

// Floats from one tap's weights to the next in the tap-major arrays: 64 more than K·C, so that
// the taps' rows do not fall on the same cache sets (vgg's K·C is 1 MB: tapMajor's nine write
// streams then thrashed the L2, and took half the forward pass).
std::ptrdiff_t tapBlock(const ConvGeometry& g) {
    return static_cast<std::ptrdiff_t>(g.K) * g.C + 64;
}

// Wt (taps, K, C): tap p's weights W[k][c][t_p], for k in [k0, k1).
void tapMajor(const ConvGeometry& g, const Plan& plan, const float* W, int k0, int k1, float* Wt) {
    const int R = g.kh * g.kw;
    const std::ptrdiff_t block = tapBlock(g);
    for (int k = k0; k < k1; ++k) {
        const float* wk = W + static_cast<std::ptrdiff_t>(k) * g.C * R;
        for (int p = 0; p < plan.count; ++p) {
            const int t = plan.taps[p].t;
            float* out = Wt + p * block + static_cast<std::ptrdiff_t>(k) * g.C;
            for (int c = 0; c < g.C; ++c)
                out[c] = wk[static_cast<std::ptrdiff_t>(c) * R + t];
        }
    }
}

// All of Wt (taps, K, C) at once, on the threads: by 16 × 16 blocks in registers on a CPU with
// the AVX-512 kernels (kernels of up to 16 taps), else tapMajor's copy.
void tapMajorAll(const ConvGeometry& g, const Plan& plan, const float* W, float* Wt) {
    [[maybe_unused]] const int R = g.kh * g.kw;
    const int pairs = g.K * g.C;
    const bool parallel = static_cast<std::int64_t>(pairs) * plan.count >= kParallelMinWork;
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
    if (directConvAvailable() && R <= 16) {
        int taps[kMaxTaps];
        for (int p = 0; p < plan.count; ++p)
            taps[p] = plan.taps[p].t;
        constexpr int kChunk = 4096;
        parallelFor((pairs + kChunk - 1) / kChunk, parallel, [&](int ci) {
            direct_avx512::gatherTaps(W, R, pairs, taps, plan.count, ci * kChunk,
                                      std::min(pairs, (ci + 1) * kChunk), Wt, tapBlock(g));
        });
        return;
    }
#endif
    parallelParts(g.K, parallel, [&](int k0, int k1) { tapMajor(g, plan, W, k0, k1, Wt); });
}

std::int64_t multiplyAdds(const ConvGeometry& g, const Plan& plan) {
    return static_cast<std::int64_t>(g.K) * g.C * plan.columns;
}

// ---- 2 × 2 maps under a 3 × 3 kernel (stride 1, padding 1) on a CPU with AVX-512 ----
// Every output reads every input through one tap, so tapwise_avx512.cpp's kernels take the
// weights where they are, with the samples as the vector lanes. On vgg-cifar's 512-channel 2 × 2
// layers the general path below spent half of each pass outside the products: the tap-major
// weight copy, the gathered columns, the scatter back, and BLIS's packing of each tap's 1 MB.
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)

bool twoByTwo(const ConvGeometry& g) {
    // Off for comparisons: LAYERLENS_TAPWISE=general (the general path below, as before them).
    static const bool enabled = [] {
        const char* v = std::getenv("LAYERLENS_TAPWISE");
        return !(v && std::string(v) == "general");
    }();
    return enabled && directConvAvailable() && g.groups == 1 && g.H == 2 && g.W == 2 && g.kh == 3 &&
           g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.ph == 1 &&
           g.pw == 1 && g.pb == 1 && g.pr == 1;
}

constexpr int kLanes = 16;

int lanesFor(int N) {
    return (N + kLanes - 1) / kLanes * kLanes;
}

// t (N, rows, 4) as (rows, 4, ld): position-major, the samples as lanes, zeros past N.
void toLanes(const float* t, int N, int rows, int ld, float* out) {
    const std::int64_t work = static_cast<std::int64_t>(rows) * 4 * ld;
    parallelFor(rows, work >= kParallelMinWork, [&](int r) {
        for (int p = 0; p < 4; ++p) {
            float* o = out + (static_cast<std::ptrdiff_t>(r) * 4 + p) * ld;
            for (int n = 0; n < N; ++n)
                o[n] = t[(static_cast<std::ptrdiff_t>(n) * rows + r) * 4 + p];
            std::fill(o + N, o + ld, 0.0f);
        }
    });
}

// Rows [r0, r1) of (rows, 4, ld) back to t (N, rows, 4), each value plus bias[r] if given.
void fromLanes(const float* lanes, int N, int rows, int ld, int r0, int r1, const float* bias,
               float* t) {
    for (int n = 0; n < N; ++n)
        for (int r = r0; r < r1; ++r) {
            float* o = t + (static_cast<std::ptrdiff_t>(n) * rows + r) * 4;
            const float* in = lanes + static_cast<std::ptrdiff_t>(r) * 4 * ld + n;
            for (int p = 0; p < 4; ++p)
                o[p] = bias ? in[p * ld] + bias[r] : in[p * ld];
        }
}

// 2 × K·C·16 multiply-adds for N samples: the same work as the general path's.
bool twoByTwoParallel(const ConvGeometry& g, int N) {
    return static_cast<std::int64_t>(g.K) * g.C * 16 * N >= kParallelMinWork;
}

void twoByTwoForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                     float* y, const ConvEpilogue* epilogue) {
    const int ld = lanesFor(N);
    float* xs = threadScratch(Scratch::WinogradV, static_cast<std::size_t>(g.C) * 4 * ld);
    float* ys = threadScratch(Scratch::WinogradM, static_cast<std::size_t>(g.K) * 4 * ld);
    toLanes(x, N, g.C, ld, xs);
    parallelParts(g.K, twoByTwoParallel(g, N), [&](int k0, int k1) {
        direct_avx512::tap2x2Forward(xs, g.C, ld, W, k0, k1, ys);
        fromLanes(ys, N, g.K, ld, k0, k1, b, y);
        if (epilogue) {
            for (int n = 0; n < N; ++n)
                applyEpilogue(*epilogue, k0, k1 - k0, 4,
                              y + (static_cast<std::ptrdiff_t>(n) * g.K + k0) * 4);
        }
    });
}

void twoByTwoBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy,
                          float* dx) {
    const int ld = lanesFor(N);
    float* ds = threadScratch(Scratch::WinogradV, static_cast<std::size_t>(g.K) * 4 * ld);
    float* gs = threadScratch(Scratch::WinogradM, static_cast<std::size_t>(g.C) * 4 * ld);
    toLanes(dy, N, g.K, ld, ds);
    parallelParts(g.C, twoByTwoParallel(g, N), [&](int c0, int c1) {
        direct_avx512::tap2x2BackwardData(ds, g.K, g.C, ld, W, c0, c1, gs);
        fromLanes(gs, N, g.C, ld, c0, c1, nullptr, dx);
    });
}

void twoByTwoBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                             float* dW, float* db) {
    // x by blocks of 16 channels, (C/16, N, 4, 16), zeros past C; dy as (K, N, 4). Both read
    // in order by the kernel (strided, x's rows and dy's samples fell on the same cache sets).
    const int blocks = lanesFor(g.C) / kLanes;
    float* xb =
        threadScratch(Scratch::WinogradV, static_cast<std::size_t>(blocks) * N * 4 * kLanes);
    float* dk = threadScratch(Scratch::WinogradM, static_cast<std::size_t>(g.K) * N * 4);
    const std::int64_t xWork = static_cast<std::int64_t>(blocks) * N * 4 * kLanes;
    parallelFor(blocks, xWork >= kParallelMinWork, [&](int cb) {
        float* o = xb + static_cast<std::ptrdiff_t>(cb) * N * 4 * kLanes;
        for (int n = 0; n < N; ++n)
            for (int p = 0; p < 4; ++p)
                for (int l = 0; l < kLanes; ++l) {
                    const int c = cb * kLanes + l;
                    o[(n * 4 + p) * kLanes + l] =
                        c < g.C ? x[(static_cast<std::ptrdiff_t>(n) * g.C + c) * 4 + p] : 0.0f;
                }
    });
    parallelFor(g.K, static_cast<std::int64_t>(g.K) * N * 4 >= kParallelMinWork, [&](int k) {
        for (int n = 0; n < N; ++n)
            std::copy_n(dy + (static_cast<std::ptrdiff_t>(n) * g.K + k) * 4, 4,
                        dk + (static_cast<std::ptrdiff_t>(k) * N + n) * 4);
    });
    parallelParts(g.K, twoByTwoParallel(g, N), [&](int k0, int k1) {
        direct_avx512::tap2x2BackwardWeights(xb, dk, N, g.C, k0, k1, dW);
        if (db) {
            for (int k = k0; k < k1; ++k)
                db[k] += channelSum(dy, N, g.K, 4, k);
        }
    });
}
#endif

}  // namespace

bool tapwiseApplies(const ConvGeometry& g, int N) {
    // Off for comparisons: LAYERLENS_TAPWISE=off (im2col + GEMM, then).
    static const bool enabled = [] {
        const char* v = std::getenv("LAYERLENS_TAPWISE");
        return !(v && std::string(v) == "off");
    }();
    return enabled && kernelSet() == KernelSet::Fast && g.groups == 1 && g.kh * g.kw <= kMaxTaps &&
           2 * g.H * g.W <= g.kh * g.kw && N >= kTapwiseMinBatch;
}

void tapwiseForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                    float* y, const ConvEpilogue* epilogue) {
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
    if (twoByTwo(g)) return twoByTwoForward(g, N, x, W, b, y, epilogue);
#endif
    Plan plan;
    makePlan(g, N, plan);
    const int P = g.Ho * g.Wo;
    float* X = threadScratch(Scratch::WinogradV, static_cast<std::size_t>(g.C) * plan.columns);
    float* M = threadScratch(Scratch::WinogradM, static_cast<std::size_t>(g.K) * plan.columns);
    float* Wt =
        threadScratch(Scratch::WinogradU, static_cast<std::size_t>(plan.count * tapBlock(g)));
    gather(g, plan, N, x, g.C, true, X);
    tapMajorAll(g, plan, W, Wt);
    // Output channels split over the threads: each multiplies its weights tap by tap, and sums
    // its rows of the products into y.
    parallelParts(g.K, multiplyAdds(g, plan) >= kParallelMinWork, [&](int k0, int k1) {
        for (int p = 0; p < plan.count; ++p) {
            const Tap& tap = plan.taps[p];
            const int cols = N * tap.valid();
            sgemmPacked(false, false, k1 - k0, cols, g.C, 1.0f,
                        Wt + p * tapBlock(g) + static_cast<std::ptrdiff_t>(k0) * g.C, g.C,
                        X + static_cast<std::ptrdiff_t>(g.C) * tap.start, cols, 0.0f,
                        M + static_cast<std::ptrdiff_t>(g.K) * tap.start +
                            static_cast<std::ptrdiff_t>(k0) * cols,
                        cols);
        }
        for (int n = 0; n < N; ++n) {
            float* yn = y + (static_cast<std::ptrdiff_t>(n) * g.K + k0) * P;
            scatterSample(g, plan, N, M, g.K, k0, k1, n, false, yn);
            if (b) {
                for (int k = k0; k < k1; ++k)
                    for (int o = 0; o < P; ++o)
                        yn[(k - k0) * P + o] += b[k];
            }
            if (epilogue) applyEpilogue(*epilogue, k0, k1 - k0, P, yn);
        }
    });
}

void tapwiseBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx) {
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
    if (twoByTwo(g)) return twoByTwoBackwardData(g, N, W, dy, dx);
#endif
    Plan plan;
    makePlan(g, N, plan);
    const int Q = g.H * g.W;
    float* D = threadScratch(Scratch::WinogradV, static_cast<std::size_t>(g.K) * plan.columns);
    float* G = threadScratch(Scratch::WinogradM, static_cast<std::size_t>(g.C) * plan.columns);
    float* Wt =
        threadScratch(Scratch::WinogradU, static_cast<std::size_t>(plan.count * tapBlock(g)));
    gather(g, plan, N, dy, g.K, false, D);
    tapMajorAll(g, plan, W, Wt);
    // Input channels split over the threads: G_t (C, N·v) = W_tᵀ D_t, then each input the sum of
    // the products that read it, in tap order (0 where none does).
    parallelParts(g.C, multiplyAdds(g, plan) >= kParallelMinWork, [&](int c0, int c1) {
        for (int p = 0; p < plan.count; ++p) {
            const Tap& tap = plan.taps[p];
            const int cols = N * tap.valid();
            sgemmPacked(true, false, c1 - c0, cols, g.K, 1.0f, Wt + p * tapBlock(g) + c0, g.C,
                        D + static_cast<std::ptrdiff_t>(g.K) * tap.start, cols, 0.0f,
                        G + static_cast<std::ptrdiff_t>(g.C) * tap.start +
                            static_cast<std::ptrdiff_t>(c0) * cols,
                        cols);
        }
        for (int n = 0; n < N; ++n)
            scatterSample(g, plan, N, G, g.C, c0, c1, n, true,
                          dx + (static_cast<std::ptrdiff_t>(n) * g.C + c0) * Q);
    });
}

void tapwiseBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                            float* dW, float* db) {
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
    if (twoByTwo(g)) return twoByTwoBackwardWeights(g, N, x, dy, dW, db);
#endif
    Plan plan;
    makePlan(g, N, plan);
    const int P = g.Ho * g.Wo, R = g.kh * g.kw;
    float* X = threadScratch(Scratch::WinogradV, static_cast<std::size_t>(g.C) * plan.columns);
    float* D = threadScratch(Scratch::WinogradM, static_cast<std::size_t>(g.K) * plan.columns);
    float* dWt =
        threadScratch(Scratch::WinogradU, static_cast<std::size_t>(plan.count * tapBlock(g)));
    gather(g, plan, N, x, g.C, true, X);
    gather(g, plan, N, dy, g.K, false, D);
    // Output channels in chunks of kWeightRows over the threads: dW_t (K, C) = D_t X_tᵀ, one dot
    // product over the tap's columns per weight, added onto dW (each weight has one tap, so one
    // addition). The chunks, not the threads, set each product's rows: BLIS sums a product of a
    // few rows in another order (its small-matrix kernels), and the sums must not depend on the
    // thread count (K = 2 on one thread and on two differed in their last bits).
    constexpr int kWeightRows = 128;
    const std::ptrdiff_t block = tapBlock(g);
    const int chunks = (g.K + kWeightRows - 1) / kWeightRows;
    parallelFor(chunks, multiplyAdds(g, plan) >= kParallelMinWork, [&](int chunk) {
        const int k0 = chunk * kWeightRows, k1 = std::min(g.K, k0 + kWeightRows);
        for (int p = 0; p < plan.count; ++p) {
            const Tap& tap = plan.taps[p];
            const int cols = N * tap.valid();
            sgemmPacked(false, true, k1 - k0, g.C, cols, 1.0f,
                        D + static_cast<std::ptrdiff_t>(g.K) * tap.start +
                            static_cast<std::ptrdiff_t>(k0) * cols,
                        cols, X + static_cast<std::ptrdiff_t>(g.C) * tap.start, cols, 0.0f,
                        dWt + p * block + static_cast<std::ptrdiff_t>(k0) * g.C, g.C);
        }
        for (int k = k0; k < k1; ++k) {
            float* wk = dW + static_cast<std::ptrdiff_t>(k) * g.C * R;
            for (int p = 0; p < plan.count; ++p) {
                const float* d = dWt + p * block + static_cast<std::ptrdiff_t>(k) * g.C;
                const int t = plan.taps[p].t;
                for (int c = 0; c < g.C; ++c)
                    wk[static_cast<std::ptrdiff_t>(c) * R + t] += d[c];
            }
            if (db) db[k] += channelSum(dy, N, g.K, P, k);
        }
    });
}

}  // namespace ll
