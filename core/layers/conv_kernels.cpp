#include "core/layers/conv_kernels.h"

#include <algorithm>
#include <cstring>

#include "core/gemm.h"
#include "core/kernels.h"
#include "core/layers/direct_conv_kernels.h"
#include "core/layers/tapwise_conv.h"
#include "core/layers/winograd_conv.h"
#include "core/parallel.h"
#include "core/tensor.h"

namespace ll {

namespace {

// Valid output-column range [lo, hi) for kernel column kj: those ow with
// 0 <= ow*sw - pw + kj*dw < W.
void validColumns(const ConvGeometry& g, int kj, int& lo, int& hi) {
    const int first = g.pw - kj * g.dw;  // smallest ow*sw that lands inside
    lo = first <= 0 ? 0 : (first + g.sw - 1) / g.sw;
    const int last = g.W - 1 + g.pw - kj * g.dw;  // largest ow*sw that lands inside
    hi = last < 0 ? 0 : std::min(g.Wo, last / g.sw + 1);
    lo = std::min(lo, hi);
}

AlignedFloats& threadColumns(std::size_t n) {
    static thread_local AlignedFloats buf;
    if (buf.size() < n) buf.resize(n);
    return buf;
}

}  // namespace

namespace {

// Output rows [lo, hi) of kernel row ki: those oh with 0 <= oh*sh - ph + ki*dh < H.
void validRows(const ConvGeometry& g, int ki, int& lo, int& hi) {
    const int first = g.ph - ki * g.dh;
    lo = first <= 0 ? 0 : (first + g.sh - 1) / g.sh;
    const int last = g.H - 1 + g.ph - ki * g.dh;
    hi = last < 0 ? 0 : std::min(g.Ho, last / g.sh + 1);
    lo = std::min(lo, hi);
}

// im2col when stride is 1 and the output is as wide as the input ("same" padding along the
// width): the valid rows of one column-matrix row are the input plane shifted by a constant, so
// they are one memcpy, after which the columns that wrapped around a row edge are zeroed.
void im2colSameWidth(const float* x, const ConvGeometry& g, float* col, int HoWo) {
    const int W = g.W;
    for (int c = 0; c < g.groupChannels(); ++c) {
        const float* xc = x + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int ki = 0; ki < g.kh; ++ki) {
            int r0, r1;
            validRows(g, ki, r0, r1);
            for (int kj = 0; kj < g.kw; ++kj) {
                float* row = col + (static_cast<std::ptrdiff_t>(c * g.kh + ki) * g.kw + kj) * HoWo;
                std::fill(row, row + static_cast<std::ptrdiff_t>(r0) * W, 0.0f);
                std::fill(row + static_cast<std::ptrdiff_t>(r1) * W,
                          row + static_cast<std::ptrdiff_t>(g.Ho) * W, 0.0f);
                if (r1 <= r0) continue;
                const int shift = kj * g.dw - g.pw;  // column ow reads input column ow + shift
                const int lo = std::max(0, -shift), hi = std::min(W, W - shift);
                if (hi <= lo) {
                    std::fill(row + static_cast<std::ptrdiff_t>(r0) * W,
                              row + static_cast<std::ptrdiff_t>(r1) * W, 0.0f);
                    continue;
                }
                float* dst = row + static_cast<std::ptrdiff_t>(r0) * W + lo;
                const float* src =
                    xc + static_cast<std::ptrdiff_t>(r0 - g.ph + ki * g.dh) * W + lo + shift;
                const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(r1 - r0) * W - lo - (W - hi);
                std::memcpy(dst, src, sizeof(float) * static_cast<std::size_t>(n));
                for (int oh = r0; oh < r1; ++oh) {
                    float* out = row + static_cast<std::ptrdiff_t>(oh) * W;
                    for (int ow = 0; ow < lo; ++ow)
                        out[ow] = 0.0f;
                    for (int ow = hi; ow < W; ++ow)
                        out[ow] = 0.0f;
                }
            }
        }
    }
}

// The extent of the input a convolution's windows cover, padding included: rows
// [−ph, −ph + spanH) and columns [−pw, −pw + spanW).
int spanOf(int out, int stride, int k, int dilation) {
    return (out - 1) * stride + (k - 1) * dilation + 1;
}
constexpr int kSmallPlane = 1024;  // floats of a small plane's bordered copy, on the stack

// Outputs of at most 16 (VGG's 2×2 and 4×4 maps): the plane is copied once into its zero border,
// then every column-matrix row is read off the copy with plain loops. The other paths' memcpy and
// fill calls per row of one to four floats cost more than the copies (im2col took 16% of
// vgg-cifar's 2×2 forward pass).
bool smallPlane(const ConvGeometry& g) {
    return g.Ho * g.Wo <= 16 &&
           spanOf(g.Ho, g.sh, g.kh, g.dh) * spanOf(g.Wo, g.sw, g.kw, g.dw) <= kSmallPlane;
}

void im2colSmall(const float* x, const ConvGeometry& g, float* col, int HoWo) {
    const int Hp = spanOf(g.Ho, g.sh, g.kh, g.dh), Wp = spanOf(g.Wo, g.sw, g.kw, g.dw);
    float buf[kSmallPlane];
    for (int c = 0; c < g.groupChannels(); ++c) {
        const float* xc = x + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int r = 0; r < Hp; ++r) {
            const int ih = r - g.ph;
            for (int q = 0; q < Wp; ++q) {
                const int iw = q - g.pw;
                buf[r * Wp + q] =
                    ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? xc[ih * g.W + iw] : 0.0f;
            }
        }
        for (int ki = 0; ki < g.kh; ++ki) {
            for (int kj = 0; kj < g.kw; ++kj) {
                float* row = col + (static_cast<std::ptrdiff_t>(c * g.kh + ki) * g.kw + kj) * HoWo;
                const float* from = buf + ki * g.dh * Wp + kj * g.dw;
                for (int oh = 0; oh < g.Ho; ++oh)
                    for (int ow = 0; ow < g.Wo; ++ow)
                        row[oh * g.Wo + ow] = from[oh * g.sh * Wp + ow * g.sw];
            }
        }
    }
}

}  // namespace

