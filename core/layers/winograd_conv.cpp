#include "core/layers/winograd_conv.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/gemm.h"
#include "core/layers/direct_conv_isa.h"
#include "core/layers/direct_conv_kernels.h"
#include "core/parallel.h"

namespace ll {
namespace {

using direct_detail::Scratch;
using direct_detail::threadScratch;

constexpr int kMaxTile = 8;    // α
constexpr int kMaxKernel = 5;  // r

// Toom-Cook on the points 0, 1, −1, 2, −2, ½, −½ (as many as needed) and ∞ (Lavin & Gray; the
// construction of their wincnn): with n = α − 1 finite points a_j,
//   Aᵀ[i][j] = a_j^i (the ∞ column: 1 in the last row), G[j][k] = a_j^k / Π_{l≠j}(a_j − a_l)
//   (the ∞ row: 1 at the last tap), Bᵀ row j = the coefficients of Π_{l≠j}(x − a_l) (the ∞ row: of
//   Π_l (x − a_l)).
constexpr WinogradMatrices buildMatrices(int m, int r) {
    const double points[] = {0, 1, -1, 2, -2, 0.5, -0.5};
    WinogradMatrices w;
    w.m = m, w.r = r, w.a = m + r - 1;
    const int n = w.a - 1;
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) {
            double power = 1;
            for (int e = 0; e < i; ++e)
                power *= points[j];
            w.AT[i * w.a + j] = power;
        }
        w.AT[i * w.a + n] = i == m - 1 ? 1.0 : 0.0;
    }
    for (int j = 0; j < n; ++j) {
        double f = 1;
        for (int l = 0; l < n; ++l)
            if (l != j) f *= points[j] - points[l];
        double power = 1;
        for (int k = 0; k < r; ++k) {
            w.G[j * r + k] = power / f;
            power *= points[j];
        }
    }
    for (int k = 0; k < r; ++k)
        w.G[n * r + k] = k == r - 1 ? 1.0 : 0.0;
    for (int j = 0; j <= n; ++j) {
        double c[kMaxTile + 1] = {1};  // ascending powers
        int degree = 0;
        for (int l = 0; l < n; ++l) {
            if (l == j) continue;
            for (int d = degree + 1; d > 0; --d)
                c[d] = c[d - 1] - points[l] * c[d];
            c[0] = -points[l] * c[0];
            ++degree;
        }
        for (int d = 0; d < w.a; ++d)
            w.BT[j * w.a + d] = d <= degree ? c[d] : 0.0;
    }
    // Signs as in the paper: each finite point's G row starts positive (the sign moved onto its Bᵀ
    // row), the ∞ row of Bᵀ starts positive (the sign moved onto Aᵀ's last column); the product
    // is unchanged. F(2×2, 3×3) is then Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
    // G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 −1 −1], which its hand-written
    // transforms below use.
    for (int j = 0; j <= n; ++j) {
        const double* row = j < n ? w.G + j * r : w.BT + j * w.a;
        const int len = j < n ? r : w.a;
        int first = 0;
        while (first < len && row[first] == 0)
            ++first;
        if (first == len || row[first] > 0) continue;
        for (int d = 0; d < w.a; ++d)
            w.BT[j * w.a + d] = -w.BT[j * w.a + d];
        if (j < n) {
            for (int k = 0; k < r; ++k)
                w.G[j * r + k] = -w.G[j * r + k];
        } else {
            for (int i = 0; i < m; ++i)
                w.AT[i * w.a + n] = -w.AT[i * w.a + n];
        }
    }
    return w;
}

// F(M×M, R×R)'s matrices as compile-time constants: the transforms' loops below unroll over them,
// so zero coefficients cost nothing and ±1 ones are additions.
template <int M, int R>
struct Algo {
    static constexpr int A = M + R - 1;
    static constexpr WinogradMatrices w = buildMatrices(M, R);
    static constexpr float at(int i, int a) { return static_cast<float>(w.AT[i * A + a]); }
    static constexpr float bt(int b, int s) { return static_cast<float>(w.BT[b * A + s]); }
};

struct Problem;
using InputTransform = void (*)(const Problem&, const float*, int, int, int, float*, std::ptrdiff_t,
                                float*);
using OutputTransform = void (*)(const Problem&, const float*, std::ptrdiff_t, int, int, int,
                                 const float*, float*, const ConvEpilogue*, float*);
using GradientTransform = void (*)(const Problem&, const float*, int, int, int, float*,
                                   std::ptrdiff_t, float*);
// Channels-last forms, one sample's tiles at a time: (problem, source, destination, the transformed
// array's position stride, the sample's first tile, scratch). The input and gradient transforms
// read the sample's channels-last map and write V or Ŷ; the output transform reads M and writes
// the map.
using SampleTransform = void (*)(const Problem&, const float*, float*, std::ptrdiff_t,
                                 std::ptrdiff_t, float*);

// One algorithm F(m×m, r×r) as the kernels use it: its transforms (templates over m and r below,
// their matrices compile-time constants), and the weights' transform as one (α², r²) matrix,
// T[(b, a)][(p, q)] = G[b][p] G[a][q], also with the taps reversed (a kernel rotated by 180°, for
// backward-data).
struct Variant {
    int m = 0, r = 0, a = 0;
    InputTransform input = nullptr;
    OutputTransform output = nullptr;
    GradientTransform gradient = nullptr;
    SampleTransform inputLast = nullptr, outputLast = nullptr, gradientLast = nullptr;
    float T[kMaxTile * kMaxTile * kMaxKernel * kMaxKernel] = {};
    float Tflip[kMaxTile * kMaxTile * kMaxKernel * kMaxKernel] = {};
    int positions() const { return a * a; }
    int taps() const { return r * r; }
};

Variant makeVariant(int m, int r) {
    const WinogradMatrices w = buildMatrices(m, r);
    Variant v;
    v.m = m, v.r = r, v.a = w.a;
    const int P = w.a * w.a, R = r * r;
    for (int xi = 0; xi < P; ++xi)
        for (int p = 0; p < r; ++p)
            for (int q = 0; q < r; ++q) {
                const double t = w.G[(xi / w.a) * r + p] * w.G[(xi % w.a) * r + q];
                v.T[xi * R + p * r + q] = static_cast<float>(t);
                v.Tflip[xi * R + (r - 1 - p) * r + (r - 1 - q)] = static_cast<float>(t);
            }
    return v;
}

// A convolution as the algorithm sees it: C input maps of H×W, K output maps of Ho×Wo, the top and
// left zero border (the bottom and right ones follow from the sizes). Forward is the layer's own
// problem; backward-data the one on dy.
struct Problem {
    int C, H, W, K, Ho, Wo, top, left;
    const Variant* v;
    int tileRows() const { return (Ho + v->m - 1) / v->m; }
    int tileCols() const { return (Wo + v->m - 1) / v->m; }
};

// Floats between two positions' matrices of `rows` × ld: padded by 64 floats so that the streams
// of a transform do not fall on the same cache sets (a multiple of 4 KB apart, they did, and the
// transforms ran 2–3× slower).
std::ptrdiff_t positionStride(int rows, std::ptrdiff_t ld) {
    return static_cast<std::ptrdiff_t>(rows) * ld + 64;
}

// Sizes of a thread's scratch for p: one sample's bordered rows (rowsP × Lp), then room for the
// largest of the transforms' own arrays: the input's row transforms (α × rowsP × tw, by phase), the
// output's (m × (α + m) × th × tw, and one output row m·tw), the gradient's (a row m·tw, then
// m × α × th × tw).
struct ScratchLayout {
    std::size_t rowsP, Lp, tw, th;
    std::size_t bordered() const { return rowsP * Lp; }
    std::size_t total(int a, int m) const {
        const std::size_t ua = a, um = m;
        const std::size_t input = ua * rowsP * tw;
        const std::size_t output = um * (ua + um) * th * tw + um * tw;
        const std::size_t gradient = um * tw + um * ua * th * tw;
        return bordered() + std::max({input, output, gradient}) + 64;
    }
};
ScratchLayout layoutOf(const Problem& p) {
    const std::size_t th = p.tileRows(), tw = p.tileCols(), m = p.v->m, a = p.v->a;
    return {m * th + a, m * tw + a, tw, th};
}
std::size_t scratchFloats(const Problem& p) {
    return layoutOf(p).total(p.v->a, p.v->m);
}

