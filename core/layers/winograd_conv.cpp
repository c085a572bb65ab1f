#include "core/layers/winograd_conv.h"

#include <algorithm>
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

constexpr int kPositions = 16;  // the 4×4 positions ξ of a transformed tile

// A convolution as the algorithm sees it: C input maps of H×W, K output maps of Ho×Wo, the top and
// left zero border (the bottom and right ones follow from the sizes). Forward is the layer's own
// problem; backward-data the one on dy.
struct Problem {
    int C, H, W, K, Ho, Wo, top, left;
    int tileRows() const { return (Ho + 1) / 2; }
    int tileCols() const { return (Wo + 1) / 2; }
};

// Floats between two positions' matrices of `rows` × ld: padded by 64 floats so that the 16
// streams of a transform do not fall on the same cache sets (a multiple of 4 KB apart, they did,
// and the transforms ran 2–3× slower).
std::ptrdiff_t positionStride(int rows, std::ptrdiff_t ld) {
    return static_cast<std::ptrdiff_t>(rows) * ld + 64;
}

// T (16, 9): the weight transform as one matrix, U_ξ = Σ_t T[ξ][t] g_t, with
// T[(r, a)][(p, q)] = G[r][p] G[a][q]; and the same with the taps reversed (a kernel rotated by
// 180°).
struct WeightTransform {
    float forward[16 * 9], flipped[16 * 9];
    WeightTransform() {
        const float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
        for (int xi = 0; xi < 16; ++xi)
            for (int t = 0; t < 9; ++t) {
                forward[xi * 9 + t] = G[xi / 4][t / 3] * G[xi % 4][t % 3];
                flipped[xi * 9 + (8 - t)] = forward[xi * 9 + t];
            }
    }
};

// U (16, K, C) = G g Gᵀ for each of w's K × C kernels (w (K, C, 3, 3)), positions
// positionStride(K, C) apart: one product with T over every kernel at once. With `flip`
// (backward-data) each kernel rotated by 180°; the products then use each U_ξ transposed.
void transformWeights(const float* w, int K, int C, bool flip, float* U) {
    static const WeightTransform T;
    const int pairs = K * C;
    sgemmParallel(false, true, kPositions, pairs, 9, 1.0f, flip ? T.flipped : T.forward, 9, w, 9,
                  0.0f, U, static_cast<int>(positionStride(K, C)));
}

// Floats of a thread's scratch: one sample's bordered rows, (2·th + 2) × (2·tw + 2); their row
// transforms, 4 × (2·th + 2) × tw (both within 3 × the first); two output rows of 2·tw. (The
// gradient transform's 12·tw fit in the first part.)
std::size_t rowFloats(const Problem& p) {
    const std::size_t tw = p.tileCols(), th = p.tileRows();
    return 3 * (2 * th + 2) * (2 * tw + 2) + 4 * tw;
}