void im2col(const float* x, const ConvGeometry& g, float* col, int ld) {
    const int HoWo = ld > 0 ? ld : g.colCols();
    if (smallPlane(g)) {
        im2colSmall(x, g, col, HoWo);
        return;
    }
    if (g.sh == 1 && g.sw == 1 && g.Wo == g.W) {
        im2colSameWidth(x, g, col, HoWo);
        return;
    }
    for (int c = 0; c < g.groupChannels(); ++c) {
        const float* xc = x + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int ki = 0; ki < g.kh; ++ki) {
            for (int kj = 0; kj < g.kw; ++kj) {
                float* row = col + (static_cast<std::ptrdiff_t>(c * g.kh + ki) * g.kw + kj) * HoWo;
                int lo, hi;
                validColumns(g, kj, lo, hi);
                for (int oh = 0; oh < g.Ho; ++oh) {
                    float* out = row + oh * g.Wo;
                    const int ih = oh * g.sh - g.ph + ki * g.dh;
                    if (ih < 0 || ih >= g.H) {
                        std::fill(out, out + g.Wo, 0.0f);
                        continue;
                    }
                    std::fill(out, out + lo, 0.0f);
                    const float* in = xc + ih * g.W - g.pw + kj * g.dw;
                    if (g.sw == 1) {
                        std::memcpy(out + lo, in + lo, sizeof(float) * (hi - lo));
                    } else {
                        for (int ow = lo; ow < hi; ++ow)
                            out[ow] = in[ow * g.sw];
                    }
                    std::fill(out + hi, out + g.Wo, 0.0f);
                }
            }
        }
    }
}

void col2imAdd(const float* dcol, const ConvGeometry& g, float* dx, int ld) {
    const int HoWo = ld > 0 ? ld : g.colCols();
    for (int c = 0; c < g.groupChannels(); ++c) {
        float* dxc = dx + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int ki = 0; ki < g.kh; ++ki) {
            for (int kj = 0; kj < g.kw; ++kj) {
                const float* row =
                    dcol + (static_cast<std::ptrdiff_t>(c * g.kh + ki) * g.kw + kj) * HoWo;
                int lo, hi;
                validColumns(g, kj, lo, hi);
                for (int oh = 0; oh < g.Ho; ++oh) {
                    const int ih = oh * g.sh - g.ph + ki * g.dh;
                    if (ih < 0 || ih >= g.H) continue;
                    const float* src = row + oh * g.Wo;
                    float* dst = dxc + ih * g.W - g.pw + kj * g.dw;
                    if (g.sw == 1) {  // contiguous: vectorized
                        for (int ow = lo; ow < hi; ++ow)
                            dst[ow] += src[ow];
                    } else {
                        for (int ow = lo; ow < hi; ++ow)
                            dst[ow * g.sw] += src[ow];
                    }
                }
            }
        }
    }
}

