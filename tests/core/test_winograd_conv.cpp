// Winograd F(2×2, 3×3), F(4×4, 3×3), F(6×6, 3×3), F(2×2, 5×5) and F(4×4, 5×5) (fast kernel set)
// against im2col + GEMM (reference kernel set), within a rounding error bound computed for the
// transformed sum, and the layer's gradients checked numerically with it in use.
#include "support/check.h"
#include "support/rounding.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/kernels.h"
#include "core/layers/conv2d.h"
#include "core/layers/winograd_conv.h"
#include "core/parallel.h"
#include "core/random.h"

namespace ll {
namespace {

using test::gamma;
using test::normals;

struct Case {
    int N, C, K, H, W;
    int pad = 1;    // top and left
    int pad2 = -1;  // bottom and right; -1: as pad
    int KS = 3;     // kernel size
    int m = 2;      // output tile
    WinogradLayout layout = WinogradLayout::Planes;
};

// Odd and even sizes (a last tile partly outside), maps of 1×1 to 16×16, every padding the kernel
// allows and unequal ones, batch 7, and sizes that take both ways of sharing the work: blocks of
// tile rows per thread, and one block whose GEMMs the threads share. Each case runs with
// m = 2 and m = 4, the 3×3 ones with m = 6 too, in both layouts.
constexpr Case k3x3[] = {
    {2, 32, 32, 16, 16}, {3, 5, 7, 7, 9},       {1, 3, 4, 1, 1},     {2, 8, 6, 10, 13, 0},
    {1, 4, 5, 6, 7, 2},  {2, 4, 3, 9, 8, 0, 2}, {7, 6, 9, 4, 4},     {1, 64, 48, 2, 2},
    {4, 40, 36, 16, 16}, {2, 64, 64, 4, 4},     {3, 33, 35, 11, 11}, {1, 5, 7, 14, 18, 2, 0},
};
// With F(2×2, 3×3) only: more tiles than one block takes, so the forward pass and dx run blocks
// of samples on each thread, and the weight gradient sums two blocks.
constexpr Case kManyTiles = {3, 48, 48, 32, 32};
// And with F(4×4, 3×3): blocks of several samples a thread, the last one shorter.
constexpr Case kManyTiles4 = {9, 16, 16, 24, 24, 1, -1, 3, 4};
constexpr Case k5x5[] = {
    {2, 6, 5, 12, 12, 2, -1, 5},   {1, 5, 7, 9, 11, 0, -1, 5}, {1, 3, 4, 5, 6, 0, 4, 5},
    {2, 24, 33, 11, 11, 2, -1, 5}, {1, 4, 3, 1, 1, 2, -1, 5},  {3, 7, 6, 8, 7, 4, 1, 5},
};

std::vector<Case> allCases() {
    std::vector<Case> cases;
    for (int m : {2, 4, 6})
        for (Case c : k3x3) {
            c.m = m;
            cases.push_back(c);
        }
    for (int m : {2, 4})
        for (Case c : k5x5) {
            c.m = m;
            cases.push_back(c);
        }
    cases.push_back(kManyTiles);
    cases.push_back(kManyTiles4);
    const std::size_t planes = cases.size();  // and each in channels-last order
    for (std::size_t i = 0; i < planes; ++i) {
        Case c = cases[i];
        c.layout = WinogradLayout::ChannelsLast;
        cases.push_back(c);
    }
    return cases;
}

ConvGeometry geometryOf(const Case& c) {
    ConvGeometry g;
    g.C = c.C, g.H = c.H, g.W = c.W, g.K = c.K;
    g.kh = g.kw = c.KS;
    g.ph = g.pw = c.pad;
    g.pb = g.pr = c.pad2 < 0 ? c.pad : c.pad2;
    g.Ho = slidingOutputSize(c.H, c.KS, 1, g.ph, g.pb);
    g.Wo = slidingOutputSize(c.W, c.KS, 1, g.pw, g.pr);
    return g;
}

// |y − exact| for F(m×m, r×r) is at most γ_n Σ_ξ |a_ξ| Σ_c |u_ξc| |v_ξc|, with |u| ≤ |G||g||Gᵀ|
// and |v| ≤ |Bᵀ||d||B| (n: the longest chain of roundings, the C-term sum plus the transforms').
// Expanded, that is Σ over the tile's α² inputs and the r² taps of |w||x| times
// c(i, t, p)·c(j, s, q), c(i, t, p) = Σ_b |Aᵀ[i][b]| |G[b][t]| |Bᵀ[b][p]| — products the direct
// sum never forms, which cancel exactly, count too. Computed here in double, output by output.
std::vector<double> winogradBound(const ConvGeometry& g, int N, const std::vector<float>& x,
                                  const std::vector<float>& w, int m) {
    const int r = g.kh;
    const WinogradMatrices M = winogradMatrices(m, r);
    const int a = M.a;
    std::vector<double> coef(static_cast<std::size_t>(m) * r * a, 0.0);
    for (int i = 0; i < m; ++i)
        for (int t = 0; t < r; ++t)
            for (int p = 0; p < a; ++p)
                for (int b = 0; b < a; ++b)
                    coef[(static_cast<std::size_t>(i) * r + t) * a + p] +=
                        std::fabs(M.AT[i * a + b] * M.G[b * r + t] * M.BT[b * a + p]);
    auto cf = [&](int i, int t, int p) {
        return coef[(static_cast<std::size_t>(i) * r + t) * a + p];
    };
    std::vector<double> bound(static_cast<std::size_t>(N) * g.K * g.Ho * g.Wo);
    for (int n = 0; n < N; ++n)
        for (int k = 0; k < g.K; ++k)
            for (int oh = 0; oh < g.Ho; ++oh)
                for (int ow = 0; ow < g.Wo; ++ow) {
                    const int i = oh % m, j = ow % m;
                    const int ti = oh - i - g.ph, tj = ow - j - g.pw;  // the tile's corner in x
                    double sum = 0;
                    for (int c = 0; c < g.C; ++c)
                        for (int p = 0; p < a; ++p)
                            for (int q = 0; q < a; ++q) {
                                const int h = ti + p, v = tj + q;
                                if (h < 0 || h >= g.H || v < 0 || v >= g.W) continue;
                                const double ax = std::fabs(
                                    x[((static_cast<std::size_t>(n) * g.C + c) * g.H + h) * g.W +
                                      v]);
                                const float* wk =
                                    w.data() + (static_cast<std::size_t>(k) * g.C + c) * r * r;
                                for (int t = 0; t < r; ++t)
                                    for (int s2 = 0; s2 < r; ++s2)
                                        sum += cf(i, t, p) * cf(j, s2, q) * ax *
                                               std::fabs(wk[t * r + s2]);
                            }
                    bound[((static_cast<std::size_t>(n) * g.K + k) * g.Ho + oh) * g.Wo + ow] = sum;
                }
    return bound;
}

// The direct sum's own bound, γ_n Σ|products|: the reference convolution of |x| and |w|.
std::vector<float> directBound(const ConvGeometry& g, int N, const std::vector<float>& x,
                               const std::vector<float>& w) {
    std::vector<float> ax = x, aw = w;
    for (float& f : ax)
        f = std::fabs(f);
    for (float& f : aw)
        f = std::fabs(f);
    std::vector<float> out(static_cast<std::size_t>(N) * g.K * g.Ho * g.Wo);
    KernelSetScope reference(KernelSet::Reference);
    convForward(g, N, ax.data(), aw.data(), nullptr, out.data());
    return out;
}

// Winograd's chain: the C-term sum, the input transform's two passes of up to α terms, the
// weights' transform (an r²-term sum, with G's entries rounded), the product, the output
// transform's two passes and the bias.
double winogradChain(int terms, int m, int r) {
    const int a = m + r - 1;
    return terms + 4.0 * a + r * r + 4;
}

void expectWithin(const std::vector<float>& fast, const std::vector<float>& ref,
                  const std::vector<double>& wBound, const std::vector<float>& dBound, int C, int m,
                  int r, const char* what) {
    const double gw = gamma(winogradChain(C, m, r)), gd = gamma(static_cast<double>(r) * r * C + 1);
    double worst = 0;
    for (std::size_t i = 0; i < fast.size(); ++i) {
        ASSERT_TRUE(std::isfinite(fast[i])) << what << "[" << i << "]";
        const double allowed = gw * wBound[i] + gd * dBound[i] + 1e-30;
        const double err = std::fabs(static_cast<double>(fast[i]) - ref[i]);
        ASSERT_LE(err, allowed) << what << "[" << i << "]: " << fast[i] << " vs " << ref[i];
        worst = std::max(worst, err / allowed);
    }
    ::testing::Test::RecordProperty(std::string(what) + "_worst_share_of_bound",
                                    std::to_string(worst));
}

class Winograd : public ::testing::TestWithParam<Case> {};

TEST_P(Winograd, ForwardWithinTheRoundingBoundOfTheDirectSum) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(31);
    const auto x = normals(static_cast<std::size_t>(c.N) * c.C * c.H * c.W, rng);
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS, rng);
    const auto b = normals(c.K, rng);
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    std::vector<float> fast(ys, std::numeric_limits<float>::quiet_NaN()), ref(ys);
    winogradForward(g, c.N, x.data(), w.data(), nullptr, fast.data(), nullptr, c.m, c.layout);
    {
        KernelSetScope reference(KernelSet::Reference);
        convForward(g, c.N, x.data(), w.data(), nullptr, ref.data());
    }
    const auto wb = winogradBound(g, c.N, x, w, c.m);
    const auto db = directBound(g, c.N, x, w);
    expectWithin(fast, ref, wb, db, c.C, c.m, c.KS, "y");
    // Deterministic; the bias is added to every output.
    std::vector<float> again(ys), biased(ys);
    winogradForward(g, c.N, x.data(), w.data(), nullptr, again.data(), nullptr, c.m, c.layout);
    EXPECT_EQ(again, fast);
    winogradForward(g, c.N, x.data(), w.data(), b.data(), biased.data(), nullptr, c.m, c.layout);
    const std::size_t P = static_cast<std::size_t>(g.Ho) * g.Wo;
    for (std::size_t i = 0; i < ys; ++i)
        ASSERT_EQ(biased[i], b[(i / P) % c.K] + fast[i]) << i;
}