// Input rows [first, first + rows) of the plane xc (H × W) in their zero border, Lp floats a row,
// at dst: input column j lands at left + j; rows outside the input are zeros.
void borderRows(const Problem& p, const float* xc, int first, int rows, int Lp, float* dst) {
    const int colEnd = std::min(Lp, p.left + p.W);  // bordered columns [left, colEnd) are x's
    for (int pr = 0; pr < rows; ++pr, dst += Lp) {
        const int i = first + pr;
        if (i < 0 || i >= p.H) {
            std::fill(dst, dst + Lp, 0.0f);
            continue;
        }
        std::fill(dst, dst + p.left, 0.0f);
        std::memcpy(dst + p.left, xc + static_cast<std::ptrdiff_t>(i) * p.W,
                    static_cast<std::size_t>(colEnd - p.left) * sizeof(float));
        std::fill(dst + colEnd, dst + Lp, 0.0f);
    }
}

// The one product every transform is made of: for t < n and i < Rows,
// out(i, t, Σ_s coef(i, s) · in(s, t)) over s < Cols, coef a compile-time matrix (Aᵀ or Bᵀ, or
// their transposes) whose zeros are skipped and whose ±1 are additions once the loops unroll;
// vectorized over t.
template <int Rows, int Cols, typename Coef, typename In, typename Out>
inline void product(int n, Coef coef, In in, Out out) {
#pragma omp simd
    for (int t = 0; t < n; ++t) {
        float v[Cols];
#pragma GCC unroll 8
        for (int s = 0; s < Cols; ++s)
            v[s] = in(s, t);
#pragma GCC unroll 8
        for (int i = 0; i < Rows; ++i) {
            float acc = 0.0f;
#pragma GCC unroll 8
            for (int s = 0; s < Cols; ++s)
                if (coef(i, s) != 0.0f) acc += coef(i, s) * v[s];
            out(i, t, acc);
        }
    }
}

// V (α², C, ld) at columns [0, (r1 − r0)·tw): Bᵀ d B of channel c's tiles in tile rows [r0, r1)
// (tile row r is row r % th of sample r / th). A sample's rows are copied into their zero border
// first, then each bordered row is transformed along (d B), then each tile's α rows down (Bᵀ).
// The row transforms are stored by phase: bordered row pr at row pr / m of phase pr % m. Tile row
// ty's row s is then row ty + s / m of phase s % m, so the pass down runs over all of a sample's
// tiles at once (one long vector loop instead of one of tw tiles per tile row).
template <int M, int R>
void inputTransform(const Problem& p, const float* x, int c, int r0, int r1, float* V,
                    std::ptrdiff_t ld, float* scratch) {
    using F = Algo<M, R>;
    constexpr int A = F::A;
    constexpr int kExtra = (A + M - 1) / M - 1;  // phase rows of a tile beyond its first
    const int th = p.tileRows(), tw = p.tileCols();
    const ScratchLayout L = layoutOf(p);
    const int Lp = static_cast<int>(L.Lp);
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(p.H) * p.W;
    const std::ptrdiff_t vs = positionStride(p.C, ld);
    float* vc = V + static_cast<std::ptrdiff_t>(c) * ld;
    float* Rm = scratch + L.bordered();  // (α, m, nty + kExtra, tw)
    for (int r = r0; r < r1;) {
        const int sample = r / th, tyA = r % th, tyB = std::min(th, tyA + (r1 - r));
        const int nty = tyB - tyA;
        const float* xc = x + (static_cast<std::ptrdiff_t>(sample) * p.C + c) * plane;
        const int rowsP = M * (nty - 1) + A;
        borderRows(p, xc, M * tyA - p.top, rowsP, Lp, scratch);
        const std::ptrdiff_t ps = static_cast<std::ptrdiff_t>(nty + kExtra) * tw;  // phases
        const std::ptrdiff_t as = M * ps;                                          // α rows
        // d B along every bordered row.
        for (int pr = 0; pr < rowsP; ++pr) {
            const float* d = scratch + static_cast<std::ptrdiff_t>(pr) * Lp;
            float* out = Rm + (pr % M) * ps + static_cast<std::ptrdiff_t>(pr / M) * tw;
            product<A, A>(
                tw, [](int aa, int s) { return F::bt(aa, s); },
                [d](int s, int q) { return d[M * q + s]; },
                [out, as](int aa, int q, float v) { out[aa * as + q] = v; });
        }
        // Bᵀ down every tile of the sample: tile t = (ty, q)'s row s is t + (s / m)·tw of phase
        // s % m.
        const int nT = nty * tw;
        float* vt = vc + static_cast<std::ptrdiff_t>(r - r0) * tw;
        for (int aa = 0; aa < A; ++aa) {
            const float* ra = Rm + aa * as;
            float* out = vt + aa * vs;
            product<A, A>(
                nT, [](int bb, int s) { return F::bt(bb, s); },
                [ra, ps, tw](int s, int t) { return ra[(s % M) * ps + (s / M) * tw + t]; },
                [out, vs](int bb, int t, float v) { out[bb * A * vs + t] = v; });
        }
        r += nty;
    }
}

// Output channel k of tile rows [r0, r1) from M (α², K, ld): Aᵀ m A + b, written into y
// (N, K, Ho, Wo), then the epilogue on the rows written. Both products run over all of a sample's
// tiles at once (M's columns of one sample are contiguous), into (m, m) arrays of them, which are
// then interleaved into the output rows.
template <int M, int R>
void outputTransform(const Problem& p, const float* Mx, std::ptrdiff_t ld, int k, int r0, int r1,
                     const float* b, float* y, const ConvEpilogue* epilogue, float* scratch) {
    using F = Algo<M, R>;
    constexpr int A = F::A;
    const int th = p.tileRows(), tw = p.tileCols();
    const std::ptrdiff_t ms = positionStride(p.K, ld);
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(p.Ho) * p.Wo;
    const float bias = b ? b[k] : 0.0f;
    const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(th) * tw;  // room for a sample's tiles
    float* S = scratch + layoutOf(p).bordered();  // (m, α, n): m A along each tile's α rows
    float* O = S + static_cast<std::ptrdiff_t>(M) * A * n;    // (m, m, n): the outputs
    float* row = O + static_cast<std::ptrdiff_t>(M) * M * n;  // one output row, m·tw
    const bool fullWidth = p.Wo == M * tw;  // else rows go through `row`, cut to Wo
    for (int r = r0; r < r1;) {
        const int sample = r / th, tyA = r % th, tyB = std::min(th, tyA + (r1 - r));
        const int nT = (tyB - tyA) * tw;
        float* ys = y + (static_cast<std::ptrdiff_t>(sample) * p.K + k) * plane;
        const float* m =
            Mx + static_cast<std::ptrdiff_t>(k) * ld + static_cast<std::ptrdiff_t>(r - r0) * tw;
        for (int bb = 0; bb < A; ++bb) {
            const float* mb = m + bb * A * ms;
            float* sb = S + static_cast<std::ptrdiff_t>(bb) * n;
            product<M, A>(
                nT, [](int i, int aa) { return F::at(i, aa); },
                [mb, ms](int aa, int t) { return mb[aa * ms + t]; },
                [sb, n](int i, int t, float v) { sb[i * A * n + t] = v; });
        }
        for (int i = 0; i < M; ++i) {
            const float* si = S + static_cast<std::ptrdiff_t>(i) * A * n;
            float* oi = O + static_cast<std::ptrdiff_t>(i) * n;
            product<M, A>(
                nT, [](int j, int bb) { return F::at(j, bb); },
                [si, n](int bb, int t) { return si[bb * n + t]; },
                [oi, n, bias](int j, int t, float v) { oi[j * M * n + t] = bias + v; });
        }
        // O[j][i] holds output (m·ty + j, m·q + i) of tile (ty, q): interleave the i into rows.
        for (int ty = tyA; ty < tyB; ++ty) {
            const std::ptrdiff_t t0 = static_cast<std::ptrdiff_t>(ty - tyA) * tw;
            for (int j = 0; j < M && M * ty + j < p.Ho; ++j) {
                float* yr = ys + static_cast<std::ptrdiff_t>(M * ty + j) * p.Wo;
                float* dst = fullWidth ? yr : row;
                const float* oj = O + static_cast<std::ptrdiff_t>(j) * M * n + t0;
#pragma omp simd
                for (int q = 0; q < tw; ++q) {
#pragma GCC unroll 8
                    for (int i = 0; i < M; ++i)
                        dst[M * q + i] = oj[i * n + q];
                }
                if (!fullWidth) {
                    std::memcpy(yr, row, static_cast<std::size_t>(p.Wo) * sizeof(float));
                }
            }
        }
        if (epilogue) {
            const int rowA = M * tyA, rowB = std::min(p.Ho, M * tyB);
            applyEpilogue(*epilogue, k, 1, (rowB - rowA) * p.Wo,
                          ys + static_cast<std::ptrdiff_t>(rowA) * p.Wo);
        }
        r += tyB - tyA;
    }
}