namespace {

// Samples are processed in blocks whose column matrices sit side by side, (R, b·P), so one GEMM
// serves the whole block: for deep layers with small maps (P = 4 at VGG's 2×2 stage) a GEMM per
// sample would re-read the weights for every sample. Blocks are capped at ~4M floats of columns.
// (Blocks of samples, not to be confused with the groups of channels of a grouped convolution:
// each block is worked on one group of channels after the other.)
struct SampleBlocks {
    int size, count;
};

SampleBlocks makeSampleBlocks(const ConvGeometry& g, int N) {
    if (g.colCols() >= 256) return {1, N};  // large maps: a GEMM per sample is efficient already
    const std::int64_t perSample =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(g.colRows()) * g.colCols());
    // Floats of columns per block. The fast kernels keep a block's columns within about 2 MB, so
    // im2col's output is still in cache when the GEMM packs it (ResNet-20's 8×8 stage: 2× faster
    // than 32 MB blocks); the reference kernels keep the blocks the trajectories were recorded
    // with (BLIS or Eigen is chosen by size, and they round differently).
    const std::int64_t cap =
        kernelSet() == KernelSet::Fast ? std::int64_t{1} << 19 : std::int64_t{8} << 20;
    const int T = numThreads();
    // A multiple of T blocks of (nearly) equal size, so no thread waits for a last lone block.
    int count = T;
    while (count < N && perSample * ((N + count - 1) / count) > cap)
        count += T;
    count = std::min(count, N);
    const int size = (N + count - 1) / count;
    return {size, (N + size - 1) / size};
}

// Sample j's (rows, P) block inside a block matrix (rows, cnt·P). With cnt == 1 the block matrix
// is the sample matrix itself, so callers skip the copies then.
using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
StridedMap sampleBlock(float* block, int rows, int cnt, int P, int j) {
    return StridedMap(block + static_cast<std::ptrdiff_t>(j) * P, rows, P,
                      Eigen::OuterStride<>(static_cast<Eigen::Index>(cnt) * P));
}

// Offset of channel group `grp` inside a sample of `channels`-sized groups of (H, W) maps.
std::ptrdiff_t groupOffset(int grp, int channels, int H, int W) {
    return static_cast<std::ptrdiff_t>(grp) * channels * H * W;
}

// Columns of group `grp` of samples [n0, n0 + cnt) into col (R, cnt·P), each sample's block
// written in place.
void blockColumns(const ConvGeometry& g, const float* x, int grp, int n0, int cnt, float* col) {
    const int R = g.colRows(), P = g.colCols();
    const std::ptrdiff_t xStride = static_cast<std::ptrdiff_t>(g.C) * g.H * g.W;
    for (int j = 0; j < cnt; ++j) {
        const float* src = x + (n0 + j) * xStride + groupOffset(grp, g.groupChannels(), g.H, g.W);
        if (g.isPointwise()) {
            sampleBlock(col, R, cnt, P, j) = ConstMatrixMap(src, R, P);
        } else {
            im2col(src, g, col + static_cast<std::ptrdiff_t>(j) * P, cnt * P);
        }
    }
}

// One block of samples being worked on: samples [n0, n0 + cnt), room for one group's columns
// (R, cols) at col in the thread's buffer, followed by room for a (K/groups, cols) matrix when
// cnt > 1.
struct BlockWork {
    int n0, cnt;
    Eigen::Index cols;
    std::size_t colSize;
    float* col;
};

BlockWork startBlock(const ConvGeometry& g, int N, const SampleBlocks& B, int bi) {
    BlockWork w;
    w.n0 = bi * B.size;
    w.cnt = std::min(B.size, N - w.n0);
    w.cols = static_cast<Eigen::Index>(w.cnt) * g.colCols();
    w.colSize = static_cast<std::size_t>(g.colRows()) * w.cols;
    AlignedFloats& buf = threadColumns(
        w.colSize + (w.cnt > 1 ? static_cast<std::size_t>(g.groupOutputs()) * w.cols : 0));
    w.col = buf.data();
    return w;
}

