#include "support/check.h"

#include "core/layers/conv2d.h"

namespace ll {

namespace {
Tensor oneToNine() {
    return Tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
}
}  // namespace

TEST(Conv2d, GoldenForwardNoPadding) {
    Conv2d conv(1, 1, {2, 2, 1, 1, 0, 0});
    conv.weight().value = Tensor({1, 1, 2, 2}, {1, 0, 0, -1});
    conv.bias().value = Tensor({1}, {0.5f});
    Tensor y;
    conv.forward(oneToNine(), y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));
    for (int i = 0; i < 4; ++i)
        EXPECT_FLOAT_EQ(y[i], -3.5f);  // x[i][j] - x[i+1][j+1] + 0.5
}

TEST(Conv2d, GoldenForwardPaddingAndStride) {
    Conv2d conv(1, 1, {2, 2, 2, 2, 1, 1});
    conv.weight().value = Tensor({1, 1, 2, 2}, {1, 0, 0, -1});
    conv.bias().value = Tensor({1}, {0.5f});
    Tensor y;
    conv.forward(oneToNine(), y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));  // floor((3 + 2 - 2) / 2) + 1 = 2
    EXPECT_FLOAT_EQ(y[0], -0.5f);               // 0 - x00 + 0.5
    EXPECT_FLOAT_EQ(y[1], -2.5f);               // 0 - x02 + 0.5
    EXPECT_FLOAT_EQ(y[2], -6.5f);               // 0 - x20 + 0.5
    EXPECT_FLOAT_EQ(y[3], -3.5f);               // x11 - x22 + 0.5
}

TEST(Conv2d, GradientsAtSeveralShapes) {
    struct C {
        int cin, cout;
        Window2d w;
        Shape in;
        bool bias;
    };
    const std::vector<C> cases = {
        {1, 2, {3, 3, 1, 1, 0, 0}, {2, 1, 5, 5}, true},
        {3, 4, {3, 3, 1, 1, 1, 1}, {2, 3, 4, 4}, true},   // "same" padding
        {2, 3, {3, 2, 2, 1, 1, 0}, {2, 2, 7, 6}, true},   // non-square kernel, uneven stride
        {2, 2, {5, 5, 3, 3, 2, 2}, {1, 2, 8, 8}, false},  // stride 3 leaves columns unused
        {4, 3, {1, 1, 1, 1, 0, 0}, {2, 4, 3, 3}, true},   // pointwise (no im2col path)
        {1, 1, {3, 3, 1, 1, 2, 2}, {1, 1, 2, 2}, true},   // padding larger than the image edge
        // Batches larger than the thread count: samples share one GEMM per group (small maps).
        {2, 3, {3, 3, 1, 1, 1, 1}, {5, 2, 4, 4}, true},
        {3, 2, {1, 1, 1, 1, 0, 0}, {7, 3, 2, 2}, true},  // grouped pointwise
    };
    for (const C& c : cases) {
        Conv2d conv(c.cin, c.cout, c.w, c.bias);
        SCOPED_TRACE(conv.describe());
        test::expectGradientsMatch(conv, c.in);
    }
}

TEST(Conv2d, SameResultWithOneOrTwoThreadsAndBatchSplit) {
    // The batch-parallel kernel must not mix samples: sample n's output depends on sample n only.
    Conv2d conv(2, 3, {3, 3, 1, 1, 1, 1});
    Rng rng(5);
    conv.resetParameters(rng);
    Tensor x({4, 2, 6, 6});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.normal();
    Tensor yAll, yOne;
    conv.forward(x, yAll, Mode::Eval);
    Tensor x2({1, 2, 6, 6});
    std::copy(x.data() + 2 * 72, x.data() + 3 * 72, x2.data());
    conv.forward(x2, yOne, Mode::Eval);
    for (std::int64_t i = 0; i < yOne.numel(); ++i)
        EXPECT_FLOAT_EQ(yOne[i], yAll[2 * 108 + i]);
}

TEST(Conv2d, BadInputsNameTheLayer) {
    Conv2d conv(3, 8, {5, 5, 1, 1, 0, 0});
    conv.setName("conv1");
    Tensor y;
    EXPECT_THROW(conv.forward(Tensor({2, 1, 8, 8}), y, Mode::Train), ShapeError);  // channels
    EXPECT_THROW(conv.forward(Tensor({2, 3, 4, 4}), y, Mode::Train), ShapeError);  // too small
    EXPECT_THROW(conv.forward(Tensor({2, 3, 8}), y, Mode::Train), ShapeError);     // rank
    EXPECT_THROW(conv.forward(Tensor({0, 3, 8, 8}), y, Mode::Train), ShapeError);  // empty batch
    try {
        conv.forward(Tensor({2, 1, 8, 8}), y, Mode::Train);
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("'conv1' (Conv2d 3→8"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(2, 1, 8, 8)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Conv2d(3, 8, {0, 3, 1, 1, 0, 0}), ModelError);
}

}  // namespace ll
