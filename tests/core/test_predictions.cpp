// Class probabilities and top classes of a classifier's output (layerlens infer prints them).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/analysis/predictions.h"
#include "core/error.h"

namespace ll {

// Logits get the softmax (golden values as in test_softmax.cpp: torch.softmax(x, 1)).
TEST(Predictions, LogitsGetTheSoftmax) {
    const ClassProbabilities c = classProbabilities(Tensor({2, 3}, {1, 2, 3, -1, 0, 4}));
    EXPECT_TRUE(c.softmaxApplied);
    const std::vector<float> golden = {0.0900305733f,  0.244728476f,  0.665240943f,
                                       0.00657326262f, 0.0178679805f, 0.975558698f};
    for (int i = 0; i < 6; ++i)
        EXPECT_FLOAT_EQ(c.probabilities[i], golden[static_cast<std::size_t>(i)]) << i;
    // Logits of ±1e4 stay finite.
    const ClassProbabilities big = classProbabilities(Tensor({1, 2}, {1e4f, -1e4f}));
    EXPECT_EQ(big.probabilities[0], 1.0f);
    EXPECT_EQ(big.probabilities[1], 0.0f);
}

// Rows that already are probability vectors (a Softmax layer last) are taken as they are; one
// row that is not (a negative entry, a sum off by more than 1e-3, NaN) makes all logits.
TEST(Predictions, ProbabilityRowsAreKept) {
    const Tensor p({2, 3}, {0.2f, 0.3f, 0.5f, 0.0f, 1.0f, 0.0f});
    const ClassProbabilities c = classProbabilities(p);
    EXPECT_FALSE(c.softmaxApplied);
    EXPECT_EQ(c.probabilities.values(), p.values());
    EXPECT_FALSE(classProbabilities(Tensor({1, 3}, {0.2f, 0.3f, 0.5005f})).softmaxApplied);
    EXPECT_TRUE(classProbabilities(Tensor({1, 3}, {0.2f, 0.3f, 0.502f})).softmaxApplied);
    EXPECT_TRUE(classProbabilities(Tensor({2, 2}, {0.5f, 0.5f, 1.5f, -0.5f})).softmaxApplied);
    EXPECT_TRUE(classProbabilities(Tensor({1, 2}, {std::numeric_limits<float>::quiet_NaN(), 1.0f}))
                    .softmaxApplied);
    EXPECT_THROW(classProbabilities(Tensor({2, 1}, {0.5f, 0.5f})), ShapeError);
    EXPECT_THROW(classProbabilities(Tensor({1, 2, 2}, {0, 0, 0, 0})), ShapeError);
}

TEST(Predictions, TopClassesMostProbableFirstTiesInClassOrder) {
    const Tensor p({2, 5}, {0.1f, 0.3f, 0.1f, 0.4f, 0.1f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f});
    std::vector<ClassScore> top = topClasses(p, 0, 3);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].cls, 3);
    EXPECT_FLOAT_EQ(top[0].probability, 0.4f);
    EXPECT_EQ(top[1].cls, 1);
    EXPECT_EQ(top[2].cls, 0);    // 0, 2 and 4 tie: the lowest class first
    top = topClasses(p, 1, 10);  // k beyond the classes: all of them
    ASSERT_EQ(top.size(), 5u);
    for (int k = 0; k < 5; ++k)
        EXPECT_EQ(top[static_cast<std::size_t>(k)].cls, k);
    EXPECT_TRUE(topClasses(p, 1, 0).empty());
    // NaN is no evidence: it comes last.
    const Tensor n({1, 3}, {std::numeric_limits<float>::quiet_NaN(), 0.25f, 0.75f});
    top = topClasses(n, 0, 3);
    EXPECT_EQ(top[0].cls, 2);
    EXPECT_EQ(top[1].cls, 1);
    EXPECT_EQ(top[2].cls, 0);
}

}  // namespace ll