TEST_P(Winograd, BackwardDataWithinTheRoundingBoundOfTheDirectSum) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(37);
    const std::size_t xs = static_cast<std::size_t>(c.N) * c.C * c.H * c.W;
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    const auto x = normals(xs, rng),
               w = normals(static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS, rng);
    const auto dy = normals(ys, rng);
    std::vector<float> fast(xs, std::numeric_limits<float>::quiet_NaN()), ref(xs, 7.0f);
    winogradBackwardData(g, c.N, w.data(), dy.data(), fast.data(), c.m, c.layout);
    {
        KernelSetScope reference(KernelSet::Reference);
        ConvWorkspace ws;
        convBackward(g, c.N, x.data(), w.data(), dy.data(), nullptr, nullptr, ref.data(), ws);
    }
    // dx is the forward convolution of dy, bordered by r − 1 − pad, with the flipped, transposed
    // weights: the bounds are that convolution's.
    const int r = c.KS, taps = r * r;
    ConvGeometry back;
    back.C = c.K, back.H = g.Ho, back.W = g.Wo, back.K = c.C, back.Ho = c.H, back.Wo = c.W;
    back.kh = back.kw = r;
    back.ph = r - 1 - g.ph, back.pw = r - 1 - g.pw, back.pb = r - 1 - g.pb, back.pr = r - 1 - g.pr;
    std::vector<float> flipped(w.size());
    for (int k = 0; k < c.K; ++k)
        for (int ch = 0; ch < c.C; ++ch)
            for (int t = 0; t < taps; ++t)
                flipped[(static_cast<std::size_t>(ch) * c.K + k) * taps + t] =
                    w[(static_cast<std::size_t>(k) * c.C + ch) * taps + (taps - 1 - t)];
    expectWithin(fast, ref, winogradBound(back, c.N, dy, flipped, c.m),
                 directBound(back, c.N, dy, flipped), c.K, c.m, r, "dx");
}