// Ŷ (α², K, ld) at columns [0, (r1 − r0)·tw): A dy Aᵀ of output channel k's m×m tiles in tile
// rows [r0, r1), zero beyond Ho and Wo (A = (Aᵀ)ᵀ, (α, m)). Each row of dy is transformed along
// into (m, α) arrays of a sample's tiles, then the pass down runs over all of them at once.
template <int M, int R>
void gradientTransform(const Problem& p, const float* dy, int k, int r0, int r1, float* Y,
                       std::ptrdiff_t ld, float* scratch) {
    using F = Algo<M, R>;
    constexpr int A = F::A;
    const int th = p.tileRows(), tw = p.tileCols(), L = M * tw;
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(p.Ho) * p.Wo;
    const std::ptrdiff_t ys = positionStride(p.K, ld);
    const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(th) * tw;  // room for a sample's tiles
    float* src = scratch;    // one zero-padded row of dy, m·tw
    float* Z = scratch + L;  // (m, α, n): the rows' transforms
    std::fill(src + p.Wo, src + L, 0.0f);
    float* yk = Y + static_cast<std::ptrdiff_t>(k) * ld;
    for (int r = r0; r < r1;) {
        const int sample = r / th, tyA = r % th, tyB = std::min(th, tyA + (r1 - r));
        const int nT = (tyB - tyA) * tw;
        const float* d = dy + (static_cast<std::ptrdiff_t>(sample) * p.K + k) * plane;
        for (int ty = tyA; ty < tyB; ++ty) {
            for (int j = 0; j < M; ++j) {
                if (M * ty + j < p.Ho) {
                    std::memcpy(src, d + static_cast<std::ptrdiff_t>(M * ty + j) * p.Wo,
                                static_cast<std::size_t>(p.Wo) * sizeof(float));
                } else {
                    std::fill(src, src + p.Wo, 0.0f);
                }
                float* z = Z + static_cast<std::ptrdiff_t>(j) * A * n +
                           static_cast<std::ptrdiff_t>(ty - tyA) * tw;
                product<A, M>(
                    tw, [](int aa, int i) { return F::at(i, aa); },
                    [src](int i, int q) { return src[M * q + i]; },
                    [z, n](int aa, int q, float v) { z[aa * n + q] = v; });
            }
        }
        float* out = yk + static_cast<std::ptrdiff_t>(r - r0) * tw;
        for (int aa = 0; aa < A; ++aa) {
            float* oa = out + aa * ys;
            const float* za = Z + static_cast<std::ptrdiff_t>(aa) * n;
            product<A, M>(
                nT, [](int bb, int j) { return F::at(j, bb); },
                [za, n](int j, int t) { return za[j * A * n + t]; },
                [oa, ys](int bb, int t, float v) { oa[bb * A * ys + t] = v; });
        }
        r += tyB - tyA;
    }
}

// F(2×2, 3×3), written out: the row and column transforms as four explicit additions each, and
// the 2×2 outputs stored straight. At vgg-cifar's 128-channel 16×16 layer the forward pass ran
// 1.3× faster than the general loops above.
template <>
void inputTransform<2, 3>(const Problem& p, const float* x, int c, int r0, int r1, float* V,
                          std::ptrdiff_t ld, float* scratch) {
    const int th = p.tileRows(), tw = p.tileCols(), Lp = 2 * tw + 2;
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(p.H) * p.W;
    const std::ptrdiff_t vs = positionStride(p.C, ld);
    float* vc = V + static_cast<std::ptrdiff_t>(c) * ld;
    for (int r = r0; r < r1;) {
        const int sample = r / th, tyA = r % th, tyB = std::min(th, tyA + (r1 - r));
        const float* xc = x + (static_cast<std::ptrdiff_t>(sample) * p.C + c) * plane;
        const int rowsP = 2 * (tyB - tyA) + 2;
        borderRows(p, xc, 2 * tyA - p.top, rowsP, Lp, scratch);
        // d B along every bordered row of the sample: R[a] (rows, tw), contiguous in q.
        float* R = scratch + static_cast<std::ptrdiff_t>(2 * th + 2) * Lp;
        const std::ptrdiff_t rs = static_cast<std::ptrdiff_t>(rowsP) * tw;  // between R[a]
        for (int pr = 0; pr < rowsP; ++pr) {
            const float* d = scratch + static_cast<std::ptrdiff_t>(pr) * Lp;
            float* R0 = R + static_cast<std::ptrdiff_t>(pr) * tw;
            float *R1 = R0 + rs, *R2 = R1 + rs, *R3 = R2 + rs;
#pragma omp simd
            for (int q = 0; q < tw; ++q) {
                const float e0 = d[2 * q], o0 = d[2 * q + 1], e1 = d[2 * q + 2], o1 = d[2 * q + 3];
                R0[q] = e0 - e1;
                R1[q] = o0 + e1;
                R2[q] = e1 - o0;
                R3[q] = o0 - o1;
            }
        }
        // Bᵀ down each tile's 4 rows.
        for (int ty = tyA; ty < tyB; ++ty) {
            float* v = vc + static_cast<std::ptrdiff_t>(r - r0 + ty - tyA) * tw;
            for (int a = 0; a < 4; ++a) {
                const float* x0 = R + a * rs + static_cast<std::ptrdiff_t>(2 * (ty - tyA)) * tw;
                const float *x1 = x0 + tw, *x2 = x1 + tw, *x3 = x2 + tw;
                float* v0 = v + a * vs;
                float *v1 = v0 + 4 * vs, *v2 = v1 + 4 * vs, *v3 = v2 + 4 * vs;
#pragma omp simd
                for (int q = 0; q < tw; ++q) {
                    v0[q] = x0[q] - x2[q];
                    v1[q] = x1[q] + x2[q];
                    v2[q] = x2[q] - x1[q];
                    v3[q] = x1[q] - x3[q];
                }
            }
        }
        r += tyB - tyA;
    }
}

