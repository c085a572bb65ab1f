#include "support/check.h"

#include <cmath>

#include "core/layers/global_avg_pool2d.h"

namespace ll {

TEST(GlobalAvgPool2d, GoldenForwardBackward) {
    GlobalAvgPool2d gap;
    gap.setName("gap");
    Tensor x({1, 2, 2, 2}, {1, 2, 3, 6, -4, 0, 0, 0}), y;
    gap.forward(x, y, Mode::Train);
    EXPECT_EQ(y.shape(), Shape({1, 2, 1, 1}));
    EXPECT_EQ(y.values(), (std::vector<float>{3, -1}));
    Tensor dx({1, 2, 2, 2}, NAN);
    gap.backward(x, y, Tensor({1, 2, 1, 1}, {4, -8}), &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{1, 1, 1, 1, -2, -2, -2, -2}));
}

TEST(GlobalAvgPool2d, Gradients) {
    GlobalAvgPool2d gap;
    test::expectGradientsMatch(gap, {2, 3, 4, 5});
}

// H·W − 1 additions and a division per output; the field becomes the whole input.
TEST(GlobalAvgPool2d, CostAndField) {
    GlobalAvgPool2d gap;
    EXPECT_EQ(gap.cost({{1, 64, 8, 8}}, {1, 64, 1, 1}).poolOps, 64 * 64);
    const FieldRule r = gap.fieldRule({1, 64, 8, 8});
    EXPECT_EQ(r.kind, FieldRule::Kind::Whole);
    EXPECT_EQ(r.kh, 8);
}

}  // namespace ll
