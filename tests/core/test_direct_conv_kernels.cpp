// The direct convolution kernels (fast kernel set) against im2col + GEMM (reference kernel set),
// which the gradient checks and the recorded trajectories stand behind.
#include "support/check.h"
#include "support/rounding.h"

#include <cmath>
#include <limits>

#include "core/kernels.h"
#include "core/layers/conv2d.h"
#include "core/layers/direct_conv_kernels.h"
#include "core/parallel.h"
#include "core/random.h"

namespace ll {
namespace {

using test::absolute;
using test::normals;

struct Case {
    int N, C, K, H, W;
    int S = 1;      // stride
    int KS = 3;     // kernel size
    int pad = -1;   // top and left padding; -1: KS / 2 ("same" at stride 1)
    int pad2 = -1;  // bottom and right padding; -1: as pad
};

// Every row shape the tiles use (1–4 vectors, with and without a partial last vector), heights
// that leave remainder rows, channel counts that leave every kind of remainder block, and batches
// smaller than the thread count (the channel-split path).
constexpr Case kCases[] = {
    {2, 16, 16, 32, 32},
    {3, 5, 7, 16, 16},
    {1, 3, 9, 7, 17},
    {2, 4, 6, 11, 20},
    {1, 8, 8, 13, 40},
    {2, 2, 3, 5, 64},
    {1, 1, 1, 16, 16},
    {4, 9, 10, 9, 31},
    // Rows of 17–32 take blocks of 8 channels: 8s, then a 4, then single ones (one sample: the
    // channels split over the threads, 20 each on two).
    {2, 3, 29, 6, 32},
    {1, 4, 13, 5, 24},
    {1, 4, 40, 5, 32},
    // Weight gradients of at most 8 input channels on rows of 2–4 whole vectors take positions
    // along the lanes: blocks of 8 output channels, then 4, then single ones; more than one group
    // of 8 samples (the last one partial); no padding, padding 2, and padding on one side only.
    {10, 3, 13, 4, 32},
    {2, 8, 4, 3, 50, 1, 3, 0},
    {3, 1, 9, 5, 62, 1, 3, 2},
    {1, 2, 8, 6, 33, 1, 3, 0, 1},
    // Their bias gradients: a block's C·3 tiles sum one channel's each, the channels left after
    // them (one or two input channels: fewer tiles than channels), 8 input channels (tiles left
    // without one).
    {2, 1, 13, 4, 32},
    {2, 2, 12, 4, 48},
    {2, 8, 9, 3, 32},
    // Narrower maps: output channels along the lanes (16, 32 and 48 + a remainder of them).
    {3, 64, 64, 8, 8},
    {2, 5, 21, 9, 12},
    {1, 3, 50, 3, 15},
    {2, 16, 16, 1, 8},
    // Stride 2 (ResNet's downsampling convolutions, odd sizes): forward and backward-weights
    // direct, dx by col2im.
    {2, 16, 32, 32, 32, 2},
    {3, 32, 64, 16, 16, 2},
    {1, 3, 5, 17, 19, 2},
    {2, 4, 17, 15, 15, 2},
    // Stride 2 with dx in the direct kernels (outputs at least 16 wide): as 4 phases of a 2×2
    // convolution (rows of a vector and a part, channel counts off 16), and, on outputs of whole
    // vectors, phase by phase: one sample (fewer than the threads: its channels split), blocks
    // of 3 channels then single ones, rows in pairs then one, two and four vectors of columns.
    {4, 24, 40, 18, 34, 2},
    {1, 8, 16, 32, 32, 2},
    {2, 5, 7, 10, 64, 2},
    {1, 3, 4, 12, 128, 2},
    // No padding (AlexNet's second layer), and padding only at the bottom and right.
    {2, 8, 20, 25, 25, 1, 3, 0},
    {1, 5, 7, 14, 18, 1, 3, 0, 2},
    // Padding 2 (the largest a 3×3 kernel's backward-data border allows), stride 2 without it.
    {2, 6, 18, 12, 12, 1, 3, 2},
    {1, 5, 33, 20, 23, 2, 3, 0},
    // 5×5 over few channels: LeNet-5's c1
    // (6 channels: along the rows, with a partial last vector) and c3 (16 channels: along the
    // lanes; its dx's 6 along the rows), padding 4 on two sides only, and the widest channels
    // and rows.
    {3, 1, 6, 12, 12, 1, 5, 2},
    {2, 6, 16, 14, 14, 1, 5, 0},
    {1, 5, 7, 11, 20, 1, 5, 4, 0},
    {2, 16, 64, 9, 33, 1, 5, 2},
    {1, 3, 5, 8, 64, 1, 5, 2},
};

ConvGeometry geometryOf(const Case& c) {
    ConvGeometry g;
    g.C = c.C, g.H = c.H, g.W = c.W, g.K = c.K;
    g.kh = g.kw = c.KS;
    g.sh = g.sw = c.S;
    g.ph = g.pw = c.pad < 0 ? c.KS / 2 : c.pad;
    g.pb = g.pr = c.pad2 < 0 ? g.ph : c.pad2;
    g.Ho = slidingOutputSize(c.H, c.KS, c.S, g.ph, g.pb);
    g.Wo = slidingOutputSize(c.W, c.KS, c.S, g.pw, g.pr);
    return g;
}

std::size_t outputs(const Case& c) {
    const ConvGeometry g = geometryOf(c);
    return static_cast<std::size_t>(c.N) * c.K * g.Ho * g.Wo;
}

// Both results are sums of the same n products in different orders, so each is within
// γ_n·Σ|products| of the exact sum (γ_n = n·u/(1 − n·u), u = 2⁻²⁴), and they are within twice
// that of each other. `bound` holds Σ|products| per element.
void expectWithinRounding(const std::vector<float>& fast, const std::vector<float>& reference,
                          const std::vector<float>& bound, double n, const char* what) {
    const double u = std::ldexp(1.0, -24), gamma = n * u / (1 - n * u);
    for (std::size_t i = 0; i < fast.size(); ++i) {
        ASSERT_TRUE(std::isfinite(fast[i])) << what << "[" << i << "]";
        const double allowed = 2 * gamma * bound[i] + 1e-30;
        ASSERT_LE(std::fabs(fast[i] - reference[i]), allowed)
            << what << "[" << i << "]: " << fast[i] << " vs " << reference[i];
    }
}

class DirectConv : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        if (!directConvAvailable())
            GTEST_SKIP() << "this CPU has no AVX-512 (or LAYERLENS_ISA=portable): the direct "
                            "kernels do not run";
        ASSERT_TRUE(directConvApplies(geometryOf(GetParam())));  // every case is one of theirs
    }
};

