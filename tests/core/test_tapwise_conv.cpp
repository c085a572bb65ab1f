// Convolutions of small maps tap by tap (fast kernel set) against im2col + GEMM
// (reference kernel set): the same products summed in another order, so within twice the direct
// sum's rounding bound; and the layer's gradients checked numerically with it in use.
#include "support/check.h"
#include "support/rounding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <string>

#include "core/kernels.h"
#include "core/layers/conv2d.h"
#include "core/layers/tapwise_conv.h"
#include "core/parallel.h"
#include "core/random.h"

namespace ll {
namespace {

using test::absolute;
using test::gamma;
using test::normals;

struct Case {
    const char* name;
    int N, C, K, H, W;
    int kh = 3, kw = 3, s = 1, d = 1;
    int pt = 1, pl = 1, pb = 1, pr = 1;  // padding: top, left, bottom, right
};

// vgg-cifar's 2×2 maps (batch 1 to 33: one, two and three vectors of samples, an odd number of
// output channels, input channels not a multiple of 16, and wide enough for the threads to share
// the work, two output channels (one a thread: the weight gradient's sums must not depend on how
// the threads split them), and 520 input channels (the parallel copy of x by channel blocks); on a
// CPU with AVX-512 these take the kernels of tapwise_avx512.cpp), a 1×1
// map that reads only the kernel's centre, a 5×5 kernel over 3×3 maps, stride 2 (an input column no
// output reads) and dilation 2 (taps that read nothing), padding on one side only, a 1×3 kernel,
// and one over exactly 16 kernels of 3 taps (whose rows the weight copy must not read past).
constexpr Case kCases[] = {
    {"vgg_2x2", 3, 5, 7, 2, 2},
    {"batch1", 1, 16, 16, 2, 2},
    {"threads", 17, 128, 128, 2, 2},
    {"batch32_odd_rows", 32, 20, 9, 2, 2},
    {"batch33", 33, 33, 6, 2, 2},
    {"two_kernels", 47, 48, 2, 2, 2},
    {"wide", 33, 520, 40, 2, 2},
    {"map1x1", 2, 4, 3, 1, 1},
    {"k5_on_3x3", 7, 3, 5, 3, 3, 5, 5, 1, 1, 2, 2, 2, 2},
    {"stride2", 4, 6, 5, 2, 3, 3, 3, 2, 1},
    {"dilation2", 3, 4, 6, 2, 2, 3, 3, 1, 2, 2, 2, 2, 2},
    {"one_sided_padding", 5, 3, 4, 2, 2, 3, 3, 1, 1, 0, 0, 2, 2},
    {"k1x3", 2, 5, 6, 1, 2, 1, 3, 1, 1, 0, 1, 0, 1},
    {"k1x3_one_block", 2, 4, 4, 1, 1, 1, 3, 1, 1, 0, 1, 0, 1},
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

ConvGeometry geometryOf(const Case& c) {
    ConvGeometry g;
    g.C = c.C, g.H = c.H, g.W = c.W, g.K = c.K;
    g.kh = c.kh, g.kw = c.kw, g.sh = g.sw = c.s, g.dh = g.dw = c.d;
    g.ph = c.pt, g.pw = c.pl, g.pb = c.pb, g.pr = c.pr;
    g.Ho = slidingOutputSize(c.H, c.kh, c.s, c.pt, c.pb, c.d);
    g.Wo = slidingOutputSize(c.W, c.kw, c.s, c.pl, c.pr, c.d);
    return g;
}

// Both sums are within γ_n Σ|terms| of the exact one (n terms, plus the bias or the addition onto
// what was there), so within twice that of each other. `sizes` is Σ|terms| element by element.
void expectClose(const std::vector<float>& fast, const std::vector<float>& ref,
                 const std::vector<float>& sizes, double terms, const std::string& what) {
    ASSERT_EQ(fast.size(), ref.size());
    for (std::size_t i = 0; i < fast.size(); ++i) {
        ASSERT_TRUE(std::isfinite(fast[i])) << what << "[" << i << "]";
        const double allowed = 2 * gamma(terms + 2) * sizes[i] + 1e-30;
        ASSERT_LE(std::fabs(static_cast<double>(fast[i]) - ref[i]), allowed)
            << what << "[" << i << "]: " << fast[i] << " vs " << ref[i];
    }
}

class Tapwise : public ::testing::TestWithParam<Case> {};

TEST_P(Tapwise, ForwardIsTheDirectSumWithBiasAndEpilogue) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    ASSERT_GT(g.Ho, 0);
    ASSERT_GT(g.Wo, 0);
    Rng rng(53);
    const auto x = normals(static_cast<std::size_t>(c.N) * c.C * c.H * c.W, rng);
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * c.kh * c.kw, rng);
    const auto b = normals(c.K, rng), scale = normals(c.K, rng), shift = normals(c.K, rng);
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    std::vector<float> fast(ys, std::numeric_limits<float>::quiet_NaN()), ref(ys), sizes(ys);
    tapwiseForward(g, c.N, x.data(), w.data(), nullptr, fast.data());
    {
        KernelSetScope reference(KernelSet::Reference);
        convForward(g, c.N, x.data(), w.data(), nullptr, ref.data());
        const auto ax = absolute(x), aw = absolute(w);
        convForward(g, c.N, ax.data(), aw.data(), nullptr, sizes.data());
    }
    expectClose(fast, ref, sizes, static_cast<double>(c.C) * c.kh * c.kw, "y");
    // The bias is added to every output, after the sum; the epilogue is applied as afterwards.
    std::vector<float> biased(ys), fused(ys);
    tapwiseForward(g, c.N, x.data(), w.data(), b.data(), biased.data());
    const std::size_t P = static_cast<std::size_t>(g.Ho) * g.Wo;
    for (std::size_t i = 0; i < ys; ++i)
        ASSERT_EQ(biased[i], fast[i] + b[(i / P) % c.K]) << i;
    const ConvEpilogue e{scale.data(), shift.data(), true};
    tapwiseForward(g, c.N, x.data(), w.data(), b.data(), fused.data(), &e);
    std::vector<float> relu = biased;
    for (int n = 0; n < c.N; ++n)
        applyEpilogue(e, 0, c.K, static_cast<int>(P), biased.data() + n * c.K * P);
    EXPECT_EQ(fused, biased);
    // A ReLU alone (a convolution without batch norm, fused for inference).
    const ConvEpilogue reluOnly{nullptr, nullptr, true};
    tapwiseForward(g, c.N, x.data(), w.data(), b.data(), fused.data(), &reluOnly);
    for (float& v : relu)
        v = std::max(v, 0.0f);
    EXPECT_EQ(fused, relu);
}

TEST_P(Tapwise, BackwardDataIsTheDirectSum) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(59);
    const std::size_t xs = static_cast<std::size_t>(c.N) * c.C * c.H * c.W;
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    const auto x = normals(xs, rng);
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * c.kh * c.kw, rng);
    const auto dy = normals(ys, rng);
    // dx is overwritten, inputs no output reads included (stride 2 skips a column).
    std::vector<float> fast(xs, std::numeric_limits<float>::quiet_NaN()), ref(xs), sizes(xs);
    tapwiseBackwardData(g, c.N, w.data(), dy.data(), fast.data());
    {
        KernelSetScope reference(KernelSet::Reference);
        ConvWorkspace ws;
        convBackward(g, c.N, x.data(), w.data(), dy.data(), nullptr, nullptr, ref.data(), ws);
        const auto aw = absolute(w), ady = absolute(dy);
        convBackward(g, c.N, x.data(), aw.data(), ady.data(), nullptr, nullptr, sizes.data(), ws);
    }
    expectClose(fast, ref, sizes, static_cast<double>(c.K) * c.kh * c.kw, "dx");
}

