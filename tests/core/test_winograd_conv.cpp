// Winograd F(2×2, 3×3) (fast kernel set) against im2col + GEMM (reference kernel set), within a
// rounding error bound computed for the transformed sum, and the layer's gradients checked
// numerically with it in use.
#include "support/check.h"

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

struct Case {
    int N, C, K, H, W;
    int pad = 1;    // top and left
    int pad2 = -1;  // bottom and right; -1: as pad
};

// Odd and even sizes (a last tile half outside), maps of 1×1 and 2×2, every padding 0–2 and
// unequal ones, batch 7, and sizes that take both ways of sharing the work: blocks of tile rows per
// thread, and one block whose GEMMs the threads share.
constexpr Case kCases[] = {
    {2, 32, 32, 16, 16}, {3, 5, 7, 7, 9},       {1, 3, 4, 1, 1},     {2, 8, 6, 10, 13, 0},
    {1, 4, 5, 6, 7, 2},  {2, 4, 3, 9, 8, 0, 2}, {7, 6, 9, 4, 4},     {1, 64, 48, 2, 2},
    {4, 40, 36, 16, 16}, {2, 64, 64, 4, 4},     {3, 33, 35, 11, 11}, {1, 5, 7, 14, 18, 2, 0},
};

ConvGeometry geometryOf(const Case& c) {
    ConvGeometry g;
    g.C = c.C, g.H = c.H, g.W = c.W, g.K = c.K;
    g.kh = g.kw = 3;
    g.ph = g.pw = c.pad;
    g.pb = g.pr = c.pad2 < 0 ? c.pad : c.pad2;
    g.Ho = slidingOutputSize(c.H, 3, 1, g.ph, g.pb);
    g.Wo = slidingOutputSize(c.W, 3, 1, g.pw, g.pr);
    return g;
}

std::vector<float> normals(std::size_t n, Rng& rng) {
    std::vector<float> v(n);
    for (float& f : v)
        f = rng.normal();
    return v;
}

