#include "support/check.h"

#include "core/layers/sparse_conv2d.h"

namespace ll {

TEST(SparseConv2d, LeNetC3TableHasTheClassicShape) {
    const auto t = SparseConv2d::lenetC3Table();
    ASSERT_EQ(t.size(), 16u);
    int three = 0, four = 0, six = 0;
    for (const auto& row : t) {
        three += row.size() == 3;
        four += row.size() == 4;
        six += row.size() == 6;
    }
    EXPECT_EQ(three, 6);
    EXPECT_EQ(four, 9);
    EXPECT_EQ(six, 1);
    SparseConv2d c3(6, 16, {5, 5, 1, 1, 0, 0}, t);
    // (6·3 + 9·4 + 6) kernels of 5×5 plus 16 biases = 1,516 (full C3 would have 2,416).
    EXPECT_EQ(c3.numParams(), 1516);
}

TEST(SparseConv2d, UnconnectedMapsDoNotInfluenceOutput) {
    SparseConv2d conv(3, 2, {3, 3, 1, 1, 1, 1}, {{0}, {1, 2}});
    Rng rng(2);
    conv.resetParameters(rng);
    Tensor x({1, 3, 4, 4});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.normal();
    Tensor y1, y2;
    conv.forward(x, y1, Mode::Eval);
    for (int i = 16; i < 48; ++i)
        x[i] += 10.0f;  // change input maps 1 and 2
    conv.forward(x, y2, Mode::Eval);
    for (int i = 0; i < 16; ++i)
        EXPECT_FLOAT_EQ(y1[i], y2[i]);  // map 0 sees input 0 only
    for (int i = 16; i < 32; ++i)
        EXPECT_NE(y1[i], y2[i]);  // map 1 sees inputs 1, 2
}

TEST(SparseConv2d, Gradients) {
    SparseConv2d c3(6, 16, {5, 5, 1, 1, 0, 0}, SparseConv2d::lenetC3Table());
    test::expectGradientsMatch(c3, {2, 6, 6, 6});
    SparseConv2d strided(3, 2, {3, 2, 2, 1, 1, 0}, {{2, 0}, {1}}, false);
    test::expectGradientsMatch(strided, {2, 3, 5, 5});
}

TEST(SparseConv2d, BadTablesAreModelErrors) {
    EXPECT_THROW(SparseConv2d(3, 2, {3, 3, 1, 1, 0, 0}, {{0}}), ModelError);          // rows
    EXPECT_THROW(SparseConv2d(3, 2, {3, 3, 1, 1, 0, 0}, {{0}, {3}}), ModelError);     // range
    EXPECT_THROW(SparseConv2d(3, 2, {3, 3, 1, 1, 0, 0}, {{0}, {}}), ModelError);      // empty
    EXPECT_THROW(SparseConv2d(3, 2, {3, 3, 1, 1, 0, 0}, {{0, 0}, {1}}), ModelError);  // twice
}

}  // namespace ll