template <>
void outputTransform<2, 3>(const Problem& p, const float* Mx, std::ptrdiff_t ld, int k, int r0,
                           int r1, const float* b, float* y, const ConvEpilogue* epilogue,
                           float* scratch) {
    const int th = p.tileRows(), tw = p.tileCols();
    const std::ptrdiff_t ms = positionStride(p.K, ld);
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(p.Ho) * p.Wo;
    const bool evenWidth = p.Wo % 2 == 0;
    const float bias = b ? b[k] : 0.0f;
    float* tmp0 = scratch;
    float* tmp1 = tmp0 + 2 * tw;
    for (int r = r0; r < r1;) {
        const int sample = r / th, tyA = r % th, tyB = std::min(th, tyA + (r1 - r));
        float* ys = y + (static_cast<std::ptrdiff_t>(sample) * p.K + k) * plane;
        for (int ty = tyA; ty < tyB; ++ty) {
            const float* m = Mx + static_cast<std::ptrdiff_t>(k) * ld +
                             static_cast<std::ptrdiff_t>(r - r0 + ty - tyA) * tw;
            float* row0 = ys + static_cast<std::ptrdiff_t>(2 * ty) * p.Wo;
            const bool second = 2 * ty + 1 < p.Ho;
            float* out0 = evenWidth ? row0 : tmp0;
            float* out1 = evenWidth && second ? row0 + p.Wo : tmp1;
#pragma omp simd
            for (int q = 0; q < tw; ++q) {
                float s0[4], s1[4];  // m A, row by row
                for (int a = 0; a < 4; ++a) {
                    const float m0 = m[(4 * a) * ms + q], m1 = m[(4 * a + 1) * ms + q];
                    const float m2 = m[(4 * a + 2) * ms + q], m3 = m[(4 * a + 3) * ms + q];
                    s0[a] = m0 + m1 + m2;
                    s1[a] = m1 - m2 - m3;
                }
                out0[2 * q] = bias + (s0[0] + s0[1] + s0[2]);
                out0[2 * q + 1] = bias + (s1[0] + s1[1] + s1[2]);
                out1[2 * q] = bias + (s0[1] - s0[2] - s0[3]);
                out1[2 * q + 1] = bias + (s1[1] - s1[2] - s1[3]);
            }
            if (!evenWidth) {
                const std::size_t bytes = static_cast<std::size_t>(p.Wo) * sizeof(float);
                std::memcpy(row0, tmp0, bytes);
                if (second) std::memcpy(row0 + p.Wo, tmp1, bytes);
            }
        }
        if (epilogue) {
            const int rowA = 2 * tyA, rowB = std::min(p.Ho, 2 * tyB);
            applyEpilogue(*epilogue, k, 1, (rowB - rowA) * p.Wo,
                          ys + static_cast<std::ptrdiff_t>(rowA) * p.Wo);
        }
        r += tyB - tyA;
    }
}

// Channels-last transforms. On maps of a few tiles a row (vgg-cifar's 4×4 and 8×8 layers,
// alexnet-mnist's 11×11 ones: 1 to 3 tiles) the transforms above have vectors of that many
// lanes; these run the same products with the channels as the vector, on maps copied into
// channels-last order (toChannelsLast), and write V and M as (tiles, channels) at each position.
//
// One tile's In × In values, src(s, j) at src + s·srcRow + j·srcCol (ch channels each, contiguous),
// transformed on both sides into Out × Out: dst(b, a) at dst + b·dstRow + a·dstCol =
// Σ_s Σ_j coef(b, s) coef(a, j) src(s, j), every channel at once; along the rows into tmp, then
// down.
template <int Out, int In, typename Coef>
void tileTransformLast(const float* src, std::ptrdiff_t srcRow, std::ptrdiff_t srcCol, int ch,
                       Coef coef, float* dst, std::ptrdiff_t dstRow, std::ptrdiff_t dstCol,
                       float* tmp) {
    for (int s = 0; s < In; ++s) {
        const float* row = src + s * srcRow;
        float* out = tmp + static_cast<std::ptrdiff_t>(s) * Out * ch;
        product<Out, In>(
            ch, coef, [row, srcCol](int j, int c) { return row[j * srcCol + c]; },
            [out, ch](int a, int c, float v) { out[a * ch + c] = v; });
    }
    for (int a = 0; a < Out; ++a) {
        const float* in = tmp + static_cast<std::ptrdiff_t>(a) * ch;
        float* out = dst + a * dstCol;
        product<Out, In>(
            ch, coef, [in, ch](int s, int c) { return in[s * Out * ch + c]; },
            [out, dstRow](int b, int c, float v) { out[b * dstRow + c] = v; });
    }
}

// V at columns t0 + (ty·tw + tx) of one sample: Bᵀ d B of each tile, for every channel at once,
// from the sample's bordered map xb (Hb, Wb, C), Wb = m·tw + α − m.
template <int M, int R>
void inputTransformLast(const Problem& p, const float* xb, float* V, std::ptrdiff_t vs,
                        std::ptrdiff_t t0, float* tmp) {
    using F = Algo<M, R>;
    constexpr int A = F::A;
    const int C = p.C, th = p.tileRows(), tw = p.tileCols(), Wb = M * tw + A - M;
    const std::ptrdiff_t rowStride = static_cast<std::ptrdiff_t>(Wb) * C;
    for (int ty = 0; ty < th; ++ty)
        for (int tx = 0; tx < tw; ++tx)
            tileTransformLast<A, A>(
                xb + M * ty * rowStride + static_cast<std::ptrdiff_t>(M * tx) * C, rowStride, C, C,
                [](int b, int s) { return F::bt(b, s); },
                V + (t0 + static_cast<std::ptrdiff_t>(ty) * tw + tx) * C, A * vs, vs, tmp);
}

// One sample's outputs Aᵀ m A from M (α², tiles, K) at columns t0 + (ty·tw + tx), into its
// channels-last map yq (Hq, Wq, K), Hq = m·th and Wq = m·tw (the outputs beyond Ho and Wo too):
// output (m·ty + j, m·tx + i) from position (b, a) as (j, i) from (b, a).
template <int M, int R>
void outputTransformLast(const Problem& p, const float* Mx, float* yq, std::ptrdiff_t ms,
                         std::ptrdiff_t t0, float* tmp) {
    using F = Algo<M, R>;
    constexpr int A = F::A;
    const int K = p.K, th = p.tileRows(), tw = p.tileCols(), Wq = M * tw;
    const std::ptrdiff_t rowStride = static_cast<std::ptrdiff_t>(Wq) * K;
    for (int ty = 0; ty < th; ++ty)
        for (int tx = 0; tx < tw; ++tx)
            tileTransformLast<M, A>(
                Mx + (t0 + static_cast<std::ptrdiff_t>(ty) * tw + tx) * K, A * ms, ms, K,
                [](int j, int b) { return F::at(j, b); },
                yq + M * ty * rowStride + static_cast<std::ptrdiff_t>(M * tx) * K, rowStride, K,
                tmp);
}

// Ŷ at columns t0 + (ty·tw + tx) of one sample: A dy Aᵀ of each m×m tile, from the sample's
// channels-last dy, dyq (Hq, Wq, K), zero beyond Ho and Wo.
template <int M, int R>
void gradientTransformLast(const Problem& p, const float* dyq, float* Y, std::ptrdiff_t ys,
                           std::ptrdiff_t t0, float* tmp) {
    using F = Algo<M, R>;
    constexpr int A = F::A;
    const int K = p.K, th = p.tileRows(), tw = p.tileCols(), Wq = M * tw;
    const std::ptrdiff_t rowStride = static_cast<std::ptrdiff_t>(Wq) * K;
    for (int ty = 0; ty < th; ++ty)
        for (int tx = 0; tx < tw; ++tx)
            tileTransformLast<A, M>(
                dyq + M * ty * rowStride + static_cast<std::ptrdiff_t>(M * tx) * K, rowStride, K, K,
                [](int b, int i) { return F::at(i, b); },
                Y + (t0 + static_cast<std::ptrdiff_t>(ty) * tw + tx) * K, A * ys, ys, tmp);
}

template <int M, int R>
Variant makeAlgorithm() {
    Variant v = makeVariant(M, R);
    v.input = &inputTransform<M, R>;
    v.output = &outputTransform<M, R>;
    v.gradient = &gradientTransform<M, R>;
    v.inputLast = &inputTransformLast<M, R>;
    v.outputLast = &outputTransformLast<M, R>;
    v.gradientLast = &gradientTransformLast<M, R>;
    return v;
}

const Variant& variant(int m, int r) {
    static const Variant f23 = makeAlgorithm<2, 3>(), f43 = makeAlgorithm<4, 3>(),
                         f25 = makeAlgorithm<2, 5>(), f45 = makeAlgorithm<4, 5>(),
                         f63 = makeAlgorithm<6, 3>();
    if (m == 6) return f63;
    if (r == 5) return m == 4 ? f45 : f25;
    return m == 4 ? f43 : f23;
}