// |y − exact| for F(2×2, 3×3) is at most γ_m Σ_ξ |a_ξ| Σ_c |u_ξc| |v_ξc|, with |u| ≤ |G||g||Gᵀ|
// and |v| ≤ |Bᵀ||d||B| (m: the longest chain of roundings, the C-term sum plus the transforms').
// Expanded, that is Σ over the tile's 16 inputs and the 9 taps of |w||x| times
// c(i, r, p)·c(j, s, q), c(i, r, p) = Σ_b |Aᵀ[i][b]| |G[b][r]| |Bᵀ[b][p]| — products the direct
// sum never forms, which cancel exactly, count too. Computed here in double, output by output.
std::vector<double> winogradBound(const ConvGeometry& g, int N, const std::vector<float>& x,
                                  const std::vector<float>& w) {
    static const double AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
    static const double G[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
    static const double BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    double coef[2][3][4] = {};
    for (int i = 0; i < 2; ++i)
        for (int r = 0; r < 3; ++r)
            for (int p = 0; p < 4; ++p)
                for (int b = 0; b < 4; ++b)
                    coef[i][r][p] += std::fabs(AT[i][b]) * std::fabs(G[b][r]) * std::fabs(BT[b][p]);
    std::vector<double> bound(static_cast<std::size_t>(N) * g.K * g.Ho * g.Wo);
    for (int n = 0; n < N; ++n)
        for (int k = 0; k < g.K; ++k)
            for (int oh = 0; oh < g.Ho; ++oh)
                for (int ow = 0; ow < g.Wo; ++ow) {
                    const int i = oh % 2, j = ow % 2;
                    const int ti = oh - i - g.ph, tj = ow - j - g.pw;  // the tile's corner in x
                    double sum = 0;
                    for (int c = 0; c < g.C; ++c)
                        for (int p = 0; p < 4; ++p)
                            for (int q = 0; q < 4; ++q) {
                                const int h = ti + p, v = tj + q;
                                if (h < 0 || h >= g.H || v < 0 || v >= g.W) continue;
                                const double ax = std::fabs(
                                    x[((static_cast<std::size_t>(n) * g.C + c) * g.H + h) * g.W +
                                      v]);
                                for (int r = 0; r < 3; ++r)
                                    for (int s = 0; s < 3; ++s)
                                        sum += coef[i][r][p] * coef[j][s][q] * ax *
                                               std::fabs(
                                                   w[((static_cast<std::size_t>(k) * g.C + c) * 3 +
                                                      r) *
                                                         3 +
                                                     s]);
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

double gamma(double n) {
    const double u = std::ldexp(1.0, -24);
    return n * u / (1 - n * u);
}

void expectWithin(const std::vector<float>& fast, const std::vector<float>& ref,
                  const std::vector<double>& wBound, const std::vector<float>& dBound, int C,
                  const char* what) {
    // Winograd's chain: C-term sum, 4 input-transform steps, the weight transform (a 9-term sum
    // of products), the product, 5 output-transform steps and the bias.
    const double gw = gamma(C + 21), gd = gamma(9.0 * C + 1);
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
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * 9, rng);
    const auto b = normals(c.K, rng);
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    std::vector<float> fast(ys, std::numeric_limits<float>::quiet_NaN()), ref(ys);
    winogradForward(g, c.N, x.data(), w.data(), nullptr, fast.data());
    {
        KernelSetScope reference(KernelSet::Reference);
        convForward(g, c.N, x.data(), w.data(), nullptr, ref.data());
    }
    const auto wb = winogradBound(g, c.N, x, w);
    const auto db = directBound(g, c.N, x, w);
    expectWithin(fast, ref, wb, db, c.C, "y");
    // Deterministic; the bias is added to every output.
    std::vector<float> again(ys), biased(ys);
    winogradForward(g, c.N, x.data(), w.data(), nullptr, again.data());
    EXPECT_EQ(again, fast);
    winogradForward(g, c.N, x.data(), w.data(), b.data(), biased.data());
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
    const auto x = normals(xs, rng), w = normals(static_cast<std::size_t>(c.K) * c.C * 9, rng);
    const auto dy = normals(ys, rng);
    std::vector<float> fast(xs, std::numeric_limits<float>::quiet_NaN()), ref(xs, 7.0f);
    winogradBackwardData(g, c.N, w.data(), dy.data(), fast.data());
    {
        KernelSetScope reference(KernelSet::Reference);
        ConvWorkspace ws;
        convBackward(g, c.N, x.data(), w.data(), dy.data(), nullptr, nullptr, ref.data(), ws);
    }
    // dx is the forward convolution of dy, bordered by 2 − pad, with the flipped, transposed
    // weights: the bounds are that convolution's.
    ConvGeometry back;
    back.C = c.K, back.H = g.Ho, back.W = g.Wo, back.K = c.C, back.Ho = c.H, back.Wo = c.W;
    back.kh = back.kw = 3;
    back.ph = 2 - g.ph, back.pw = 2 - g.pw, back.pb = 2 - g.pb, back.pr = 2 - g.pr;
    std::vector<float> flipped(w.size());
    for (int k = 0; k < c.K; ++k)
        for (int ch = 0; ch < c.C; ++ch)
            for (int t = 0; t < 9; ++t)
                flipped[(static_cast<std::size_t>(ch) * c.K + k) * 9 + t] =
                    w[(static_cast<std::size_t>(k) * c.C + ch) * 9 + (8 - t)];
    expectWithin(fast, ref, winogradBound(back, c.N, dy, flipped),
                 directBound(back, c.N, dy, flipped), c.K, "dx");
}

// The weights' gradient: Σ_tiles Σ_ξ T[ξ][t] Ŷ_ξ V_ξ with |Ŷ| ≤ |A||dy||Aᵀ| and |V| ≤ |Bᵀ||d||B|,
// so |dW − exact| ≤ γ_m Σ_tiles Σ_ξ |T[ξ][t]| |Ŷ|_ξ |V|_ξ, computed here in double.
std::vector<double> weightGradientBound(const ConvGeometry& g, int N, const std::vector<float>& x,
                                        const std::vector<float>& dy) {
    static const double A[4][2] = {{1, 0}, {1, 1}, {1, -1}, {0, -1}};
    static const double BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    static const double G[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
    const int th = (g.Ho + 1) / 2, tw = (g.Wo + 1) / 2;
    std::vector<double> bound(static_cast<std::size_t>(g.K) * g.C * 9, 0.0);
    std::vector<double> Y(static_cast<std::size_t>(g.K) * 16),
        V(static_cast<std::size_t>(g.C) * 16);
    for (int n = 0; n < N; ++n)
        for (int ty = 0; ty < th; ++ty)
            for (int tx = 0; tx < tw; ++tx) {
                for (int k = 0; k < g.K; ++k)
                    for (int xi = 0; xi < 16; ++xi) {
                        double s = 0;
                        for (int i = 0; i < 2; ++i)
                            for (int j = 0; j < 2; ++j) {
                                const int oh = 2 * ty + i, ow = 2 * tx + j;
                                if (oh >= g.Ho || ow >= g.Wo) continue;
                                s += std::fabs(A[xi / 4][i] * A[xi % 4][j]) *
                                     std::fabs(
                                         dy[((static_cast<std::size_t>(n) * g.K + k) * g.Ho + oh) *
                                                g.Wo +
                                            ow]);
                            }
                        Y[static_cast<std::size_t>(k) * 16 + xi] = s;
                    }
                for (int c = 0; c < g.C; ++c)
                    for (int xi = 0; xi < 16; ++xi) {
                        double s = 0;
                        for (int p = 0; p < 4; ++p)
                            for (int q = 0; q < 4; ++q) {
                                const int h = 2 * ty + p - g.ph, w = 2 * tx + q - g.pw;
                                if (h < 0 || h >= g.H || w < 0 || w >= g.W) continue;
                                s += std::fabs(BT[xi / 4][p] * BT[xi % 4][q]) *
                                     std::fabs(
                                         x[((static_cast<std::size_t>(n) * g.C + c) * g.H + h) *
                                               g.W +
                                           w]);
                            }
                        V[static_cast<std::size_t>(c) * 16 + xi] = s;
                    }
                for (int k = 0; k < g.K; ++k)
                    for (int c = 0; c < g.C; ++c)
                        for (int xi = 0; xi < 16; ++xi) {
                            const double yv = Y[static_cast<std::size_t>(k) * 16 + xi] *
                                              V[static_cast<std::size_t>(c) * 16 + xi];
                            if (yv == 0) continue;
                            for (int t = 0; t < 9; ++t)
                                bound[(static_cast<std::size_t>(k) * g.C + c) * 9 + t] +=
                                    std::fabs(G[xi / 4][t / 3] * G[xi % 4][t % 3]) * yv;
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
    const std::size_t ws = static_cast<std::size_t>(c.K) * c.C * 9;
    const auto x = normals(xs, rng), w = normals(ws, rng), dy = normals(ys, rng);
    // Both accumulate onto what is there.
    const auto dW0 = normals(ws, rng), db0 = normals(c.K, rng);
    std::vector<float> dWf = dW0, dbf = db0, dWr = dW0, dbr = db0;
    winogradBackwardWeights(g, c.N, x.data(), dy.data(), dWf.data(), dbf.data());
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
    const auto bound = weightGradientBound(g, c.N, x, dy);
    const double tiles = static_cast<double>(c.N) * ((g.Ho + 1) / 2) * ((g.Wo + 1) / 2);
    // Winograd's chain: the sum over tiles, 4 + 4 transform steps, 16 positions, the addition
    // onto dW; the reference's: N·Ho·Wo products and the addition.
    const double gw = gamma(tiles + 25), gd = gamma(static_cast<double>(c.N) * g.Ho * g.Wo + 2);
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
    winogradBackwardWeights(g, c.N, x.data(), dy.data(), dW1.data(), db1.data());
    setNumThreads(threads);
    EXPECT_EQ(dW1, dWf);
    EXPECT_EQ(db1, dbf);
}

TEST_P(Winograd, EpilogueIsTheSameAsAfterwards) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(41);
    const auto x = normals(static_cast<std::size_t>(c.N) * c.C * c.H * c.W, rng);
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * 9, rng);
    const auto b = normals(c.K, rng), scale = normals(c.K, rng), shift = normals(c.K, rng);
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    std::vector<float> fused(ys), plain(ys);
    const ConvEpilogue e{scale.data(), shift.data(), true};
    winogradForward(g, c.N, x.data(), w.data(), b.data(), fused.data(), &e);
    winogradForward(g, c.N, x.data(), w.data(), b.data(), plain.data());
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
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * 9, rng);
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    const int threads = numThreads();
    for (int t : {1, threads}) {
        setNumThreads(t);
        std::vector<float> a(ys), b(ys);
        winogradForward(g, c.N, x.data(), w.data(), nullptr, a.data());
        winogradForward(g, c.N, x.data(), w.data(), nullptr, b.data());
        EXPECT_EQ(a, b) << t << " threads";
    }
    setNumThreads(threads);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Winograd, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) {
                             const Case& c = i.param;
                             const ConvGeometry g = geometryOf(c);
                             return "N" + std::to_string(c.N) + "C" + std::to_string(c.C) + "K" +
                                    std::to_string(c.K) + "H" + std::to_string(c.H) + "W" +
                                    std::to_string(c.W) + "p" + std::to_string(g.ph) +
                                    std::to_string(g.pb);
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
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.H = other.W = other.Ho = other.Wo = 4;  // VGG's 4×4 maps
    EXPECT_TRUE(winogradApplies(other));
    other = g, other.H = other.W = other.Ho = other.Wo = 2;  // one tile a sample: im2col + GEMM
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.C = other.K = 64;  // ResNet-20's 8×8 stage: the direct kernels are faster
    EXPECT_FALSE(winogradApplies(other));
    other = g, other.C = 64, other.K = 128;  // vgg-cifar's second layer
    EXPECT_TRUE(winogradApplies(other));
}

// The layer's gradients, checked numerically with Winograd computing forward and dx.
TEST(Winograd, Conv2dGradientsMatchFiniteDifferences) {
    KernelSetScope fast(KernelSet::Fast);
    Conv2d conv(64, 128, Window2d{3, 3, 1, 1, 1, 1, 1, 1});
    Conv2d valid(128, 72, Window2d{3, 3, 1, 1, 0, 0, 1, 1});
    ConvGeometry g = geometryOf({2, 64, 128, 9, 10});
    if (!winogradApplies(g)) GTEST_SKIP() << "the Winograd kernels do not run here";
    test::expectGradientsMatch(conv, {2, 64, 9, 10});
    test::expectGradientsMatch(conv, {1, 64, 2, 2});
    test::expectGradientsMatch(valid, {2, 128, 7, 8});
}

}  // namespace
}  // namespace ll