TEST_P(Tapwise, BackwardWeightsIsTheDirectSumAtAnyThreadCount) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(61);
    const std::size_t xs = static_cast<std::size_t>(c.N) * c.C * c.H * c.W;
    const std::size_t ys = static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
    const std::size_t wsz = static_cast<std::size_t>(c.K) * c.C * c.kh * c.kw;
    const auto x = normals(xs, rng), w = normals(wsz, rng), dy = normals(ys, rng);
    // Both add onto what is there.
    const auto dW0 = normals(wsz, rng), db0 = normals(c.K, rng);
    std::vector<float> dWf = dW0, dbf = db0, dWr = dW0, dbr = db0;
    tapwiseBackwardWeights(g, c.N, x.data(), dy.data(), dWf.data(), dbf.data());
    std::vector<float> dWs = absolute(dW0), dbs = absolute(db0);
    {
        KernelSetScope reference(KernelSet::Reference);
        ConvWorkspace ws;
        convBackward(g, c.N, x.data(), w.data(), dy.data(), dWr.data(), dbr.data(), nullptr, ws);
        const auto ax = absolute(x), ady = absolute(dy);
        convBackward(g, c.N, ax.data(), w.data(), ady.data(), dWs.data(), dbs.data(), nullptr, ws);
    }
    const double terms = static_cast<double>(c.N) * g.Ho * g.Wo;
    expectClose(dWf, dWr, dWs, terms, "dW");
    expectClose(dbf, dbr, dbs, terms, "db");
    // The same bits at one thread and at all, and without db.
    const int threads = numThreads();
    for (int t : {1, 3}) {
        setNumThreads(t);
        std::vector<float> dW1 = dW0, db1 = db0;
        tapwiseBackwardWeights(g, c.N, x.data(), dy.data(), dW1.data(), db1.data());
        EXPECT_EQ(dW1, dWf) << t << " threads";
        EXPECT_EQ(db1, dbf) << t << " threads";
    }
    setNumThreads(threads);
    std::vector<float> dW2 = dW0;
    tapwiseBackwardWeights(g, c.N, x.data(), dy.data(), dW2.data(), nullptr);
    EXPECT_EQ(dW2, dWf);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Tapwise, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