// U (α², K, C) = G g Gᵀ for each of w's K × C kernels (w (K, C, r, r)), positions
// positionStride(K, C) apart, as Σ_t T[ξ][t] g_t (the AVX-512 kernels, which Winograd runs
// with: winogradAvailable). With `flip` (backward-data) each kernel rotated by 180°; the products
// then use each U_ξ transposed. vgg-cifar's training steps ran 6–8% faster with no weight
// transforms at all; as one BLIS product of T (α², r²) and wᵀ they wrote 6–11 GB/s.
void transformWeights(const Variant& v, const float* w, int K, int C, bool flip, float* U) {
    const float* T = flip ? v.Tflip : v.T;
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
    if (directConvAvailable()) {
        const int pairs = K * C, chunk = 1024;
        const bool parallel = static_cast<std::int64_t>(pairs) * v.positions() >= kParallelMinWork;
        parallelFor((pairs + chunk - 1) / chunk, parallel, [&](int ci) {
            direct_avx512::winogradWeights(T, v.positions(), v.taps(), w, ci * chunk,
                                           std::min(pairs, (ci + 1) * chunk), U,
                                           positionStride(K, C));
        });
        return;
    }
#endif
    // Without the AVX-512 kernels (the tests run Winograd on any AVX2 CPU): one product over
    // every kernel at once.
    sgemmParallel(false, true, v.positions(), K * C, v.taps(), 1.0f, T, v.taps(), w, v.taps(), 0.0f,
                  U, static_cast<int>(positionStride(K, C)));
}

// The products M_ξ (K, cols) = U_ξ (K, C) V_ξ (C, cols) for positions [xi0, xi1); with
// `transposedU`, U_ξ is stored as (C, K) (backward-data: the forward layer's weights transformed).
void multiply(const Problem& p, const float* U, bool transposedU, const float* V, float* M,
              std::ptrdiff_t ld, int xi0, int xi1) {
    const std::ptrdiff_t us = transposedU ? positionStride(p.C, p.K) : positionStride(p.K, p.C);
    const std::ptrdiff_t vs = positionStride(p.C, ld), ms = positionStride(p.K, ld);
    for (int xi = xi0; xi < xi1; ++xi) {
        sgemmPacked(transposedU, false, p.K, static_cast<int>(ld), p.C, 1.0f, U + xi * us,
                    transposedU ? p.K : p.C, V + xi * vs, static_cast<int>(ld), 0.0f, M + xi * ms,
                    static_cast<int>(ld));
    }
}

// How run() and runLast() split `units` (tile rows or samples) of unitTiles tiles each: blocks of
// `per` units, `count` of them; with `shared`, too few for every thread to have blocks of its own,
// so one block holds them all and the threads share its steps.
struct Blocks {
    int per = 1, count = 1;
    bool parallel = false, shared = false;
};
Blocks blocksOf(const Problem& p, int units, int unitTiles) {
    const int P = p.v->positions(), T = numThreads();
    const std::int64_t tiles = static_cast<std::int64_t>(units) * unitTiles;
    Blocks b;
    b.parallel = T > 1 && tiles * P * p.C * static_cast<std::int64_t>(p.K) >= kParallelMinWork;
    // Tiles per block: at least 256, so the GEMMs amortize packing U (64 gave vgg-cifar's 16×16
    // layer 1.2× less speed), more while the block's V and M stay within 1 MB.
    const int target = std::max(256, (1 << 18) / (P * (p.C + p.K)));
    b.per = std::max(1, std::min(units, target / unitTiles));
    b.count = (units + b.per - 1) / b.per;
    b.shared = b.parallel && b.count < T;
    if (b.parallel && !b.shared) {  // a multiple of T blocks of nearly equal size
        b.count = (b.count + T - 1) / T * T;
        b.per = (units + b.count - 1) / b.count;
        b.count = (units + b.per - 1) / b.per;
    }
    return b;
}

void run(const Problem& p, int N, const float* x, const float* U, bool transposedU, const float* b,
         float* y, const ConvEpilogue* epilogue) {
    const int P = p.v->positions();
    const int th = p.tileRows(), tw = p.tileCols();
    const int rowsTotal = N * th;
    const Blocks bl = blocksOf(p, rowsTotal, tw);
    const std::size_t sf = scratchFloats(p);
    if (!bl.shared) {
        parallelFor(bl.count, bl.parallel, [&](int bi) {
            const int r0 = bi * bl.per, r1 = std::min(rowsTotal, r0 + bl.per);
            const std::ptrdiff_t ld = static_cast<std::ptrdiff_t>(r1 - r0) * tw;
            float* V = threadScratch(Scratch::WinogradV, P * positionStride(p.C, ld));
            float* M = threadScratch(Scratch::WinogradM, P * positionStride(p.K, ld));
            float* rows = threadScratch(Scratch::WinogradRows, sf);
            for (int c = 0; c < p.C; ++c)
                p.v->input(p, x, c, r0, r1, V, ld, rows);
            multiply(p, U, transposedU, V, M, ld, 0, P);
            for (int k = 0; k < p.K; ++k)
                p.v->output(p, M, ld, k, r0, r1, b, y, epilogue, rows);
        });
        return;
    }
    // One block, the threads share each step (channels, positions, output channels).
    const std::ptrdiff_t ld = static_cast<std::ptrdiff_t>(rowsTotal) * tw;
    float* V = threadScratch(Scratch::WinogradV, P * positionStride(p.C, ld));
    float* M = threadScratch(Scratch::WinogradM, P * positionStride(p.K, ld));
    parallelFor(p.C, true, [&](int c) {
        p.v->input(p, x, c, 0, rowsTotal, V, ld, threadScratch(Scratch::WinogradRows, sf));
    });
    parallelFor(P, true, [&](int xi) { multiply(p, U, transposedU, V, M, ld, xi, xi + 1); });
    parallelFor(p.K, true, [&](int k) {
        p.v->output(p, M, ld, k, 0, rowsTotal, b, y, epilogue,
                    threadScratch(Scratch::WinogradRows, sf));
    });
}

// Whether the channels-last copies transpose 16 × 16 blocks in the AVX-512 kernels.
bool blockTransposes() {
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
    return directConvAvailable();
#else
    return false;
#endif
}

// dst[j·dstStride + i] = src[i·srcStride + j] for i < rows, j < cols (both at most 16).
void transposeSmall(bool blocks, const float* src, std::ptrdiff_t srcStride, int rows, int cols,
                    float* dst, std::ptrdiff_t dstStride) {
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
    if (blocks) {
        direct_avx512::transposeBlock(src, srcStride, rows, cols, dst, dstStride);
        return;
    }
#endif
    (void)blocks;
    for (int j = 0; j < cols; ++j)
        for (int i = 0; i < rows; ++i)
            dst[j * dstStride + i] = src[i * srcStride + j];
}

// Samples [n0, n1) of x (N, C, H, W), channels-last in their zero border: dst (n1 − n0, Hb, Wb, C),
// input (i, j) at (top + i, left + j), as blocks of 16 channels × 16 columns.
void toChannelsLast(const float* x, int n0, int n1, int C, int H, int W, int top, int left, int Hb,
                    int Wb, float* dst) {
    const bool blocks = blockTransposes();
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(H) * W;
    const std::ptrdiff_t rowLen = static_cast<std::ptrdiff_t>(Wb) * C;
    const int rows = std::min(H, Hb - top), cols = std::min(W, Wb - left);
    for (int n = n0; n < n1; ++n) {
        float* d = dst + static_cast<std::ptrdiff_t>(n - n0) * Hb * rowLen;
        for (int i = 0; i < Hb; ++i) {  // the border
            float* row = d + i * rowLen;
            if (i < top || i >= top + rows) {
                std::fill(row, row + rowLen, 0.0f);
                continue;
            }
            std::fill(row, row + static_cast<std::ptrdiff_t>(left) * C, 0.0f);
            std::fill(row + static_cast<std::ptrdiff_t>(left + cols) * C, row + rowLen, 0.0f);
        }
        const float* xn = x + static_cast<std::ptrdiff_t>(n) * C * plane;
        for (int c0 = 0; c0 < C; c0 += 16) {
            const int cn = std::min(16, C - c0);
            for (int i = 0; i < rows; ++i) {
                const float* src = xn + c0 * plane + static_cast<std::ptrdiff_t>(i) * W;
                float* o = d + (top + i) * rowLen + static_cast<std::ptrdiff_t>(left) * C + c0;
                for (int j0 = 0; j0 < cols; j0 += 16)
                    transposeSmall(blocks, src + j0, plane, cn, std::min(16, cols - j0),
                                   o + static_cast<std::ptrdiff_t>(j0) * C, C);
            }
        }
    }
}