// The weights' gradient: Σ_tiles Σ_ξ T[ξ][t] Ŷ_ξ V_ξ with |Ŷ| ≤ |A||dy||Aᵀ| and |V| ≤ |Bᵀ||d||B|,
// so |dW − exact| ≤ γ_n Σ_tiles Σ_ξ |T[ξ][t]| |Ŷ|_ξ |V|_ξ, computed here in double.
std::vector<double> weightGradientBound(const ConvGeometry& g, int N, const std::vector<float>& x,
                                        const std::vector<float>& dy, int m) {
    const int r = g.kh, R = r * r;
    const WinogradMatrices M = winogradMatrices(m, r);
    const int a = M.a, P = a * a;
    const int th = (g.Ho + m - 1) / m, tw = (g.Wo + m - 1) / m;
    std::vector<double> bound(static_cast<std::size_t>(g.K) * g.C * R, 0.0);
    std::vector<double> Y(static_cast<std::size_t>(g.K) * P), V(static_cast<std::size_t>(g.C) * P);
    for (int n = 0; n < N; ++n)
        for (int ty = 0; ty < th; ++ty)
            for (int tx = 0; tx < tw; ++tx) {
                for (int k = 0; k < g.K; ++k)
                    for (int xi = 0; xi < P; ++xi) {
                        double s = 0;
                        for (int i = 0; i < m; ++i)
                            for (int j = 0; j < m; ++j) {
                                const int oh = m * ty + i, ow = m * tx + j;
                                if (oh >= g.Ho || ow >= g.Wo) continue;
                                s += std::fabs(M.AT[i * a + xi / a] * M.AT[j * a + xi % a]) *
                                     std::fabs(
                                         dy[((static_cast<std::size_t>(n) * g.K + k) * g.Ho + oh) *
                                                g.Wo +
                                            ow]);
                            }
                        Y[static_cast<std::size_t>(k) * P + xi] = s;
                    }
                for (int c = 0; c < g.C; ++c)
                    for (int xi = 0; xi < P; ++xi) {
                        double s = 0;
                        for (int p = 0; p < a; ++p)
                            for (int q = 0; q < a; ++q) {
                                const int h = m * ty + p - g.ph, w = m * tx + q - g.pw;
                                if (h < 0 || h >= g.H || w < 0 || w >= g.W) continue;
                                s += std::fabs(M.BT[(xi / a) * a + p] * M.BT[(xi % a) * a + q]) *
                                     std::fabs(
                                         x[((static_cast<std::size_t>(n) * g.C + c) * g.H + h) *
                                               g.W +
                                           w]);
                            }
                        V[static_cast<std::size_t>(c) * P + xi] = s;
                    }
                for (int k = 0; k < g.K; ++k)
                    for (int c = 0; c < g.C; ++c)
                        for (int xi = 0; xi < P; ++xi) {
                            const double yv = Y[static_cast<std::size_t>(k) * P + xi] *
                                              V[static_cast<std::size_t>(c) * P + xi];
                            if (yv == 0) continue;
                            for (int t = 0; t < R; ++t)
                                bound[(static_cast<std::size_t>(k) * g.C + c) * R + t] +=
                                    std::fabs(M.G[(xi / a) * r + t / r] *
                                              M.G[(xi % a) * r + t % r]) *
                                    yv;
                        }
            }
    return bound;
}