// Layers whose weights outweigh a batch's columns (VGG's 512-channel 2×2 layers; a 5×5 layer on a
// 5×5 map, as in LeNet-style nets): per block of samples the weight gradient would sum a partial dW
// per thread as large as the weights (zeroed, written, added: vgg-cifar's 2×2 layers ran at 15% of
// the FMA peak). The fast set computes it with one product over the whole batch instead, its rows
// split over the threads (sgemmParallel): 38%.
bool wholeBatch(const ConvGeometry& g, int N) {
    return kernelSet() == KernelSet::Fast && g.groups == 1 && !g.isPointwise() &&
           static_cast<std::int64_t>(g.K) >= static_cast<std::int64_t>(N) * g.colCols();
}

// The calling thread's column buffer holding col (R, N·P), every sample's columns side by side,
// followed by room for a (K, N·P) matrix.
float* batchColumns(const ConvGeometry& g, int N, const float* x) {
    const int R = g.colRows(), P = g.colCols();
    const std::size_t cols = static_cast<std::size_t>(N) * P;
    float* col = threadColumns(static_cast<std::size_t>(R + g.K) * cols).data();
    const std::ptrdiff_t xStride = static_cast<std::ptrdiff_t>(g.C) * g.H * g.W;
    parallelFor(N,
                static_cast<std::int64_t>(R) * static_cast<std::int64_t>(cols) >= kParallelMinWork,
                [&](int n) {
                    im2col(x + n * xStride, g, col + static_cast<std::ptrdiff_t>(n) * P,
                           static_cast<int>(cols));
                });
    return col;
}

}  // namespace

void ConvWorkspace::addPartials(int threads, std::size_t wSize, int K, float* dW, float* db) const {
    VectorMap dWv(dW, static_cast<Eigen::Index>(wSize));
    for (int t = 0; t < threads; ++t) {
        dWv += ConstVectorMap(dWPartials.data() + wSize * t, static_cast<Eigen::Index>(wSize));
        if (db) {
            VectorMap(db, K) +=
                ConstVectorMap(dbPartials.data() + static_cast<std::size_t>(K) * t, K);
        }
    }
}

float channelSum(const float* dy, int N, int K, std::ptrdiff_t P, int k) {
    float sum = 0.0f;
    for (int n = 0; n < N; ++n) {
        const float* d = dy + (static_cast<std::ptrdiff_t>(n) * K + k) * P;
        for (std::ptrdiff_t i = 0; i < P; ++i)
            sum += d[i];
    }
    return sum;
}

void applyEpilogueRows(const ConvEpilogue& e, int k0, int rows, int n, std::ptrdiff_t stride,
                       float* y) {
    for (int r = 0; r < rows; ++r) {
        float* q = y + static_cast<std::ptrdiff_t>(r) * stride;
        if (e.scale) {
            const float a = e.scale[k0 + r], b = e.shift[k0 + r];
            for (int i = 0; i < n; ++i)
                q[i] = a * q[i] + b;
        }
        if (e.relu) VectorMap(q, n) = ConstVectorMap(q, n).cwiseMax(0.0f);
    }
}

void applyEpilogue(const ConvEpilogue& e, int k0, int rows, int P, float* y) {
    applyEpilogueRows(e, k0, rows, P, P, y);
}

EpilogueArithmetic epilogueArithmetic() {
    static const EpilogueArithmetic arithmetic = [] {
        // a = y = 1 + 2⁻¹², b = −1: a·y = 1 + 2⁻¹¹ + 2⁻²⁴, whose last term is half an ulp of 1, so
        // rounded (to even) it is 1 + 2⁻¹¹ and the sum 2⁻¹¹; fused, the sum is 2⁻¹¹ + 2⁻²⁴.
        // Read through volatiles, so that nothing is computed at compile time.
        volatile float va = 1.0f + 0x1p-12f, vb = -1.0f;
        const float a = va, b = vb;
        std::vector<float> y(67, a);  // a vector loop and a scalar tail, whatever the lanes
        const ConvEpilogue e{&a, &b, false};
        applyEpilogueRows(e, 0, 1, static_cast<int>(y.size()), 0, y.data());
        const float separate = 0x1p-11f, fused = 0x1p-11f + 0x1p-24f;
        const auto all = [&](float v) {
            return std::all_of(y.begin(), y.end(), [v](float q) { return q == v; });
        };
        return all(fused)      ? EpilogueArithmetic::Fused
               : all(separate) ? EpilogueArithmetic::Separate
                               : EpilogueArithmetic::Mixed;
    }();
    return arithmetic;
}

void convForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                 float* y, const ConvEpilogue* epilogue) {
    if (tapwiseApplies(g, N)) {
        tapwiseForward(g, N, x, W, b, y, epilogue);
        return;
    }
    if (kernelSet() == KernelSet::Fast && winogradApplies(g)) {
        winogradForward(g, N, x, W, b, y, epilogue);
        return;
    }
    if (kernelSet() == KernelSet::Fast && directConvApplies(g)) {
        directConvForward(g, N, x, W, b, y, epilogue);
        return;
    }
    const int R = g.colRows(), P = g.colCols(), Kg = g.groupOutputs();
    const std::ptrdiff_t yStride = static_cast<std::ptrdiff_t>(g.K) * P;
    const SampleBlocks B = makeSampleBlocks(g, N);
    const bool big = static_cast<std::int64_t>(N) * g.K * R * P >= kParallelMinWork;
    parallelFor(B.count, big, [&](int bi) {
        const auto [n0, cnt, cols, colSize, col] = startBlock(g, N, B, bi);
        for (int grp = 0; grp < g.groups; ++grp) {
            blockColumns(g, x, grp, n0, cnt, col);
            const float* Wg = W + static_cast<std::ptrdiff_t>(grp) * Kg * R;
            const float* bg = b ? b + static_cast<std::ptrdiff_t>(grp) * Kg : nullptr;
            const std::ptrdiff_t yOffset = static_cast<std::ptrdiff_t>(grp) * Kg * P;
            // One sample: the GEMM writes straight into y; a block goes through (Kg, cnt·P).
            float* out = cnt == 1 ? y + n0 * yStride + yOffset : col + colSize;
            sgemm(false, false, Kg, static_cast<int>(cols), R, 1.0f, Wg, R, col,
                  static_cast<int>(cols), 0.0f, out, static_cast<int>(cols));
            for (int j = 0; j < cnt; ++j) {
                MatrixMap Y(y + (n0 + j) * yStride + yOffset, Kg, P);
                if (cnt == 1) {
                    if (bg) Y.colwise() += ConstVectorMap(bg, Kg);
                } else if (bg) {
                    Y = sampleBlock(out, Kg, cnt, P, j).colwise() + ConstVectorMap(bg, Kg);
                } else {
                    Y = sampleBlock(out, Kg, cnt, P, j);
                }
                if (epilogue) applyEpilogue(*epilogue, grp * Kg, Kg, P, Y.data());
            }
        }
    });
}