TEST_P(DirectConv, ForwardEqualsIm2colGemmWithinRounding) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(17);
    const auto x = normals(static_cast<std::size_t>(c.N) * c.C * c.H * c.W, rng);
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS, rng);
    const auto b = normals(c.K, rng);
    const std::size_t ys = outputs(c);
    // NaN in the outputs: every element must be written.
    std::vector<float> fast(ys, std::numeric_limits<float>::quiet_NaN()), ref(ys), bound(ys);
    directConvForward(g, c.N, x.data(), w.data(), b.data(), fast.data());
    {
        KernelSetScope reference(KernelSet::Reference);
        convForward(g, c.N, x.data(), w.data(), b.data(), ref.data());
        const auto ax = absolute(x), aw = absolute(w), ab = absolute(b);
        convForward(g, c.N, ax.data(), aw.data(), ab.data(), bound.data());
    }
    expectWithinRounding(fast, ref, bound, c.C * c.KS * c.KS + 1, "y");
    // Deterministic.
    std::vector<float> again(ys);
    directConvForward(g, c.N, x.data(), w.data(), b.data(), again.data());
    EXPECT_EQ(again, fast);
    // Without bias: the accumulators start at zero.
    directConvForward(g, c.N, x.data(), w.data(), nullptr, fast.data());
    {
        KernelSetScope reference(KernelSet::Reference);
        convForward(g, c.N, x.data(), w.data(), nullptr, ref.data());
    }
    expectWithinRounding(fast, ref, bound, c.C * c.KS * c.KS + 1, "y without bias");
}