// V (16, C, ld) at columns [0, (r1 − r0)·tw): Bᵀ d B of channel c's tiles in tile rows [r0, r1)
// (tile row r is row r % th of sample r / th). A sample's rows are copied into their zero border
// first (scratch), so the tiles read no edge:
//   d B = (d0 − d2, d1 + d2, d2 − d1, d1 − d3) along each of the tile's rows, then Bᵀ down them.
void inputTransform(const Problem& p, const float* x, int c, int r0, int r1, float* V,
                    std::ptrdiff_t ld, float* scratch) {
    const int th = p.tileRows(), tw = p.tileCols(), Lp = 2 * tw + 2;
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(p.H) * p.W;
    const std::ptrdiff_t vs = positionStride(p.C, ld);
    const int colEnd = std::min(Lp, p.left + p.W);  // bordered columns [left, colEnd) are x's
    float* vc = V + static_cast<std::ptrdiff_t>(c) * ld;
    for (int r = r0; r < r1;) {
        const int sample = r / th, tyA = r % th, tyB = std::min(th, tyA + (r1 - r));
        const float* xc = x + (static_cast<std::ptrdiff_t>(sample) * p.C + c) * plane;
        for (int pr = 0; pr < 2 * (tyB - tyA) + 2; ++pr) {
            float* dst = scratch + static_cast<std::ptrdiff_t>(pr) * Lp;
            const int i = 2 * tyA + pr - p.top;
            if (i < 0 || i >= p.H) {
                for (int j = 0; j < Lp; ++j)
                    dst[j] = 0.0f;
                continue;
            }
            for (int j = 0; j < p.left; ++j)
                dst[j] = 0.0f;
            std::memcpy(dst + p.left, xc + static_cast<std::ptrdiff_t>(i) * p.W,
                        static_cast<std::size_t>(colEnd - p.left) * sizeof(float));
            for (int j = colEnd; j < Lp; ++j)
                dst[j] = 0.0f;
        }
        // d B along every bordered row of the sample: R[a] (rows, tw), contiguous in q.
        const int rowsP = 2 * (tyB - tyA) + 2;
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

// Output channel k of tile rows [r0, r1) from M (16, K, ld): Aᵀ m A + b, written into y
// (N, K, Ho, Wo), then the epilogue on the rows written. Rows of odd width go through scratch.
void outputTransform(const Problem& p, const float* M, std::ptrdiff_t ld, int k, int r0, int r1,
                     const float* b, float* y, const ConvEpilogue* epilogue, float* scratch) {
    const int th = p.tileRows(), tw = p.tileCols();
    const std::ptrdiff_t ms = positionStride(p.K, ld);
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(p.Ho) * p.Wo;
    const bool evenWidth = p.Wo % 2 == 0;
    const float bias = b ? b[k] : 0.0f;
    float* tmp0 = scratch + static_cast<std::ptrdiff_t>(2 * th + 2) * (2 * tw + 2) * 3;
    float* tmp1 = tmp0 + 2 * tw;
    for (int r = r0; r < r1;) {
        const int sample = r / th, tyA = r % th, tyB = std::min(th, tyA + (r1 - r));
        float* ys = y + (static_cast<std::ptrdiff_t>(sample) * p.K + k) * plane;
        for (int ty = tyA; ty < tyB; ++ty) {
            const float* m = M + static_cast<std::ptrdiff_t>(k) * ld +
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

// The 16 products M_ξ (K, cols) = U_ξ (K, C) V_ξ (C, cols) for positions [xi0, xi1); with
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

void run(const Problem& p, int N, const float* x, const float* U, bool transposedU, const float* b,
         float* y, const ConvEpilogue* epilogue) {
    const int th = p.tileRows(), tw = p.tileCols();
    const int rowsTotal = N * th;
    const std::int64_t tiles = static_cast<std::int64_t>(rowsTotal) * tw;
    const int T = numThreads();
    const bool parallel =
        T > 1 && tiles * kPositions * p.C * static_cast<std::int64_t>(p.K) >= kParallelMinWork;
    // Tiles per block: at least 256, so the GEMMs amortize packing U (64 gave vgg-cifar's 16×16
    // layer 1.2× less speed), more while the block's V and M stay within 1 MB.
    const int target = std::max(256, (1 << 18) / (kPositions * (p.C + p.K)));
    int rowsPerBlock = std::max(1, target / tw);
    int blocks = (rowsTotal + rowsPerBlock - 1) / rowsPerBlock;
    const std::size_t rf = rowFloats(p);
    if (!parallel || blocks >= T) {
        if (parallel) {  // a multiple of T blocks of nearly equal size
            blocks = (blocks + T - 1) / T * T;
            rowsPerBlock = (rowsTotal + blocks - 1) / blocks;
            blocks = (rowsTotal + rowsPerBlock - 1) / rowsPerBlock;
        }
        parallelFor(blocks, parallel, [&](int bi) {
            const int r0 = bi * rowsPerBlock, r1 = std::min(rowsTotal, r0 + rowsPerBlock);
            const std::ptrdiff_t ld = static_cast<std::ptrdiff_t>(r1 - r0) * tw;
            float* V = threadScratch(Scratch::WinogradV, kPositions * positionStride(p.C, ld));
            float* M = threadScratch(Scratch::WinogradM, kPositions * positionStride(p.K, ld));
            float* rows = threadScratch(Scratch::WinogradRows, rf);
            for (int c = 0; c < p.C; ++c)
                inputTransform(p, x, c, r0, r1, V, ld, rows);
            multiply(p, U, transposedU, V, M, ld, 0, kPositions);
            for (int k = 0; k < p.K; ++k)
                outputTransform(p, M, ld, k, r0, r1, b, y, epilogue, rows);
        });
        return;
    }
    // Too few tiles to give every thread blocks of its own: one block, the threads share each
    // step (channels, positions, output channels).
    const std::ptrdiff_t ld = tiles;
    float* V = threadScratch(Scratch::WinogradV, kPositions * positionStride(p.C, ld));
    float* M = threadScratch(Scratch::WinogradM, kPositions * positionStride(p.K, ld));
    parallelFor(p.C, true, [&](int c) {
        inputTransform(p, x, c, 0, rowsTotal, V, ld, threadScratch(Scratch::WinogradRows, rf));
    });
    parallelFor(kPositions, true,
                [&](int xi) { multiply(p, U, transposedU, V, M, ld, xi, xi + 1); });
    parallelFor(p.K, true, [&](int k) {
        outputTransform(p, M, ld, k, 0, rowsTotal, b, y, epilogue,
                        threadScratch(Scratch::WinogradRows, rf));
    });
}

// Ŷ (16, K, ld) at columns [0, (r1 − r0)·tw): A dy Aᵀ of output channel k's 2×2 tiles in tile rows
// [r0, r1), zero beyond Ho and Wo. A = [[1, 0], [1, 1], [1, −1], [0, −1]]: along a row,
// (y0, y0 + y1, y0 − y1, −y1), then the same down the tile's 2 rows. scratch: rowFloats(p).
void gradientTransform(const Problem& p, const float* dy, int k, int r0, int r1, float* Y,
                       std::ptrdiff_t ld, float* scratch) {
    const int th = p.tileRows(), tw = p.tileCols(), L = 2 * tw;
    const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(p.Ho) * p.Wo;
    const std::ptrdiff_t ys = positionStride(p.K, ld);
    float* row0 = scratch;  // two zero-padded rows of dy, 2·tw wide
    float* row1 = scratch + L;
    float* Z = scratch + 2 * L;  // their row transforms: (2 rows, 4, tw)
    for (int j = p.Wo; j < L; ++j)
        row0[j] = row1[j] = 0.0f;
    float* yk = Y + static_cast<std::ptrdiff_t>(k) * ld;
    for (int r = r0; r < r1; ++r) {
        const int sample = r / th, ty = r % th;
        const float* d = dy + (static_cast<std::ptrdiff_t>(sample) * p.K + k) * plane +
                         static_cast<std::ptrdiff_t>(2 * ty) * p.Wo;
        const std::size_t bytes = static_cast<std::size_t>(p.Wo) * sizeof(float);
        std::memcpy(row0, d, bytes);
        if (2 * ty + 1 < p.Ho) {
            std::memcpy(row1, d + p.Wo, bytes);
        } else {
            for (int j = 0; j < p.Wo; ++j)
                row1[j] = 0.0f;
        }
        for (int i = 0; i < 2; ++i) {
            const float* src = i == 0 ? row0 : row1;
            float* z = Z + static_cast<std::ptrdiff_t>(i) * 4 * tw;
#pragma omp simd
            for (int q = 0; q < tw; ++q) {
                const float y0 = src[2 * q], y1 = src[2 * q + 1];
                z[q] = y0;
                z[tw + q] = y0 + y1;
                z[2 * tw + q] = y0 - y1;
                z[3 * tw + q] = -y1;
            }
        }
        float* v = yk + static_cast<std::ptrdiff_t>(r - r0) * tw;
        for (int a = 0; a < 4; ++a) {
            const float* z0 = Z + static_cast<std::ptrdiff_t>(a) * tw;
            const float* z1 = z0 + 4 * tw;
            float* v0 = v + a * ys;
            float *v1 = v0 + 4 * ys, *v2 = v1 + 4 * ys, *v3 = v2 + 4 * ys;
#pragma omp simd
            for (int q = 0; q < tw; ++q) {
                v0[q] = z0[q];
                v1[q] = z0[q] + z1[q];
                v2[q] = z0[q] - z1[q];
                v3[q] = -z1[q];
            }
        }
    }
}

bool shapeFits(const ConvGeometry& g) {
    const bool pads = g.ph >= 0 && g.pw >= 0 && g.pb >= 0 && g.pr >= 0 && g.ph <= 2 && g.pw <= 2 &&
                      g.pb <= 2 && g.pr <= 2;
    return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
           g.groups == 1 && pads && g.Ho >= 1 && g.Wo >= 1 && g.Ho == g.H + g.ph + g.pb - 2 &&
           g.Wo == g.W + g.pw + g.pr - 2;
}

}  // namespace

bool winogradApplies(const ConvGeometry& g) {
#if defined(__AVX2__)
    // Off for comparisons: LAYERLENS_WINOGRAD=off (the direct kernels then, as before).
    static const bool enabled = [] {
        const char* v = std::getenv("LAYERLENS_WINOGRAD");
        return !(v && std::string(v) == "off");
    }();
    // ResNet-20's 64-channel 8×8 layer ran 1.5× slower than the direct kernels, VGG's 64 → 128
    // and wider faster: at least 32 channels each side and C·K ≥ 64·128. Maps under 4×4 (VGG's
    // 2×2: one tile per sample) leave too few tiles to pay for transforming the weights.
    return enabled && shapeFits(g) && g.C >= 32 && g.K >= 32 &&
           static_cast<std::int64_t>(g.C) * g.K >= 64 * 128 && g.Ho >= 4 && g.Wo >= 4 &&
           directConvAvailable();
#else
    (void)g;
    return false;
#endif
}

void winogradForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                     float* y, const ConvEpilogue* epilogue) {
    LL_CHECK(shapeFits(g), "Winograd F(2×2, 3×3) called for another convolution");
    float* U = threadScratch(Scratch::WinogradU, kPositions * positionStride(g.K, g.C));
    transformWeights(W, g.K, g.C, false, U);
    run({g.C, g.H, g.W, g.K, g.Ho, g.Wo, g.ph, g.pw}, N, x, U, false, b, y, epilogue);
}

void winogradBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                             float* dW, float* db) {
    LL_CHECK(shapeFits(g), "Winograd F(2×2, 3×3) called for another convolution");
    static const WeightTransform T;
    const Problem p{g.C, g.H, g.W, g.K, g.Ho, g.Wo, g.ph, g.pw};
    const int th = p.tileRows(), tw = p.tileCols(), rowsTotal = N * th;
    const std::ptrdiff_t us = positionStride(g.K, g.C);
    float* dU = threadScratch(Scratch::WinogradU, kPositions * us);
    // Blocks of at least 512 tiles (the products' reduction), while V and Ŷ stay within 4 MB.
    const int target = std::max(512, (1 << 20) / (kPositions * (p.C + p.K)));
    const int rowsPerBlock = std::max(1, std::min(rowsTotal, target / tw));
    const std::ptrdiff_t ldMax = static_cast<std::ptrdiff_t>(rowsPerBlock) * tw;
    float* V = threadScratch(Scratch::WinogradV, kPositions * positionStride(p.C, ldMax));
    float* Y = threadScratch(Scratch::WinogradM, kPositions * positionStride(p.K, ldMax));
    const std::size_t rf = rowFloats(p);
    const bool parallel = numThreads() > 1;
    // dU_ξ (K, C) = Σ over the blocks Ŷ_ξ V_ξᵀ: the same sums in the same order at any thread
    // count (each product is one thread's).
    for (int r0 = 0; r0 < rowsTotal; r0 += rowsPerBlock) {
        const int r1 = std::min(rowsTotal, r0 + rowsPerBlock);
        const std::ptrdiff_t ld = static_cast<std::ptrdiff_t>(r1 - r0) * tw;
        parallelFor(p.C + p.K, parallel, [&](int i) {
            float* rows = threadScratch(Scratch::WinogradRows, rf);
            if (i < p.C) {
                inputTransform(p, x, i, r0, r1, V, ld, rows);
            } else {
                gradientTransform(p, dy, i - p.C, r0, r1, Y, ld, rows);
            }
        });
        const float beta = r0 == 0 ? 0.0f : 1.0f;
        parallelFor(kPositions, parallel, [&](int xi) {
            sgemmPacked(false, true, p.K, p.C, static_cast<int>(ld), 1.0f,
                        Y + xi * positionStride(p.K, ld), static_cast<int>(ld),
                        V + xi * positionStride(p.C, ld), static_cast<int>(ld), beta, dU + xi * us,
                        p.C);
        });
    }
    // dW (K·C, 9) += dUᵀ T: g_t's gradient is Σ_ξ T[ξ][t] dU_ξ, summed over ξ in order for each
    // element (a chunk of kernels per task, so any thread count gives the same bits).
    constexpr int kChunk = 256;
    const int pairs = g.K * g.C, chunks = (pairs + kChunk - 1) / kChunk;
    parallelFor(chunks, parallel && pairs >= 4 * kChunk, [&](int ci) {
        const int j0 = ci * kChunk, n = std::min(kChunk, pairs - j0);
        float acc[9][kChunk];
        for (int t = 0; t < 9; ++t)
            for (int j = 0; j < n; ++j)
                acc[t][j] = 0.0f;
        for (int xi = 0; xi < kPositions; ++xi) {
            const float* u = dU + xi * us + j0;
            for (int t = 0; t < 9; ++t) {
                const float coef = T.forward[xi * 9 + t];
                if (coef == 0.0f) continue;
#pragma omp simd
                for (int j = 0; j < n; ++j)
                    acc[t][j] += coef * u[j];
            }
        }
        for (int j = 0; j < n; ++j)
            for (int t = 0; t < 9; ++t)
                dW[static_cast<std::ptrdiff_t>(j0 + j) * 9 + t] += acc[t][j];
    });
    if (db) {
        const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(g.Ho) * g.Wo;
        parallelFor(g.K, parallel, [&](int k) {
            float sum = 0.0f;
            for (int n = 0; n < N; ++n) {
                const float* d = dy + (static_cast<std::ptrdiff_t>(n) * g.K + k) * plane;
                for (std::ptrdiff_t i = 0; i < plane; ++i)
                    sum += d[i];
            }
            db[k] += sum;
        });
    }
}

void winogradBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy,
                          float* dx) {
    LL_CHECK(shapeFits(g), "Winograd F(2×2, 3×3) called for another convolution");
    float* U = threadScratch(Scratch::WinogradU, kPositions * positionStride(g.K, g.C));
    transformWeights(W, g.K, g.C, true, U);
    run({g.K, g.Ho, g.Wo, g.C, g.H, g.W, 2 - g.ph, 2 - g.pw}, N, dy, U, true, nullptr, dx, nullptr);
}

}  // namespace ll