TEST_P(Winograd, BackwardWeightsWithinTheRoundingBoundOfTheDirectSum) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(47);
    const std::size_t xs = static_cast<std::size_t>(c.N) * c.C * c.H * c.W;
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    const std::size_t ws = static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS;
    const auto x = normals(xs, rng), w = normals(ws, rng), dy = normals(ys, rng);
    // Both accumulate onto what is there.
    const auto dW0 = normals(ws, rng), db0 = normals(c.K, rng);
    std::vector<float> dWf = dW0, dbf = db0, dWr = dW0, dbr = db0;
    winogradBackwardWeights(g, c.N, x.data(), dy.data(), dWf.data(), dbf.data(), c.m, c.layout);
    std::vector<float> dWb(ws), dbb(c.K);
    {
        KernelSetScope reference(KernelSet::Reference);
        ConvWorkspace wsRef;
        convBackward(g, c.N, x.data(), w.data(), dy.data(), dWr.data(), dbr.data(), nullptr, wsRef);
        std::vector<float> ax = x, ady = dy;
        for (float& f : ax)
            f = std::fabs(f);
        for (float& f : ady)
            f = std::fabs(f);
        convBackward(g, c.N, ax.data(), w.data(), ady.data(), dWb.data(), dbb.data(), nullptr,
                     wsRef);
    }
    const auto bound = weightGradientBound(g, c.N, x, dy, c.m);
    const double tiles =
        static_cast<double>(c.N) * ((g.Ho + c.m - 1) / c.m) * ((g.Wo + c.m - 1) / c.m);
    // Winograd's chain: the sum over tiles, the transforms' passes, the α² positions, the
    // addition onto dW; the reference's: N·Ho·Wo products and the addition.
    const int a = c.m + c.KS - 1;
    const double gw = gamma(tiles + 4.0 * a + a * a + 4),
                 gd = gamma(static_cast<double>(c.N) * g.Ho * g.Wo + 2);
    for (std::size_t i = 0; i < ws; ++i) {
        const double allowed = gw * bound[i] + gd * dWb[i] + 2 * gamma(1) * std::fabs(dW0[i]);
        ASSERT_LE(std::fabs(static_cast<double>(dWf[i]) - dWr[i]), allowed)
            << "dW[" << i << "]: " << dWf[i] << " vs " << dWr[i];
    }
    for (int k = 0; k < c.K; ++k) {
        const double allowed = 2 * gd * (dbb[k] + std::fabs(db0[k]));
        ASSERT_LE(std::fabs(static_cast<double>(dbf[k]) - dbr[k]), allowed) << "db[" << k << "]";
    }
    // The same bits at one thread and at all.
    std::vector<float> dW1 = dW0, db1 = db0;
    const int threads = numThreads();
    setNumThreads(1);
    winogradBackwardWeights(g, c.N, x.data(), dy.data(), dW1.data(), db1.data(), c.m, c.layout);
    setNumThreads(threads);
    EXPECT_EQ(dW1, dWf);
    EXPECT_EQ(db1, dbf);
}