TEST_P(DirectConv, EpilogueIsTheSameAsAfterwards) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(19);
    const auto x = normals(static_cast<std::size_t>(c.N) * c.C * c.H * c.W, rng);
    const auto w = normals(static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS, rng);
    const auto scale = normals(c.K, rng), shift = normals(c.K, rng);
    const std::size_t ys = outputs(c);
    std::vector<float> fused(ys), plain(ys);
    const ConvEpilogue e{scale.data(), shift.data(), true};
    directConvForward(g, c.N, x.data(), w.data(), nullptr, fused.data(), &e);
    directConvForward(g, c.N, x.data(), w.data(), nullptr, plain.data());
    const int P = g.Ho * g.Wo;
    for (int n = 0; n < c.N; ++n)
        applyEpilogue(e, 0, c.K, P, plain.data() + static_cast<std::size_t>(n) * c.K * P);
    EXPECT_EQ(fused, plain);
    EXPECT_GT(std::count(fused.begin(), fused.end(), 0.0f), 0);  // the ReLU clipped something
}

TEST_P(DirectConv, BackwardEqualsIm2colGemmWithinRounding) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(23);
    const std::size_t xs = static_cast<std::size_t>(c.N) * c.C * c.H * c.W;
    const std::size_t ys = outputs(c);
    const std::size_t ws = static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS;
    const auto x = normals(xs, rng), w = normals(ws, rng), dy = normals(ys, rng);
    // Parameter gradients accumulate onto what is there; dx is overwritten.
    const auto dW0 = normals(ws, rng), db0 = normals(c.K, rng);
    std::vector<float> dWf = dW0, dbf = db0, dxf(xs, std::numeric_limits<float>::quiet_NaN());
    std::vector<float> dWr = dW0, dbr = db0, dxr(xs, 7.0f);
    std::vector<float> dWb = absolute(dW0), dbb = absolute(db0), dxb(xs);
    ConvWorkspace wsFast, wsRef;
    // As the layer calls it: direct weights, and direct dx at stride 1 and at stride 2 with
    // padding 1 on even maps with outputs at least 16 wide (by dx's 4 phases; col2im for the
    // other stride-2 ones).
    const bool phases = c.S == 2 && c.KS == 3 && g.ph == 1 && g.pb == 1 && c.H % 2 == 0 &&
                        c.W % 2 == 0 && g.Wo >= 16;
    EXPECT_EQ(directConvDataApplies(g), c.S == 1 || phases);
    convBackward(g, c.N, x.data(), w.data(), dy.data(), dWf.data(), dbf.data(), dxf.data(), wsFast);
    {
        KernelSetScope reference(KernelSet::Reference);
        convBackward(g, c.N, x.data(), w.data(), dy.data(), dWr.data(), dbr.data(), dxr.data(),
                     wsRef);
        const auto ax = absolute(x), aw = absolute(w), ady = absolute(dy);
        convBackward(g, c.N, ax.data(), aw.data(), ady.data(), dWb.data(), dbb.data(), dxb.data(),
                     wsRef);
    }
    const double terms = static_cast<double>(c.N) * g.Ho * g.Wo + 2;
    expectWithinRounding(dWf, dWr, dWb, terms, "dW");
    expectWithinRounding(dbf, dbr, dbb, terms, "db");
    expectWithinRounding(dxf, dxr, dxb, c.K * c.KS * c.KS, "dx");
}