// Samples [n0, n1) of y (N, K, Ho, Wo) from their channels-last outputs yq (n1 − n0, Hq, Wq, K),
// plus b, then the epilogue.
void fromChannelsLast(const float* yq, int n0, int n1, int K, int Ho, int Wo, int Hq, int Wq,
                      const float* b, float* y, const ConvEpilogue* epilogue) {
    const bool blocks = blockTransposes();
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(Ho) * Wo;
    for (int n = n0; n < n1; ++n) {
        const float* q = yq + static_cast<std::ptrdiff_t>(n - n0) * Hq * Wq * K;
        float* yn = y + static_cast<std::ptrdiff_t>(n) * K * plane;
        for (int k0 = 0; k0 < K; k0 += 16) {
            const int kn = std::min(16, K - k0);
            for (int i = 0; i < Ho; ++i) {
                const float* src = q + static_cast<std::ptrdiff_t>(i) * Wq * K + k0;
                float* o = yn + k0 * plane + static_cast<std::ptrdiff_t>(i) * Wo;
                for (int j0 = 0; j0 < Wo; j0 += 16)
                    transposeSmall(blocks, src + static_cast<std::ptrdiff_t>(j0) * K, K,
                                   std::min(16, Wo - j0), kn, o + j0, plane);
            }
            if (b) {
                for (int k = k0; k < k0 + kn; ++k) {
                    float* yk = yn + k * plane;
                    const float bias = b[k];
#pragma omp simd
                    for (std::ptrdiff_t e = 0; e < plane; ++e)
                        yk[e] += bias;
                }
            }
        }
        if (epilogue) applyEpilogue(*epilogue, 0, K, static_cast<int>(plane), yn);
    }
}

// The products at positions [xi0, xi1) in channels-last order: M_ξ (tiles, K) = V_ξ (tiles, C) U_ξᵀ
// (U_ξ (K, C); with `transposedU`, (C, K)).
void multiplyLast(const Problem& p, const float* U, bool transposedU, const float* V, float* M,
                  int tiles, int xi0, int xi1) {
    const std::ptrdiff_t us = transposedU ? positionStride(p.C, p.K) : positionStride(p.K, p.C);
    const std::ptrdiff_t vs = positionStride(tiles, p.C), ms = positionStride(tiles, p.K);
    for (int xi = xi0; xi < xi1; ++xi)
        sgemmPacked(false, !transposedU, tiles, p.K, p.C, 1.0f, V + xi * vs, p.C, U + xi * us,
                    transposedU ? p.K : p.C, 0.0f, M + xi * ms, p.K);
}

// Floats of a thread's scratch for the channels-last transforms: one tile's row transforms.
std::size_t lastScratchFloats(const Problem& p) {
    const std::size_t a = p.v->a;
    return a * a * static_cast<std::size_t>(std::max(p.C, p.K)) + 64;
}

// The channels-last maps of a problem: the input in its border (Hb, Wb, C), the outputs or dy
// (Hq, Wq, K), whole tiles; and each one's floats a sample.
struct LastMaps {
    int Hb, Wb, Hq, Wq;
    std::ptrdiff_t inSample, outSample;
};
LastMaps lastMaps(const Problem& p) {
    const int m = p.v->m, a = p.v->a, th = p.tileRows(), tw = p.tileCols();
    LastMaps l{m * th + a - m, m * tw + a - m, m * th, m * tw, 0, 0};
    l.inSample = static_cast<std::ptrdiff_t>(l.Hb) * l.Wb * p.C;
    l.outSample = static_cast<std::ptrdiff_t>(l.Hq) * l.Wq * p.K;
    return l;
}

// Tiles a block of the weight gradient's products: at least 512 (the products' reduction), more
// while V and Ŷ stay within 4 MB.
int weightBlockTiles(const Problem& p) {
    return std::max(512, (1 << 20) / (p.v->positions() * (p.C + p.K)));
}

// run() in channels-last order: blocks of whole samples, copied channels-last into their border,
// transformed, multiplied, transformed back and copied out; blocks spread over the threads, or,
// with fewer blocks than threads, one block whose steps the threads share.
void runLast(const Problem& p, int N, const float* x, const float* U, bool transposedU,
             const float* b, float* y, const ConvEpilogue* epilogue) {
    const Variant& v = *p.v;
    const int P = v.positions(), perSample = p.tileRows() * p.tileCols();
    const LastMaps l = lastMaps(p);
    const int Hb = l.Hb, Wb = l.Wb, Hq = l.Hq, Wq = l.Wq;
    const std::ptrdiff_t xbSample = l.inSample, yqSample = l.outSample;
    const Blocks bl = blocksOf(p, N, perSample);
    const std::size_t sf = lastScratchFloats(p);
    auto buffers = [&](int samples, float*& xb, float*& V, float*& M, float*& yq) {
        const int t = samples * perSample;
        xb = threadScratch(Scratch::Padded, samples * xbSample);
        yq = threadScratch(Scratch::Transposed, samples * yqSample);
        V = threadScratch(Scratch::WinogradV, P * positionStride(t, p.C));
        M = threadScratch(Scratch::WinogradM, P * positionStride(t, p.K));
    };
    if (!bl.shared) {
        parallelFor(bl.count, bl.parallel, [&](int bi) {
            const int n0 = bi * bl.per, n1 = std::min(N, n0 + bl.per), t = (n1 - n0) * perSample;
            float *xb, *V, *M, *yq;
            buffers(n1 - n0, xb, V, M, yq);
            float* tmp = threadScratch(Scratch::WinogradRows, sf);
            toChannelsLast(x, n0, n1, p.C, p.H, p.W, p.top, p.left, Hb, Wb, xb);
            const std::ptrdiff_t vs = positionStride(t, p.C), ms = positionStride(t, p.K);
            for (int n = n0; n < n1; ++n)
                v.inputLast(p, xb + (n - n0) * xbSample, V, vs,
                            static_cast<std::ptrdiff_t>(n - n0) * perSample, tmp);
            multiplyLast(p, U, transposedU, V, M, t, 0, P);
            for (int n = n0; n < n1; ++n)
                v.outputLast(p, M, yq + (n - n0) * yqSample, ms,
                             static_cast<std::ptrdiff_t>(n - n0) * perSample, tmp);
            fromChannelsLast(yq, n0, n1, p.K, p.Ho, p.Wo, Hq, Wq, b, y, epilogue);
        });
        return;
    }
    // One block, the threads share each step (samples, positions, samples).
    const int t = N * perSample;
    float *xb, *V, *M, *yq;
    buffers(N, xb, V, M, yq);
    const std::ptrdiff_t vs = positionStride(t, p.C), ms = positionStride(t, p.K);
    parallelFor(N, true, [&](int n) {
        float* xs = xb + n * xbSample;
        toChannelsLast(x, n, n + 1, p.C, p.H, p.W, p.top, p.left, Hb, Wb, xs);
        v.inputLast(p, xs, V, vs, static_cast<std::ptrdiff_t>(n) * perSample,
                    threadScratch(Scratch::WinogradRows, sf));
    });
    parallelFor(P, true, [&](int xi) { multiplyLast(p, U, transposedU, V, M, t, xi, xi + 1); });
    parallelFor(N, true, [&](int n) {
        float* ys = yq + n * yqSample;
        v.outputLast(p, M, ys, ms, static_cast<std::ptrdiff_t>(n) * perSample,
                     threadScratch(Scratch::WinogradRows, sf));
        fromChannelsLast(ys, n, n + 1, p.K, p.Ho, p.Wo, Hq, Wq, b, y, epilogue);
    });
}

