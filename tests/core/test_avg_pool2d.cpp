#include "support/check.h"

#include "core/layers/avg_pool2d.h"

namespace ll {

TEST(AvgPool2d, GoldenForwardAndBackward) {
    AvgPool2d pool({2, 2, 2, 2, 0, 0});
    Tensor x({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}), y;
    pool.forward(x, y, Mode::Train);
    EXPECT_EQ(y.values(), (std::vector<float>{3.5f, 5.5f}));
    Tensor dy({1, 1, 1, 2}, {4, 8}), dx;
    pool.backward(x, y, dy, &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2}));
}

TEST(AvgPool2d, PaddingCountsAsZero) {
    AvgPool2d pool({2, 2, 2, 2, 1, 1});
    Tensor x({1, 1, 2, 2}, {4, 4, 4, 4}), y;
    pool.forward(x, y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));
    for (int i = 0; i < 4; ++i)
        EXPECT_FLOAT_EQ(y[i], 1.0f);  // one real pixel in each window / 4
}

TEST(AvgPool2d, Gradients) {
    AvgPool2d a({2, 2, 2, 2, 0, 0});
    test::expectGradientsMatch(a, {2, 3, 4, 4});
    AvgPool2d b({3, 2, 2, 1, 1, 1});
    test::expectGradientsMatch(b, {1, 2, 5, 5});
}

}  // namespace ll
