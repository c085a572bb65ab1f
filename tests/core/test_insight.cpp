#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/analysis/insight.h"
#include "core/model_file.h"
#include "core/parallel.h"
#include "core/random.h"
#include "support/blobs.h"

namespace ll {

TEST(Confusion, HandMadeCase) {
    // truth:     0 0 0 1 1 2 2 2 2
    // predicted: 0 1 0 1 1 2 0 2 1
    const ConfusionMatrix m =
        confusionFromLabels({0, 0, 0, 1, 1, 2, 2, 2, 2}, {0, 1, 0, 1, 1, 2, 0, 2, 1}, 3);
    EXPECT_EQ(m.at(0, 0), 2);
    EXPECT_EQ(m.at(0, 1), 1);
    EXPECT_EQ(m.at(1, 1), 2);
    EXPECT_EQ(m.at(2, 0), 1);
    EXPECT_EQ(m.at(2, 1), 1);
    EXPECT_EQ(m.at(2, 2), 2);
    EXPECT_EQ(m.total(), 9);
    EXPECT_DOUBLE_EQ(m.accuracy(), 6.0 / 9.0);
    EXPECT_DOUBLE_EQ(m.rate(2, 2), 0.5);
    EXPECT_THROW(confusionFromLabels({0, 3}, {0, 1}, 3), CheckError);
}

TEST(Confusion, OfANetAgreesWithItsPredictions) {
    Net net = buildNet(test::kBlobNet);
    net.resetParameters(2);
    const Dataset d = test::blobs(120, 4);
    std::vector<int> pred;
    const ConfusionMatrix m = confusionMatrix(net, d, {}, &pred, 50);
    ASSERT_EQ(pred.size(), 120u);
    EXPECT_EQ(m.total(), 120);
    std::int64_t diag = 0;
    for (int i = 0; i < 120; ++i)
        diag += pred[static_cast<std::size_t>(i)] == d.labels[static_cast<std::size_t>(i)];
    EXPECT_DOUBLE_EQ(m.accuracy(), static_cast<double>(diag) / 120.0);
}

// AlexNet (1000 outputs) trained on a two-class folder stopped every epoch with "internal check
// failed at insight.cpp:39 … prediction 631 outside [0, 2)": more outputs than classes predict
// among the data set's classes only.
TEST(Confusion, MoreOutputsThanClassesPredictAmongTheClasses) {
    Net net = buildNet(R"({"name": "wide", "input": [1, 8, 8], "layers": [
      {"type": "Flatten"}, {"type": "Linear", "out": 50}]})");
    net.resetParameters(5);
    const Dataset d = test::blobs(200, 6, 2);
    std::vector<int> pred;
    const ConfusionMatrix m = confusionMatrix(net, d, {}, &pred, 64);
    EXPECT_EQ(m.classes, 2);
    EXPECT_EQ(m.total(), 200);
    for (int p : pred)
        EXPECT_TRUE(p == 0 || p == 1) << p;
    // Each is the larger of the first two outputs.
    Tensor x, y;
    std::vector<int> order{0};
    makeBatch(d, order, 0, 1, x, y, {});
    const Tensor& z = net.forward(x, Mode::Eval);
    EXPECT_EQ(pred[0], z[1] > z[0] ? 1 : 0);
}

TEST(Saliency, MatchesFiniteDifferences) {
    Net net = buildNet(R"({"input": [1, 6, 6], "layers": [
      {"type": "Conv2d", "out": 3, "kernel": 3}, {"type": "Tanh"}, {"type": "Flatten"},
      {"type": "Linear", "out": 4}]})");
    net.resetParameters(3);
    Tensor x({1, 6, 6});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = std::sin(0.7f * static_cast<float>(i));
    const int k = 2;
    const Tensor g = saliency(net, x, k);
    ASSERT_EQ(g.shape(), Shape({1, 6, 6}));
    const double eps = 1e-2;
    for (int p : {0, 7, 14, 21, 35}) {
        Tensor a = x, b = x;
        a[p] += static_cast<float>(eps);
        b[p] -= static_cast<float>(eps);
        a.reshape({1, 1, 6, 6});
        b.reshape({1, 1, 6, 6});
        const double fa = net.forward(a, Mode::Eval)[k], fb = net.forward(b, Mode::Eval)[k];
        EXPECT_NEAR(g[p], (fa - fb) / (2 * eps), 2e-3) << p;
    }
    EXPECT_THROW(saliency(net, x, 4), UsageError);
}