TEST_P(Winograd, EpilogueIsTheSameAsAfterwards) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(41);
    const auto x = normals(static_cast<std::size_t>(c.N) * c.C * c.H * c.W, rng);
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS, rng);
    const auto b = normals(c.K, rng), scale = normals(c.K, rng), shift = normals(c.K, rng);
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    std::vector<float> fused(ys), plain(ys);
    const ConvEpilogue e{scale.data(), shift.data(), true};
    winogradForward(g, c.N, x.data(), w.data(), b.data(), fused.data(), &e, c.m, c.layout);
    winogradForward(g, c.N, x.data(), w.data(), b.data(), plain.data(), nullptr, c.m, c.layout);
    const int P = g.Ho * g.Wo;
    for (int n = 0; n < c.N; ++n)
        applyEpilogue(e, 0, c.K, P, plain.data() + static_cast<std::size_t>(n) * c.K * P);
    EXPECT_EQ(fused, plain);
    EXPECT_GT(std::count(fused.begin(), fused.end(), 0.0f), 0);  // the ReLU clipped something
}

TEST_P(Winograd, SameResultTwiceAtEachThreadCount) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(43);
    const auto x = normals(static_cast<std::size_t>(c.N) * c.C * c.H * c.W, rng);
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS, rng);
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    const int threads = numThreads();
    for (int t : {1, threads}) {
        setNumThreads(t);
        std::vector<float> a(ys), b(ys);
        winogradForward(g, c.N, x.data(), w.data(), nullptr, a.data(), nullptr, c.m, c.layout);
        winogradForward(g, c.N, x.data(), w.data(), nullptr, b.data(), nullptr, c.m, c.layout);
        EXPECT_EQ(a, b) << t << " threads";
    }
    setNumThreads(threads);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Winograd, ::testing::ValuesIn(allCases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                             const Case& c = i.param;
                             const ConvGeometry g = geometryOf(c);
                             return "F" + std::to_string(c.m) + "_" + std::to_string(c.KS) + "_N" +
                                    std::to_string(c.N) + "C" + std::to_string(c.C) + "K" +
                                    std::to_string(c.K) + "H" + std::to_string(c.H) + "W" +
                                    std::to_string(c.W) + "p" + std::to_string(g.ph) +
                                    std::to_string(g.pb) +
                                    (c.layout == WinogradLayout::ChannelsLast ? "_last" : "");
                         });

