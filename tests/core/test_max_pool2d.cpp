#include "support/check.h"

#include <cmath>
#include <limits>

#include "core/layers/max_pool2d.h"

namespace ll {

TEST(MaxPool2d, GoldenForwardAndBackward) {
    MaxPool2d pool({2, 2, 2, 2, 0, 0});
    Tensor x({1, 1, 4, 4}, {1, 5, 2, 0, 3, 4, 8, 1, 0, 0, -1, -2, 9, 0, -3, -4});
    Tensor y;
    pool.forward(x, y, Mode::Train);
    ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));
    EXPECT_EQ(y.values(), (std::vector<float>{5, 8, 9, -1}));
    Tensor dy({1, 1, 2, 2}, {1, 2, 3, 4}), dx;
    pool.backward(x, y, dy, &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 3, 0, 0, 0}));
}

TEST(MaxPool2d, PaddingNeverWins) {
    MaxPool2d pool({3, 3, 2, 2, 1, 1});
    Tensor x({1, 1, 2, 2}, {-5, -6, -7, -8}), y;
    pool.forward(x, y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 1, 1}));
    EXPECT_EQ(y[0], -5.0f);  // not the zero padding
}

TEST(MaxPool2d, TiesGoToTheFirstAndNaNPropagates) {
    MaxPool2d pool({2, 2, 2, 2, 0, 0});
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // Window 0: a tie (7 at positions 1 and 4); window 1: a NaN after the maximum.
    Tensor x({1, 1, 2, 4}, {1, 7, 9, 3, 7, 0, nan, 2}), y;
    pool.forward(x, y, Mode::Train);
    EXPECT_EQ(y[0], 7.0f);
    EXPECT_TRUE(std::isnan(y[1]));
    Tensor dy({1, 1, 1, 2}, {1, 1}), dx;
    pool.backward(x, y, dy, &dx);
    EXPECT_EQ(dx[1], 1.0f);  // the first of the tied maxima
    EXPECT_EQ(dx[4], 0.0f);
    EXPECT_EQ(dx[6], 1.0f);  // the NaN
    EXPECT_EQ(dx[2], 0.0f);
}

TEST(MaxPool2d, Gradients) {
    GradCheckOptions o;
    o.randomizeParams = false;
    MaxPool2d a({2, 2, 2, 2, 0, 0});
    test::expectGradientsMatch(a, {2, 3, 4, 4}, o);
    MaxPool2d overlapping({3, 3, 2, 2, 1, 1});
    test::expectGradientsMatch(overlapping, {2, 2, 7, 7}, o);
    MaxPool2d nonSquare({3, 2, 1, 2, 1, 0});
    test::expectGradientsMatch(nonSquare, {1, 2, 5, 6}, o);
}

TEST(MaxPool2d, BadWindows) {
    EXPECT_THROW(MaxPool2d({2, 2, 2, 2, 2, 0}), ModelError);  // padding > half kernel
    MaxPool2d pool({5, 5, 1, 1, 0, 0});
    Tensor y;
    EXPECT_THROW(pool.forward(Tensor({1, 1, 3, 3}), y, Mode::Eval), ShapeError);
}

}  // namespace ll