TEST_P(DirectConv, SameResultOnOneThreadAndOnAll) {
    const Case c = GetParam();
    const ConvGeometry g = geometryOf(c);
    Rng rng(29);
    const std::size_t xs = static_cast<std::size_t>(c.N) * c.C * c.H * c.W;
    const std::size_t ys = outputs(c);
    const auto x = normals(xs, rng),
               w = normals(static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS, rng);
    std::vector<float> y1(ys), yT(ys), dx1(xs), dxT(xs);
    const int threads = numThreads();
    setNumThreads(1);
    directConvForward(g, c.N, x.data(), w.data(), nullptr, y1.data());
    if (directConvDataApplies(g)) directConvBackwardData(g, c.N, w.data(), y1.data(), dx1.data());
    setNumThreads(threads);
    directConvForward(g, c.N, x.data(), w.data(), nullptr, yT.data());
    if (directConvDataApplies(g)) directConvBackwardData(g, c.N, w.data(), yT.data(), dxT.data());
    // Each output element is summed by one thread in one order, whatever the split.
    EXPECT_EQ(y1, yT);
    EXPECT_EQ(dx1, dxT);
}

INSTANTIATE_TEST_SUITE_P(Shapes, DirectConv, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) {
                             const Case& c = i.param;
                             return "N" + std::to_string(c.N) + "C" + std::to_string(c.C) + "K" +
                                    std::to_string(c.K) + "H" + std::to_string(c.H) + "W" +
                                    std::to_string(c.W) + "S" + std::to_string(c.S) + "k" +
                                    std::to_string(c.KS) + "p" + std::to_string(geometryOf(c).ph) +
                                    std::to_string(geometryOf(c).pb);
                         });

// db is Σ dy, whatever the input: the few-channel weight gradient sums it inside its tiles (C·3
// of them per block of channels) and, for the channels left, in a pass after them; the transposing
// path (16 input channels) in a pass of its own. All take each channel's sum in the same order
// (16 lanes over the positions, then the lanes), so on one thread their bits are the same: the
// checkpoints of a run do not depend on which path summed db.
TEST(DirectConv, BiasGradientIsTheSameBitsOnEveryPath) {
    if (!directConvAvailable())
        GTEST_SKIP() << "this CPU has no AVX-512: the direct kernels do not run";
    const int N = 3, K = 13, H = 5, W = 32;  // blocks of 8, 4 and 1 output channels
    Rng rng(31);
    const auto dy = normals(static_cast<std::size_t>(N) * K * H * W, rng);
    const int threads = numThreads();
    setNumThreads(1);
    std::vector<std::vector<float>> dbs;
    for (int C : {1, 2, 3, 8, 16}) {
        ConvGeometry g;
        g.C = C, g.H = H, g.W = W, g.K = K, g.Ho = H, g.Wo = W;
        g.kh = g.kw = 3;
        g.ph = g.pw = g.pb = g.pr = 1;
        ASSERT_TRUE(directConvApplies(g));
        const auto x = normals(static_cast<std::size_t>(N) * C * H * W, rng);
        std::vector<float> dW(static_cast<std::size_t>(K) * C * 9), db(K, 0.5f);
        directConvBackwardWeights(g, N, x.data(), dy.data(), dW.data(), db.data());
        dbs.push_back(db);
    }
    setNumThreads(threads);
    for (std::size_t i = 1; i < dbs.size(); ++i)
        EXPECT_EQ(dbs[i], dbs[0]) << "path " << i;
    // And they are the sums (within rounding), not the same wrong numbers.
    for (int k = 0; k < K; ++k) {
        double sum = 0.5;
        for (int n = 0; n < N; ++n)
            for (int p = 0; p < H * W; ++p)
                sum += dy[(static_cast<std::size_t>(n) * K + k) * H * W + p];
        EXPECT_NEAR(dbs[0][static_cast<std::size_t>(k)], sum, 1e-4) << "channel " << k;
    }
}