TEST(Winograd, AppliesTo3x3Stride1WithEnoughChannels) {
    ConvGeometry g = geometryOf({1, 128, 128, 16, 16});
    if (!winogradApplies(g))
        GTEST_SKIP() << "this CPU or build does not run the Winograd kernels (no AVX-512, "
                        "LAYERLENS_ISA lowered, or a portable build)";
    ConvGeometry other = g;
    other.C = 16;  // too few input channels
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.sh = other.sw = 2, other.Ho = other.Wo = 8;
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.groups = 2;
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.dh = other.dw = 2, other.ph = other.pw = other.pb = other.pr = 2;
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.ph = 3, other.Ho = 18;  // backward-data's border 2 − pad would be < 0
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.kh = other.kw = 5, other.ph = other.pw = other.pb = other.pr = 2;
    EXPECT_TRUE(winogradApplies(other));  // alexnet-mnist's 5×5 layer
    other = g, other.kh = other.kw = 7, other.ph = other.pw = other.pb = other.pr = 3;
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.H = other.W = other.Ho = other.Wo = 4;  // VGG's 4×4 maps
    EXPECT_TRUE(winogradApplies(other));
    other = g, other.H = other.W = other.Ho = other.Wo = 2;  // one tile a sample: im2col + GEMM
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.C = other.K = 64;  // ResNet-20's 8×8 stage: the direct kernels are faster
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.C = 64, other.K = 128;  // vgg-cifar's second layer
    EXPECT_TRUE(winogradApplies(other));
    other = g, other.C = other.K = 96;  // alexnet-mnist's second layer: the direct kernels
    EXPECT_FALSE(winogradApplies(other));
}

// The layer's gradients, checked numerically with Winograd computing forward and dx.
TEST(Winograd, Conv2dGradientsMatchFiniteDifferences) {
    KernelSetScope fast(KernelSet::Fast);
    // A convolution is linear in its input and its weights, so central differences are exact at
    // any step; a step of 1 keeps the float rounding of the forward passes (F(4×4, 3×3) rounds
    // more than the direct sum, ~10⁻⁶ of |w||x|, over 10⁴ outputs) out of the numeric gradient.
    GradCheckOptions o;
    o.eps = 1.0;
    Conv2d conv(64, 128, Window2d{3, 3, 1, 1, 1, 1, 1, 1});
    Conv2d valid(128, 128, Window2d{3, 3, 1, 1, 0, 0, 1, 1});
    ConvGeometry g = geometryOf({2, 64, 128, 9, 10});
    if (!winogradApplies(g)) GTEST_SKIP() << "the Winograd kernels do not run here";
    test::expectGradientsMatch(conv, {2, 64, 9, 10}, o);
    test::expectGradientsMatch(conv, {1, 64, 2, 2}, o);
    test::expectGradientsMatch(valid, {2, 128, 7, 8}, o);
    test::expectGradientsMatch(conv, {1, 64, 11, 11}, o);  // backward-weights by F(6×6, 3×3)
    Conv2d five(64, 128, Window2d{5, 5, 1, 1, 2, 2, 1, 1});
    test::expectGradientsMatch(five, {1, 64, 6, 7}, o);  // F(2×2, 5×5)
    test::expectGradientsMatch(five, {1, 64, 8, 9}, o);  // F(4×4, 5×5)
}

}  // namespace
}  // namespace ll