// The tile for g's pass, unless asked (measured with bench_conv_shapes, 2 threads): 5×5 kernels
// take F(4×4, 5×5) (alexnet-mnist's 96 → 256 at 23×23: forward 74 → 52 ms, backward-weights
// 99 → 57, dx 95–105 → 59 against F(2×2, 5×5); 256 channels at 8×8 and 4×4, 128 at 16×16:
// 1.2–1.8× faster), but F(2×2, 5×5) on maps under 8 wide that F(4×4) would pad (64 → 128 at 6×6:
// 1.1–1.6× faster, with 9 tiles a sample against 4 of which 44% is border); 3×3 kernels F(4×4, 3×3)
// for the gradients (vgg-cifar's 128-channel 16×16 layer: backward-weights 10.7 → 9.1 ms against
// F(2×2, 3×3); alexnet-mnist's 256 → 384: 59 → 35) and for the forward pass of layers of 256
// channels or more on maps at least 8 wide (alexnet-mnist's 256 → 384 at 11×11: 47 → 38 ms), but
// F(2×2, 3×3) for the forward pass of narrower layers and smaller maps. Since the transforms run
// over a sample's tiles at once the two are within 5% on vgg-cifar's 64- and 128-channel 16×16
// layers (alternated, 2026-12-05), and F(2×2) is 5% faster on its 128 → 256 8×8 one. Where
// F(4×4) takes it, F(6×6, 3×3) instead when its tiles need 15% fewer products (alexnet-mnist's
// 11×11 maps: 4 tiles of 64 positions a sample against 9 of 36; each of its 256 → 384 layer's
// passes 10% faster, 23.0 → 20.7 ms forward); on maps where the two tile as well (vgg-cifar's
// 16×16) they were within noise of each other.
enum class Pass { Forward, Data, Weights };
int tileFor(const ConvGeometry& g, int tile, Pass pass) {
    if (tile != 0) return tile;
    // The map the pass tiles: dx's is the input's.
    const int Ht = pass == Pass::Data ? g.H : g.Ho, Wt = pass == Pass::Data ? g.W : g.Wo;
    if (g.kh == 5) return Wt >= 8 || Wt % 4 == 0 ? 4 : 2;
    if (pass == Pass::Forward && (std::min(g.C, g.K) < 256 || Wt < 8)) return 2;
    const auto products = [Ht, Wt](int m) {  // α² per tile, over a sample's tiles
        return (m + 2) * (m + 2) * ((Ht + m - 1) / m) * ((Wt + m - 1) / m);
    };
    return products(6) < 0.85 * products(4) ? 6 : 4;
}

bool shapeFits(const ConvGeometry& g) {
    const int k = g.kh;
    const bool pads = g.ph >= 0 && g.pw >= 0 && g.pb >= 0 && g.pr >= 0 && g.ph < k && g.pw < k &&
                      g.pb < k && g.pr < k;
    return (k == 3 || k == 5) && g.kw == k && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
           g.groups == 1 && pads && g.Ho >= 1 && g.Wo >= 1 && g.Ho == g.H + g.ph + g.pb - k + 1 &&
           g.Wo == g.W + g.pw + g.pr - k + 1;
}

// The channels-last transforms (bench_conv_shapes, 2 threads, alternated, 2026-12-05) for every
// weight gradient (vgg-cifar's 16×16 to 4×4 layers 12–35% faster, alexnet-mnist's 5×5 layer 57.6
// → 47.3 ms), and for the forward pass and dx on maps of at most 6 tiles a row (alexnet-mnist's
// 5×5 layer forward 49.6 → 38.9 ms, its 256 → 384 11×11 one 20.4 → 15.5; vgg-cifar's 128 → 256
// 8×8 forward 2.95 → 2.45). On wider maps the planes' vectors are long enough: vgg-cifar's
// 128-channel 16×16 forward pass (8 tiles a row) took 5.1–5.2 ms against 4.6–4.9.
bool channelsLast(const Problem& p, int N, WinogradLayout layout, Pass pass) {
    if (layout != WinogradLayout::Auto) return layout == WinogradLayout::ChannelsLast;
    if (pass == Pass::Weights) return true;
    // Fewer samples than threads (a view's single image): runLast splits its transforms over the
    // samples, so some threads would idle; run() splits each sample's channels.
    if (N < numThreads()) return false;
    // But dx into 512 channels from one tile a sample: vgg-cifar's 512-channel 4×4 layer's two
    // gradients took 23.2–23.6 ms with dx channels-last against 20.8–21.6 (one thread); its
    // 256 → 512 one 11.5–12.2 against 12.0–12.9, its 256-channel one 5.5–5.9 against 6.1–6.7.
    if (pass == Pass::Data && p.K >= 512 && p.tileRows() * p.tileCols() == 1) return false;
    return p.tileCols() <= 6;
}

const Variant& checkedVariant(const ConvGeometry& g, int tile, Pass pass) {
    LL_CHECK(shapeFits(g), "Winograd kernels called for another convolution");
    const int m = tileFor(g, tile, pass);
    LL_CHECK(m == 2 || m == 4 || (m == 6 && g.kh == 3),
             "no Winograd algorithm F(" + std::to_string(m) + ", " + std::to_string(g.kh) + ")");
    return variant(m, g.kh);
}

}  // namespace

WinogradMatrices winogradMatrices(int m, int r) {
    LL_CHECK(m >= 1 && m <= 6 && r >= 1 && r <= kMaxKernel && m + r - 1 <= kMaxTile,
             "Winograd matrices asked for an unsupported size");
    return buildMatrices(m, r);
}

bool winogradAvailable() {
#if defined(__AVX2__)
    // Off for comparisons: LAYERLENS_WINOGRAD=off (the direct kernels, or im2col + GEMM, then).
    static const bool enabled = [] {
        const char* v = std::getenv("LAYERLENS_WINOGRAD");
        return !(v && std::string(v) == "off");
    }();
    return enabled && directConvAvailable();
#else
    return false;
#endif
}

bool winogradApplies(const ConvGeometry& g) {
    // ResNet-20's 64-channel 8×8 layer ran 1.5× slower than the direct kernels, and
    // alexnet-mnist's 96 → 96 forward pass 1.2×; VGG's 64 → 128 and wider layers faster: at least
    // 64 input and 128 output channels. Maps under 4×4 (VGG's 2×2) leave too few tiles to pay for
    // transforming the weights.
    return shapeFits(g) && g.C >= 64 && g.K >= 128 && g.Ho >= 4 && g.Wo >= 4 && winogradAvailable();
}

void winogradForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                     float* y, const ConvEpilogue* epilogue, int tile, WinogradLayout layout) {
    const Variant& v = checkedVariant(g, tile, Pass::Forward);
    float* U = threadScratch(Scratch::WinogradU, v.positions() * positionStride(g.K, g.C));
    transformWeights(v, W, g.K, g.C, false, U);
    const Problem p{g.C, g.H, g.W, g.K, g.Ho, g.Wo, g.ph, g.pw, &v};
    (channelsLast(p, N, layout, Pass::Forward) ? runLast : run)(p, N, x, U, false, b, y, epilogue);
}

void winogradBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy, float* dx,
                          int tile, WinogradLayout layout) {
    const Variant& v = checkedVariant(g, tile, Pass::Data);
    float* U = threadScratch(Scratch::WinogradU, v.positions() * positionStride(g.K, g.C));
    transformWeights(v, W, g.K, g.C, true, U);
    const int k = g.kh;
    const Problem p{g.K, g.Ho, g.Wo, g.C, g.H, g.W, k - 1 - g.ph, k - 1 - g.pw, &v};
    (channelsLast(p, N, layout, Pass::Data) ? runLast : run)(p, N, dy, U, true, nullptr, dx,
                                                             nullptr);
}

