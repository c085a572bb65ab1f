#include "core/layers/toeplitz_conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/gemm.h"
#include "core/kernels.h"
#include "core/layers/direct_conv_isa.h"
#include "core/parallel.h"

namespace ll {

namespace {

using direct_detail::Scratch;
using direct_detail::threadScratch;

constexpr std::int64_t kMaxMatrixFloats = std::int64_t{1} << 24;  // 64 MB

std::int64_t matrixFloats(const ConvGeometry& g) {
    return static_cast<std::int64_t>(g.K) * g.Ho * g.Wo * g.C * g.H * g.W;
}

// The taps through which output (oh, ow) reads the input: kernel rows [ki0, ki1) and columns
// [kj0, kj1), input row ih0 + ki·dh and column iw0 + kj·dw. Distinct taps read distinct inputs.
struct Window {
    int ki0, ki1, kj0, kj1, ih0, iw0;
    int count() const { return (ki1 - ki0) * (kj1 - kj0); }
};

// Taps k in [0, kn) with 0 <= base + k·d < n.
void tapRange(int base, int d, int n, int kn, int& lo, int& hi) {
    lo = base >= 0 ? 0 : (-base + d - 1) / d;
    hi = base >= n ? 0 : std::min(kn, (n - 1 - base) / d + 1);
    lo = std::min(lo, hi);
}

Window windowOf(const ConvGeometry& g, int o) {
    const int oh = o / g.Wo, ow = o % g.Wo;
    Window w{};
    w.ih0 = oh * g.sh - g.ph;
    w.iw0 = ow * g.sw - g.pw;
    tapRange(w.ih0, g.dh, g.H, g.kh, w.ki0, w.ki1);
    tapRange(w.iw0, g.dw, g.W, g.kw, w.kj0, w.kj1);
    return w;
}

// wt (kh·kw, C) = output channel k's kernels (C, kh·kw) transposed: tap-major.
void tapMajor(const ConvGeometry& g, const float* W, int k, float* wt) {
    const int R = g.kh * g.kw;
    const float* wk = W + static_cast<std::ptrdiff_t>(k) * g.C * R;
    for (int t = 0; t < R; ++t)
        for (int c = 0; c < g.C; ++c)
            wt[static_cast<std::ptrdiff_t>(t) * g.C + c] =
                wk[static_cast<std::ptrdiff_t>(c) * R + t];
}

// T's columns are input-position-major, i·C + c (the inputs are transposed to match: samples()),
// so that the C entries of a row for one input position are one tap's weights of every input
// channel: a copy of a row of the tap-major kernels.
void buildRows(const ConvGeometry& g, const float* W, int k0, int k1, float* T) {
    const int P = g.Ho * g.Wo, Q = g.H * g.W;
    const std::ptrdiff_t cols = static_cast<std::ptrdiff_t>(g.C) * Q;
    float* wt = threadScratch(Scratch::WinogradRows, static_cast<std::size_t>(g.kh) * g.kw * g.C);
    for (int k = k0; k < k1; ++k) {
        tapMajor(g, W, k, wt);
        for (int o = 0; o < P; ++o) {
            float* row = T + (static_cast<std::ptrdiff_t>(k) * P + o) * cols;
            const Window win = windowOf(g, o);
            if (win.count() < Q) std::fill(row, row + cols, 0.0f);
            for (int ki = win.ki0; ki < win.ki1; ++ki)
                for (int kj = win.kj0; kj < win.kj1; ++kj) {
                    const int i = (win.ih0 + ki * g.dh) * g.W + win.iw0 + kj * g.dw;
                    std::memcpy(row + static_cast<std::ptrdiff_t>(i) * g.C,
                                wt + static_cast<std::ptrdiff_t>(ki * g.kw + kj) * g.C,
                                sizeof(float) * static_cast<std::size_t>(g.C));
                }
        }
    }
}

// T (K·P, Q·C) from W, output channels split over the threads; in the calling thread's scratch.
const float* buildMatrix(const ConvGeometry& g, const float* W) {
    LL_CHECK(g.groups == 1, "Toeplitz kernels called for a grouped convolution");
    float* T = threadScratch(Scratch::WinogradU, static_cast<std::size_t>(matrixFloats(g)));
    const int parts = matrixFloats(g) >= kParallelMinWork ? numThreads() : 1;
    parallelFor(parts, parts > 1,
                [&](int p) { buildRows(g, W, g.K * p / parts, g.K * (p + 1) / parts, T); });
    return T;
}

bool large(std::int64_t n) {
    return n >= kParallelMinWork;
}

// xr (N, Q·C): each sample of x (N, C, Q) transposed to input-position-major, T's column order.
float* samples(const ConvGeometry& g, int N, const float* x) {
    const int Q = g.H * g.W, cols = g.C * Q;
    float* xr = threadScratch(Scratch::Padded, static_cast<std::size_t>(N) * cols);
    parallelFor(N, large(static_cast<std::int64_t>(N) * cols), [&](int n) {
        const float* xn = x + static_cast<std::ptrdiff_t>(n) * cols;
        float* out = xr + static_cast<std::ptrdiff_t>(n) * cols;
        for (int c = 0; c < g.C; ++c)
            for (int i = 0; i < Q; ++i)
                out[static_cast<std::ptrdiff_t>(i) * g.C + c] = xn[c * Q + i];
    });
    return xr;
}

}  // namespace

bool toeplitzApplies(const ConvGeometry& g, int N) {
    // Off for comparisons: LAYERLENS_TOEPLITZ=off (im2col + GEMM, then).
    static const bool enabled = [] {
        const char* v = std::getenv("LAYERLENS_TOEPLITZ");
        return !(v && std::string(v) == "off");
    }();
    return enabled && kernelSet() == KernelSet::Fast && g.groups == 1 &&
           2 * g.H * g.W <= g.kh * g.kw && N >= kToeplitzMinBatch &&
           matrixFloats(g) <= kMaxMatrixFloats;
}

void toeplitzForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                     float* y, const ConvEpilogue* epilogue) {
    const int P = g.Ho * g.Wo, rows = g.K * P, cols = g.C * g.H * g.W;
    const float* T = buildMatrix(g, W);
    const float* xr = samples(g, N, x);
    // Y (K·P, N) = T xrᵀ, then y (N, K·P) = Yᵀ with the bias: BLIS ran this product 2.5× faster
    // than xr Tᵀ straight into y (N = 32 rows against T's 2048, vgg-cifar's 2×2 layer).
    float* Y = threadScratch(Scratch::WinogradV, static_cast<std::size_t>(rows) * N);
    sgemmParallel(false, true, rows, N, cols, 1.0f, T, cols, xr, cols, 0.0f, Y, N);
    parallelFor(N, large(static_cast<std::int64_t>(N) * rows), [&](int n) {
        float* yn = y + static_cast<std::ptrdiff_t>(n) * rows;
        for (int k = 0; k < g.K; ++k) {
            const float bk = b ? b[k] : 0.0f;
            for (int o = 0; o < P; ++o)
                yn[k * P + o] = Y[static_cast<std::ptrdiff_t>(k * P + o) * N + n] + bk;
        }
        if (epilogue) applyEpilogue(*epilogue, 0, g.K, P, yn);
    });
}

void toeplitzBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy,
                          float* dx) {
    const int Q = g.H * g.W, rows = g.K * g.Ho * g.Wo, cols = g.C * Q;
    const float* T = buildMatrix(g, W);
    // dX (Q·C, N) = Tᵀ dyᵀ, then dx (N, C, Q) from it.
    float* dX = threadScratch(Scratch::WinogradV, static_cast<std::size_t>(cols) * N);
    sgemmParallel(true, true, cols, N, rows, 1.0f, T, cols, dy, rows, 0.0f, dX, N);
    parallelFor(N, large(static_cast<std::int64_t>(N) * cols), [&](int n) {
        float* dxn = dx + static_cast<std::ptrdiff_t>(n) * cols;
        for (int c = 0; c < g.C; ++c)
            for (int i = 0; i < Q; ++i)
                dxn[c * Q + i] = dX[(static_cast<std::ptrdiff_t>(i) * g.C + c) * N + n];
    });
}

void toeplitzBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                             float* dW, float* db) {
    LL_CHECK(g.groups == 1, "Toeplitz kernels called for a grouped convolution");
    const int P = g.Ho * g.Wo, Q = g.H * g.W, R = g.kh * g.kw;
    const int rows = g.K * P, cols = g.C * Q;
    // dT (K·P, Q·C) = dyᵀ xr: every entry one dot product over the batch.
    const float* xr = samples(g, N, x);
    float* dT = threadScratch(Scratch::WinogradU, static_cast<std::size_t>(matrixFloats(g)));
    sgemmParallel(true, false, rows, cols, N, 1.0f, dy, rows, xr, cols, 0.0f, dT, cols);
    // dW[k][c][t] += Σ over the outputs o, in order, of dT at (o, the input o reads through t),
    // summed tap-major, then transposed onto dW; one output channel per task, so any thread count
    // gives the same sums.
    parallelFor(g.K, large(matrixFloats(g)), [&](int k) {
        float* acc = threadScratch(Scratch::WinogradRows, static_cast<std::size_t>(R) * g.C);
        std::fill(acc, acc + static_cast<std::ptrdiff_t>(R) * g.C, 0.0f);
        for (int o = 0; o < P; ++o) {
            const float* row = dT + (static_cast<std::ptrdiff_t>(k) * P + o) * cols;
            const Window win = windowOf(g, o);
            for (int ki = win.ki0; ki < win.ki1; ++ki)
                for (int kj = win.kj0; kj < win.kj1; ++kj) {
                    const int i = (win.ih0 + ki * g.dh) * g.W + win.iw0 + kj * g.dw;
                    float* a = acc + static_cast<std::ptrdiff_t>(ki * g.kw + kj) * g.C;
                    const float* d = row + static_cast<std::ptrdiff_t>(i) * g.C;
                    for (int c = 0; c < g.C; ++c)
                        a[c] += d[c];
                }
        }
        float* wk = dW + static_cast<std::ptrdiff_t>(k) * g.C * R;
        for (int c = 0; c < g.C; ++c)
            for (int t = 0; t < R; ++t)
                wk[static_cast<std::ptrdiff_t>(c) * R + t] +=
                    acc[static_cast<std::ptrdiff_t>(t) * g.C + c];
        if (!db) return;
        float sum = 0.0f;
        for (int n = 0; n < N; ++n) {
            const float* d = dy + static_cast<std::ptrdiff_t>(n) * rows + k * P;
            for (int o = 0; o < P; ++o)
                sum += d[o];
        }
        db[k] += sum;
    });
}

}  // namespace ll