TEST(GradCam, HandComputedCase) {
    // One 1×1 convolution of weight 1 (the map is the input), then a linear layer whose class-0
    // row weighs every position +1 and class-1 row alternates ±1.
    Net net = buildNet(R"({"input": [1, 2, 2], "layers": [
      {"type": "Conv2d", "out": 1, "kernel": 1}, {"type": "Flatten"}, {"type": "Linear", "out": 2}]})");
    auto ps = net.params();
    ps[0]->value[0] = 1.0f;  // conv weight
    ps[1]->value[0] = 0.0f;  // conv bias
    const float w[8] = {1, 1, 1, 1, 1, -1, 1, -1};
    for (int i = 0; i < 8; ++i)
        ps[2]->value[i] = w[i];
    ps[3]->value.setZero();
    const Tensor x({1, 2, 2}, {1, 2, 3, 4});
    // Class 0: α = mean(1,1,1,1) = 1, so the map is ReLU(x).
    EXPECT_EQ(gradCam(net, x, 0, 0).values(), (std::vector<float>{1, 2, 3, 4}));
    // Class 1: α = mean(1,-1,1,-1) = 0, so nothing lights up.
    EXPECT_EQ(gradCam(net, x, 0, 1).values(), (std::vector<float>{0, 0, 0, 0}));
    EXPECT_THROW(gradCam(net, x, 2, 0), UsageError);  // the linear layer has no maps
}

// Five values, five bins over [−2, 2] (width 0.8): each value in its own bin, 2 in the last.
TEST(SymmetricHistogram, HandMadeCase) {
    const Tensor t({5}, {-2.0f, -1.0f, 0.0f, 1.0f, 2.0f});
    const SymmetricHistogram h = symmetricHistogram({&t}, 5);
    EXPECT_EQ(h.lo, -2.0);
    EXPECT_EQ(h.hi, 2.0);
    EXPECT_EQ(h.counts, (std::vector<int>{1, 1, 1, 1, 1}));
    const Tensor zeros({3});
    const SymmetricHistogram z = symmetricHistogram({&zeros}, 4);
    EXPECT_EQ(z.lo, 0.0);
    EXPECT_EQ(z.hi, 1e-12);
    EXPECT_EQ(z.counts, (std::vector<int>{3, 0, 0, 0}));  // [0, 1e-12]: 0 is its lower edge
}

// Two tensors large enough to be split over the threads: on 1, 2 and 3 threads, the counts of a
// plain serial pass, every value counted once, the range the largest |value| (in the second).
TEST(SymmetricHistogram, SplitOverThreadsCountsEveryValueOnce) {
    const int n = 3 * 65536 + 11, bins = 41;
    Tensor a({n}), b({65536 + 3});
    Rng rng(4);
    for (std::int64_t k = 0; k < a.numel(); ++k)
        a[k] = rng.normal();
    for (std::int64_t k = 0; k < b.numel(); ++k)
        b[k] = 0.5f * rng.normal();
    b[b.numel() - 1] = -7.5f;
    std::vector<int> want(bins, 0);
    for (const Tensor* t : {&a, &b}) {
        for (std::int64_t k = 0; k < t->numel(); ++k) {
            const int i = static_cast<int>(((*t)[k] + 7.5) / 15.0 * bins);
            ++want[static_cast<std::size_t>(std::clamp(i, 0, bins - 1))];
        }
    }
    const int saved = numThreads();
    for (int threads : {1, 2, 3}) {
        SCOPED_TRACE(threads);
        setNumThreads(threads);
        const SymmetricHistogram h = symmetricHistogram({&a, &b}, bins);
        EXPECT_EQ(h.lo, -7.5);
        EXPECT_EQ(h.hi, 7.5);
        EXPECT_EQ(h.counts, want);
    }
    setNumThreads(saved);
}

}  // namespace ll