// dU_ξ (K, C) = Σ over the tiles Ŷ_ξ V_ξᵀ, with the planes' transforms, in blocks of tile rows
// (weightBlockTiles). The same sums in the same order at any thread count (each product is one
// thread's).
void weightProductsPlanes(const Problem& p, int N, const float* x, const float* dy, float* dU) {
    const int P = p.v->positions();
    const int th = p.tileRows(), tw = p.tileCols(), rowsTotal = N * th;
    const std::ptrdiff_t us = positionStride(p.K, p.C);
    const int rowsPerBlock = std::max(1, std::min(rowsTotal, weightBlockTiles(p) / tw));
    const std::ptrdiff_t ldMax = static_cast<std::ptrdiff_t>(rowsPerBlock) * tw;
    float* V = threadScratch(Scratch::WinogradV, P * positionStride(p.C, ldMax));
    float* Y = threadScratch(Scratch::WinogradM, P * positionStride(p.K, ldMax));
    const std::size_t sf = scratchFloats(p);
    const bool parallel = numThreads() > 1;
    for (int r0 = 0; r0 < rowsTotal; r0 += rowsPerBlock) {
        const int r1 = std::min(rowsTotal, r0 + rowsPerBlock);
        const std::ptrdiff_t ld = static_cast<std::ptrdiff_t>(r1 - r0) * tw;
        parallelFor(p.C + p.K, parallel, [&](int i) {
            float* rows = threadScratch(Scratch::WinogradRows, sf);
            if (i < p.C) {
                p.v->input(p, x, i, r0, r1, V, ld, rows);
            } else {
                p.v->gradient(p, dy, i - p.C, r0, r1, Y, ld, rows);
            }
        });
        const float beta = r0 == 0 ? 0.0f : 1.0f;
        parallelFor(P, parallel, [&](int xi) {
            sgemmPacked(false, true, p.K, p.C, static_cast<int>(ld), 1.0f,
                        Y + xi * positionStride(p.K, ld), static_cast<int>(ld),
                        V + xi * positionStride(p.C, ld), static_cast<int>(ld), beta, dU + xi * us,
                        p.C);
        });
    }
}

// The same products with the channels-last transforms, V_ξ and Ŷ_ξ as (tiles, channels): blocks
// of whole samples, each block's samples transformed side by side. With db, also each sample's
// Σ dy per channel from its channels-last copy (vectors over the channels), into sums (N, K).
void weightProductsLast(const Problem& p, int N, const float* x, const float* dy, float* dU,
                        float* sums) {
    const Variant& v = *p.v;
    const int P = v.positions(), perSample = p.tileRows() * p.tileCols();
    const LastMaps l = lastMaps(p);
    const int Hb = l.Hb, Wb = l.Wb, Hq = l.Hq, Wq = l.Wq;
    const std::ptrdiff_t xbSample = l.inSample, dqSample = l.outSample;
    const std::ptrdiff_t us = positionStride(p.K, p.C);
    const int perBlock = std::max(1, std::min(N, weightBlockTiles(p) / perSample));
    const int tMax = perBlock * perSample;
    float* xb = threadScratch(Scratch::Padded, perBlock * xbSample);
    float* dq = threadScratch(Scratch::Transposed, perBlock * dqSample);
    float* V = threadScratch(Scratch::WinogradV, P * positionStride(tMax, p.C));
    float* Y = threadScratch(Scratch::WinogradM, P * positionStride(tMax, p.K));
    const std::size_t sf = lastScratchFloats(p);
    const bool parallel = numThreads() > 1;
    for (int n0 = 0; n0 < N; n0 += perBlock) {
        const int n1 = std::min(N, n0 + perBlock), t = (n1 - n0) * perSample;
        const std::ptrdiff_t vs = positionStride(t, p.C), ys = positionStride(t, p.K);
        // Two tasks a sample (its input, its dy), so that a block of one sample keeps two
        // threads busy.
        parallelFor(2 * (n1 - n0), parallel, [&](int task) {
            const int i = task / 2;
            float* tmp = threadScratch(Scratch::WinogradRows, sf);
            const std::ptrdiff_t t0 = static_cast<std::ptrdiff_t>(i) * perSample;
            if (task % 2 == 0) {
                toChannelsLast(x, n0 + i, n0 + i + 1, p.C, p.H, p.W, p.top, p.left, Hb, Wb,
                               xb + i * xbSample);
                v.inputLast(p, xb + i * xbSample, V, vs, t0, tmp);
                return;
            }
            toChannelsLast(dy, n0 + i, n0 + i + 1, p.K, p.Ho, p.Wo, 0, 0, Hq, Wq,
                           dq + i * dqSample);
            v.gradientLast(p, dq + i * dqSample, Y, ys, t0, tmp);
            if (sums) {
                float* s = sums + static_cast<std::ptrdiff_t>(n0 + i) * p.K;
                const float* d = dq + i * dqSample;
                std::fill(s, s + p.K, 0.0f);
                for (int e = 0; e < Hq * Wq; ++e, d += p.K) {
#pragma omp simd
                    for (int k = 0; k < p.K; ++k)
                        s[k] += d[k];
                }
            }
        });
        const float beta = n0 == 0 ? 0.0f : 1.0f;
        parallelFor(P, parallel, [&](int xi) {
            sgemmPacked(true, false, p.K, p.C, t, 1.0f, Y + xi * ys, p.K, V + xi * vs, p.C, beta,
                        dU + xi * us, p.C);
        });
    }
}

void winogradBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                             float* dW, float* db, int tile, WinogradLayout layout) {
    const Variant& v = checkedVariant(g, tile, Pass::Weights);
    const int P = v.positions(), R = v.taps();
    const Problem p{g.C, g.H, g.W, g.K, g.Ho, g.Wo, g.ph, g.pw, &v};
    const std::ptrdiff_t us = positionStride(g.K, g.C);
    float* dU = threadScratch(Scratch::WinogradU, P * us);
    const bool parallel = numThreads() > 1;
    const bool last = channelsLast(p, N, layout, Pass::Weights);
    // Each sample's Σ dy per channel, summed over the samples in order below.
    float* sums = last && db
                      ? threadScratch(Scratch::BiasPartials, static_cast<std::size_t>(N) * g.K)
                      : nullptr;
    if (last) {
        weightProductsLast(p, N, x, dy, dU, sums);
    } else {
        weightProductsPlanes(p, N, x, dy, dU);
    }
    // dW (K·C, r²) += dUᵀ T: g_t's gradient is Σ_ξ T[ξ][t] dU_ξ, summed over ξ in order for each
    // element (a chunk of kernels per task, so any thread count gives the same bits).
    constexpr int kChunk = 128;
    const int pairs = g.K * g.C, chunks = (pairs + kChunk - 1) / kChunk;
    parallelFor(chunks, parallel && pairs >= 4 * kChunk, [&](int ci) {
        const int j0 = ci * kChunk, n = std::min(kChunk, pairs - j0);
        float acc[kMaxKernel * kMaxKernel][kChunk];
        for (int t = 0; t < R; ++t)
            for (int j = 0; j < n; ++j)
                acc[t][j] = 0.0f;
        for (int xi = 0; xi < P; ++xi) {
            const float* u = dU + xi * us + j0;
            for (int t = 0; t < R; ++t) {
                const float coef = v.T[xi * R + t];
                if (coef == 0.0f) continue;
#pragma omp simd
                for (int j = 0; j < n; ++j)
                    acc[t][j] += coef * u[j];
            }
        }
        for (int j = 0; j < n; ++j)
            for (int t = 0; t < R; ++t)
                dW[static_cast<std::ptrdiff_t>(j0 + j) * R + t] += acc[t][j];
    });
    if (db && sums) {
        for (int n = 1; n < N; ++n) {
            const float* s = sums + static_cast<std::ptrdiff_t>(n) * g.K;
#pragma omp simd
            for (int k = 0; k < g.K; ++k)
                sums[k] += s[k];
        }
        for (int k = 0; k < g.K; ++k)
            db[k] += sums[k];
    } else if (db) {
        const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(g.Ho) * g.Wo;
        parallelFor(g.K, parallel, [&](int k) { db[k] += channelSum(dy, N, g.K, plane, k); });
    }
}

}  // namespace ll