TEST(Tapwise, AppliesToMapsSmallerThanTheKernelInBatches) {
    KernelSetScope fast(KernelSet::Fast);
    const ConvGeometry g = geometryOf({"vgg", 32, 512, 512, 2, 2});  // vgg-cifar's conv7, conv8
    if (!tapwiseApplies(g, 32)) GTEST_SKIP() << "LAYERLENS_TAPWISE=off";
    EXPECT_TRUE(tapwiseApplies(g, 32));
    EXPECT_TRUE(tapwiseApplies(g, kTapwiseMinBatch));
    EXPECT_FALSE(tapwiseApplies(g, kTapwiseMinBatch - 1));  // the products too thin
    EXPECT_TRUE(tapwiseApplies(geometryOf({"1x1", 32, 512, 512, 1, 1}), 32));
    // 4×4 maps: 16 inputs for 9 taps, more work than im2col (Winograd takes them).
    EXPECT_FALSE(tapwiseApplies(geometryOf({"4x4", 32, 512, 512, 4, 4}), 32));
    ConvGeometry other = g;
    other.groups = 2;
    EXPECT_FALSE(tapwiseApplies(other, 32));
    ConvGeometry big = geometryOf({"17x17", 32, 8, 8, 1, 1, 17, 17, 1, 1, 8, 8, 8, 8});
    EXPECT_FALSE(tapwiseApplies(big, 32));  // over 16×16 taps
    KernelSetScope reference(KernelSet::Reference);
    EXPECT_FALSE(tapwiseApplies(g, 32));
}

// The layer's gradients, checked numerically with the tap-by-tap kernels computing forward, dx and
// dW (a batch of kTapwiseMinBatch 2×2 maps).
TEST(Tapwise, Conv2dGradientsMatchFiniteDifferences) {
    KernelSetScope fast(KernelSet::Fast);
    // A convolution is linear in its input and its weights: central differences are exact at any
    // step, and a step of 1 keeps the forward passes' rounding out of the numeric gradient.
    GradCheckOptions o;
    o.eps = 1.0;
    Conv2d conv(6, 5, Window2d{3, 3, 1, 1, 1, 1, 1, 1});
    ConvGeometry g = geometryOf({"layer", kTapwiseMinBatch, 6, 5, 2, 2});
    if (!tapwiseApplies(g, kTapwiseMinBatch)) GTEST_SKIP() << "LAYERLENS_TAPWISE=off";
    test::expectGradientsMatch(conv, {kTapwiseMinBatch, 6, 2, 2}, o);
}

}  // namespace
}  // namespace ll