TEST(DirectConv, AppliesTo3x3And5x5AtStride1Or2) {
    ConvGeometry g = geometryOf({1, 4, 4, 16, 16});
    if (!directConvAvailable())
        GTEST_SKIP() << "this CPU has no AVX-512 (or LAYERLENS_ISA=portable)";
    ConvGeometry other = g;
    other.sh = other.sw = 2, other.Ho = other.Wo = 8;
    EXPECT_TRUE(directConvApplies(other));
    EXPECT_FALSE(directConvDataApplies(other));  // outputs 8 wide: col2im
    other.H = other.W = 32, other.Ho = other.Wo = 16;
    EXPECT_TRUE(directConvDataApplies(other));  // padding 1, even: by dx's 4 phases
    other.W = 33, other.Wo = 17;
    EXPECT_TRUE(directConvApplies(other));
    EXPECT_FALSE(directConvDataApplies(other));  // odd: col2im
    other = g, other.sh = other.sw = 2, other.ph = other.pw = other.pb = other.pr = 0;
    other.H = other.W = 18, other.Ho = other.Wo = 8;
    EXPECT_TRUE(directConvApplies(other));
    EXPECT_FALSE(directConvDataApplies(other));  // padding 0: col2im
    other.sh = other.sw = 3, other.Ho = other.Wo = 6;
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.sh = 2, other.Ho = 8;  // unequal strides
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.groups = 2;
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.dh = other.dw = 2, other.ph = other.pw = other.pb = other.pr = 2;
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.W = other.Wo = 8;
    EXPECT_TRUE(directConvApplies(other));
    other = g, other.W = other.Wo = 7;  // im2col + GEMM does as well on maps this small
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.W = other.Wo = 65;
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.ph = 3, other.Ho = 18;  // the backward-data border k − 1 − pad would be < 0
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.kh = other.kw = 5, other.ph = other.pw = other.pb = other.pr = 2;
    EXPECT_TRUE(directConvApplies(other));  // 5×5 over few channels
    EXPECT_TRUE(directConvDataApplies(other));
    other.C = 96, other.K = 256;  // alexnet-mnist's: Winograd
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.kh = other.kw = 5, other.ph = other.pw = other.pb = other.pr = 2;
    other.sh = other.sw = 2, other.Ho = other.Wo = 8;
    EXPECT_FALSE(directConvApplies(other));                           // 5×5: stride 1 only
    other = g, other.kh = other.kw = 5, other.ph = 5, other.Ho = 17;  // the dx border < 0
    EXPECT_FALSE(directConvApplies(other));
    other = g, other.kh = 1, other.ph = other.pw = other.pb = other.pr = 0;  // not square
    EXPECT_FALSE(directConvApplies(other));
}