void convBackward(const ConvGeometry& g, int N, const float* x, const float* W, const float* dy,
                  float* dW, float* db, float* dx, ConvWorkspace& ws) {
    if (tapwiseApplies(g, N)) {
        if (dW) tapwiseBackwardWeights(g, N, x, dy, dW, db);
        if (dx) tapwiseBackwardData(g, N, W, dy, dx);
        return;
    }
    // Winograd's gradients for 5×5 kernels too since its transforms run over a sample's tiles at
    // once: at alexnet-mnist's 5×5 layer (2 threads) the weight gradient took 126 ms against
    // im2col + GEMM's 170–238, weights and dx together 259–264 against 338–360.
    const bool winograd = kernelSet() == KernelSet::Fast && winogradApplies(g);
    if (kernelSet() == KernelSet::Fast && (winograd || directConvApplies(g))) {
        if (dW) {
            if (winograd) {
                winogradBackwardWeights(g, N, x, dy, dW, db);
            } else {
                directConvBackwardWeights(g, N, x, dy, dW, db);
            }
        }
        if (!dx) return;
        // dx by Winograd where the direct kernel cannot, or is slower: at vgg-cifar's 64- and
        // 128-input-channel 16×16 layers the direct kernel ran at 89–95% of the FMA peak against
        // Winograd's 72%; at 256 it ran at 58% against 69%; at its 128 → 256 8×8 layer dx took
        // 4.3–4.7 ms against Winograd's 3.3–3.6 (alternated, 2026-12-05).
        if (winograd && (!directConvDataApplies(g) || g.C >= 256 || (g.C >= 128 && g.W <= 8))) {
            winogradBackwardData(g, N, W, dy, dx);
            return;
        }
        if (directConvDataApplies(g)) {
            directConvBackwardData(g, N, W, dy, dx);
            return;
        }
        dW = db = nullptr;  // stride 2: only dx is left, by col2im below
    }
    const int R = g.colRows(), P = g.colCols(), Kg = g.groupOutputs();
    const std::ptrdiff_t xStride = static_cast<std::ptrdiff_t>(g.C) * g.H * g.W;
    const std::ptrdiff_t yStride = static_cast<std::ptrdiff_t>(g.K) * P;
    const std::ptrdiff_t xGroupSize = groupOffset(1, g.groupChannels(), g.H, g.W);
    if (wholeBatch(g, N) && dW) {
        const int cols = N * P;
        const bool big = static_cast<std::int64_t>(g.K) * cols >= kParallelMinWork;
        float* col = batchColumns(g, N, x);
        float* dY = col + static_cast<std::ptrdiff_t>(R) * cols;  // (K, N·P)
        parallelFor(N, big, [&](int n) {
            sampleBlock(dY, g.K, N, P, n) = ConstMatrixMap(dy + n * yStride, g.K, P);
        });
        sgemmParallel(false, true, g.K, R, cols, 1.0f, dY, cols, col, cols, 1.0f, dW, R);
        if (db) {
            parallelFor(g.K, big, [&](int k) {
                db[k] += ConstVectorMap(dY + static_cast<std::ptrdiff_t>(k) * cols, cols).sum();
            });
        }
        if (!dx) return;
        dW = db = nullptr;  // dx by the blocks below: one product was not faster there
    }
    const int T = numThreads();
    const std::size_t wSize = static_cast<std::size_t>(g.K) * R;
    // Each thread sums its own blocks; partials are added in thread order afterwards, so the
    // result is deterministic for a given thread count.
    if (dW) {
        ws.dWPartials.assign(wSize * T, 0.0f);
        ws.dbPartials.assign(static_cast<std::size_t>(g.K) * T, 0.0f);
    }
    const SampleBlocks B = makeSampleBlocks(g, N);
    const bool big = static_cast<std::int64_t>(N) * g.K * R * P >= kParallelMinWork;
    parallelFor(B.count, big, [&](int bi) {
        const int t = threadIndex();
        const auto [n0, cnt, cols, colSize, col] = startBlock(g, N, B, bi);
        for (int grp = 0; grp < g.groups; ++grp) {
            if (dW) blockColumns(g, x, grp, n0, cnt, col);
            const std::ptrdiff_t yOffset = static_cast<std::ptrdiff_t>(grp) * Kg * P;
            // One sample: dy itself is the block matrix.
            const float* dyg = dy + n0 * yStride + yOffset;
            if (cnt > 1) {
                float* gathered = col + colSize;
                for (int j = 0; j < cnt; ++j) {
                    sampleBlock(gathered, Kg, cnt, P, j) =
                        ConstMatrixMap(dy + (n0 + j) * yStride + yOffset, Kg, P);
                }
                dyg = gathered;
            }
            ConstMatrixMap dYg(dyg, Kg, cols);
            if (dW) {
                float* dWt =
                    ws.dWPartials.data() + wSize * t + static_cast<std::size_t>(grp) * Kg * R;
                sgemm(false, true, Kg, R, static_cast<int>(cols), 1.0f, dyg, static_cast<int>(cols),
                      col, static_cast<int>(cols), 1.0f, dWt, R);
            }
            if (db) {
                VectorMap(ws.dbPartials.data() + static_cast<std::size_t>(g.K) * t +
                              static_cast<std::size_t>(grp) * Kg,
                          Kg) += dYg.rowwise().sum();
            }
            if (dx) {
                // dcol = Wᵀ dY for the whole block, reusing the column buffer; then each sample's
                // block is scattered back to its image (pointwise: the block is dx itself).
                const float* Wg = W + static_cast<std::ptrdiff_t>(grp) * Kg * R;
                sgemm(true, false, R, static_cast<int>(cols), Kg, 1.0f, Wg, R, dyg,
                      static_cast<int>(cols), 0.0f, col, static_cast<int>(cols));
                for (int j = 0; j < cnt; ++j) {
                    float* dxn = dx + (n0 + j) * xStride + grp * xGroupSize;
                    if (g.isPointwise()) {
                        MatrixMap(dxn, R, P) = sampleBlock(col, R, cnt, P, j);
                        continue;
                    }
                    std::fill(dxn, dxn + xGroupSize, 0.0f);
                    col2imAdd(col + static_cast<std::ptrdiff_t>(j) * P, g, dxn, cnt * P);
                }
            }
        }
    });
    if (dW) ws.addPartials(T, wSize, g.K, dW, db);
}

}  // namespace ll
