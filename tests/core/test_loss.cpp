#include "support/check.h"

#include <cmath>

#include "core/loss.h"

namespace ll {

TEST(SoftmaxCrossEntropy, Golden) {
    SoftmaxCrossEntropy ce;
    // softmax([0, ln 2, ln 3]) = [1/6, 2/6, 3/6].
    Tensor z({2, 3}, {0, std::log(2.0f), std::log(3.0f), 0, std::log(2.0f), std::log(3.0f)});
    Tensor y({2}, {0, 2});
    EXPECT_NEAR(ce.forward(z, y), (std::log(6.0) + std::log(2.0)) / 2, 1e-6);
    Tensor dz;
    ce.backward(z, y, dz);
    EXPECT_NEAR(dz[0], (1.0 / 6 - 1) / 2, 1e-6);
    EXPECT_NEAR(dz[1], (2.0 / 6) / 2, 1e-6);
    EXPECT_NEAR(dz[5], (3.0 / 6 - 1) / 2, 1e-6);
}

TEST(SoftmaxCrossEntropy, StableForHugeLogits) {
    SoftmaxCrossEntropy ce;
    Tensor z({2, 2}, {1e4f, -1e4f, 1e4f, -1e4f});
    Tensor y({2}, {0, 1});
    const double l = ce.forward(z, y);
    EXPECT_TRUE(std::isfinite(l));
    EXPECT_NEAR(l, (0.0 + 2e4) / 2, 1e-3);
    Tensor dz;
    ce.backward(z, y, dz);
    EXPECT_TRUE(dz.allFinite());
    EXPECT_NEAR(dz[2], 0.5, 1e-6);
    EXPECT_NEAR(dz[3], -0.5, 1e-6);
}

TEST(SoftmaxCrossEntropy, BadLabelsAreErrors) {
    SoftmaxCrossEntropy ce;
    Tensor z({2, 3});
    EXPECT_THROW(ce.forward(z, Tensor({2}, {0, 3})), ShapeError);
    EXPECT_THROW(ce.forward(z, Tensor({2}, {0, 1.5f})), ShapeError);
    EXPECT_THROW(ce.forward(z, Tensor({3}, {0, 1, 2})), ShapeError);
}

TEST(NonCELoss, GoldenValues) {
    NonCELoss l;
    // z = 0: σ = 1/2 and the loss is 4·(1/2)² = 1 for either label.
    EXPECT_NEAR(l.forward(Tensor({2, 1}, {0, 0}), Tensor({2}, {1, -1})), 1.0, 1e-7);
    // z = 2, y = +1: 4(1 − σ(2))².
    const double s = 1 / (1 + std::exp(-2.0));
    EXPECT_NEAR(l.forward(Tensor({1, 1}, {2}), Tensor({1}, {1})), 4 * (1 - s) * (1 - s), 1e-6);
    EXPECT_NEAR(l.forward(Tensor({1, 1}, {2}), Tensor({1}, {-1})), 4 * s * s, 1e-6);
    EXPECT_THROW(l.forward(Tensor({1, 1}, {2}), Tensor({1}, {0})), ShapeError);  // labels ±1
    EXPECT_THROW(l.forward(Tensor({1, 2}), Tensor({1}, {1})), ShapeError);       // one output
}

TEST(LogisticLoss, GoldenAndStable) {
    LogisticLoss l;
    EXPECT_NEAR(l.forward(Tensor({1, 1}, {0}), Tensor({1}, {1})), std::log(2.0), 1e-7);
    EXPECT_NEAR(l.forward(Tensor({1, 1}, {-1e4f}), Tensor({1}, {1})), 1e4, 1e-2);
    EXPECT_NEAR(l.forward(Tensor({1, 1}, {1e4f}), Tensor({1}, {1})), 0.0, 1e-7);
}

TEST(MeanSquaredError, Golden) {
    MeanSquaredError l;
    EXPECT_NEAR(l.forward(Tensor({2, 2}, {1, 2, 3, 4}), Tensor({2, 2}, {1, 0, 3, 0})),
                (4 + 16) / 4.0, 1e-7);
    Tensor dz;
    l.backward(Tensor({2, 1}, {3, 1}), Tensor({2}, {1, 1}), dz);
    EXPECT_FLOAT_EQ(dz[0], 2.0f);  // 2·(3 − 1)/2
    EXPECT_FLOAT_EQ(dz[1], 0.0f);
}

TEST(Losses, GradientsMatchFiniteDifferences) {
    Rng rng(11);
    auto randn = [&](const Shape& s, float scale) {
        Tensor t(s);
        for (std::int64_t i = 0; i < t.numel(); ++i)
            t[i] = rng.normal() * scale;
        return t;
    };
    Tensor signs({6});
    for (int i = 0; i < 6; ++i)
        signs[i] = i % 2 ? 1.0f : -1.0f;
    Tensor classes({5}, {0, 3, 1, 2, 3});
    struct C {
        std::string name;
        Tensor z, t;
    };
    std::vector<C> cases = {{"cross_entropy", randn({5, 4}, 2), classes},
                            {"mse", randn({3, 4}, 1), randn({3, 4}, 1)},
                            {"logistic", randn({6, 1}, 2), signs},
                            {"non_ce", randn({6, 1}, 2), signs}};
    for (C& c : cases) {
        auto loss = makeLoss(c.name);
        const GradCheckResult r = checkLossGradients(*loss, c.z, c.t);
        EXPECT_TRUE(r.passed(2e-3)) << c.name << ": " << r.str();
        EXPECT_EQ(r.checked, c.z.numel());
    }
    EXPECT_THROW(makeLoss("hinge"), UsageError);
}

TEST(CountCorrect, ArgmaxAndSign) {
    EXPECT_EQ(countCorrect(Tensor({2, 3}, {0, 5, 1, 9, 0, 0}), Tensor({2}, {1, 2})), 1);
    EXPECT_EQ(countCorrect(Tensor({3, 1}, {0.5f, -2, 1}), Tensor({3}, {1, -1, -1})), 2);
}

}  // namespace ll