// Layers whose weights outweigh the batch's columns (K ≥ N·Ho·Wo: VGG's 2×2 layers, a 5×5 layer
// on a 5×5 map) take their weight gradient as one product over the whole batch in the fast set:
// dW and db, with forward (bias, epilogue) and dx beside them, against the reference set within
// the rounding bound.
TEST(WholeBatchConv, EqualsTheReferenceWithinRounding) {
    KernelSetScope fast(KernelSet::Fast);
    const Case cases[] = {{2, 8, 40, 2, 2},
                          {3, 5, 48, 3, 4},
                          {1, 6, 30, 5, 5, 1, 5, 0},
                          {2, 4, 20, 4, 4, 2},
                          {4, 16, 64, 2, 2, 1, 3, 1, 0}};
    for (const Case& c : cases) {
        const ConvGeometry g = geometryOf(c);
        ASSERT_GE(c.K, c.N * g.Ho * g.Wo) << "not a whole-batch shape";
        Rng rng(53);
        const std::size_t xs = static_cast<std::size_t>(c.N) * c.C * c.H * c.W;
        const std::size_t ys = outputs(c);
        const std::size_t ws = static_cast<std::size_t>(c.K) * c.C * c.KS * c.KS;
        const auto x = normals(xs, rng), w = normals(ws, rng), b = normals(c.K, rng);
        const auto dy = normals(ys, rng), dW0 = normals(ws, rng), db0 = normals(c.K, rng);
        std::vector<float> yf(ys, std::numeric_limits<float>::quiet_NaN()), yr(ys), yb(ys);
        std::vector<float> dWf = dW0, dbf = db0, dxf(xs, std::numeric_limits<float>::quiet_NaN());
        std::vector<float> dWr = dW0, dbr = db0, dxr(xs);
        std::vector<float> dWb = absolute(dW0), dbb = absolute(db0), dxb(xs);
        ConvWorkspace wsf, wsr;
        convForward(g, c.N, x.data(), w.data(), b.data(), yf.data());
        convBackward(g, c.N, x.data(), w.data(), dy.data(), dWf.data(), dbf.data(), dxf.data(),
                     wsf);
        {
            KernelSetScope reference(KernelSet::Reference);
            convForward(g, c.N, x.data(), w.data(), b.data(), yr.data());
            convBackward(g, c.N, x.data(), w.data(), dy.data(), dWr.data(), dbr.data(), dxr.data(),
                         wsr);
            const auto ax = absolute(x), aw = absolute(w), ab = absolute(b), ady = absolute(dy);
            convForward(g, c.N, ax.data(), aw.data(), ab.data(), yb.data());
            convBackward(g, c.N, ax.data(), aw.data(), ady.data(), dWb.data(), dbb.data(),
                         dxb.data(), wsr);
        }
        expectWithinRounding(yf, yr, yb, c.C * c.KS * c.KS + 1, "y");
        const double terms = static_cast<double>(c.N) * g.Ho * g.Wo + 2;
        expectWithinRounding(dWf, dWr, dWb, terms, "dW");
        expectWithinRounding(dbf, dbr, dbb, terms, "db");
        expectWithinRounding(dxf, dxr, dxb, c.K * c.KS * c.KS, "dx");
        // The epilogue: the same bits as applied afterwards.
        const auto scale = normals(c.K, rng), shift = normals(c.K, rng);
        const ConvEpilogue e{scale.data(), shift.data(), true};
        std::vector<float> fused(ys);
        convForward(g, c.N, x.data(), w.data(), b.data(), fused.data(), &e);
        const int P = g.Ho * g.Wo;
        for (int n = 0; n < c.N; ++n)
            applyEpilogue(e, 0, c.K, P, yf.data() + static_cast<std::size_t>(n) * c.K * P);
        EXPECT_EQ(fused, yf);
    }
}

// The layer's gradients, checked numerically with the direct kernels in use (fast set).
TEST(DirectConv, Conv2dGradientsMatchFiniteDifferences) {
    KernelSetScope fast(KernelSet::Fast);
    Conv2d conv(3, 4, Window2d{3, 3, 1, 1, 1, 1, 1, 1});
    test::expectGradientsMatch(conv, {2, 3, 5, 17});
    test::expectGradientsMatch(conv, {1, 3, 16, 16});
    Conv2d down(3, 4, Window2d{3, 3, 2, 2, 1, 1, 1, 1});
    test::expectGradientsMatch(down, {2, 3, 16, 17});
    Conv2d valid(2, 3, Window2d{3, 3, 1, 1, 0, 0, 1, 1});
    test::expectGradientsMatch(valid, {2, 2, 10, 12});
    Conv2d five(3, 6, Window2d{5, 5, 1, 1, 2, 2, 1, 1});
    ASSERT_EQ(directConvApplies(geometryOf({2, 3, 6, 9, 10, 1, 5, 2})), directConvAvailable());
    test::expectGradientsMatch(five, {2, 3, 9, 10});
}

}  // namespace
}  // namespace ll
