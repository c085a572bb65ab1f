#include <gtest/gtest.h>

#include "core/tensor.h"

namespace ll {

TEST(Tensor, ShapeAndOffsetFormula) {
    Tensor t({2, 3, 4, 5});
    EXPECT_EQ(t.numel(), 120);
    EXPECT_EQ(t.shape().str(), "(2, 3, 4, 5)");
    // ((n*C + c)*H + h)*W + w for (1, 2, 3, 4) = ((1*3+2)*4+3)*5+4 = 119: the last element.
    EXPECT_EQ(Tensor::offset(1, 2, 3, 4, 3, 4, 5), 119);
    EXPECT_EQ(Tensor::offset(0, 1, 0, 0, 3, 4, 5), 20);
    t.at(1, 2, 3, 4) = 7.0f;
    EXPECT_EQ(t[119], 7.0f);
}

TEST(Tensor, ValueCountMustMatchShape) {
    EXPECT_THROW(Tensor(Shape{2, 2}, std::vector<float>{1, 2, 3}), ShapeError);
    EXPECT_THROW(Shape({2, -1}), ShapeError);
}

TEST(Tensor, OutOfRangeAccessThrowsNotCrashes) {
    Tensor t({1, 1, 2, 2});
    EXPECT_THROW(t.at(0, 0, 2, 0), CheckError);
    Tensor v({4});
    EXPECT_THROW(v.at(0, 0, 0, 0), CheckError);
}

TEST(Tensor, ReshapeKeepsDataAndChecksCount) {
    Tensor t({2, 6}, std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    t.reshape({2, 3, 2});
    EXPECT_EQ(t.shape(), Shape({2, 3, 2}));
    EXPECT_EQ(t[7], 7.0f);
    EXPECT_THROW(t.reshape({5}), ShapeError);
}

TEST(Tensor, ResizeKeepsCapacity) {
    Tensor t({64, 100});
    const float* before = t.data();
    t.resize({32, 100});
    t.resize({64, 100});
    EXPECT_EQ(before, t.data());  // no reallocation in steady state
}

TEST(Tensor, MatrixViewIsRowMajor) {
    Tensor t({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
    auto m = t.matrix2d();
    EXPECT_EQ(m(0, 2), 3.0f);
    EXPECT_EQ(m(1, 0), 4.0f);
    EXPECT_DOUBLE_EQ(t.sumSquares(), 91.0);
    EXPECT_TRUE(t.allFinite());
    t[4] = std::numeric_limits<float>::infinity();
    EXPECT_FALSE(t.allFinite());
}

}  // namespace ll
