#include "support/check.h"

#include "core/layers/flatten.h"

namespace ll {

TEST(Flatten, KeepsRowMajorOrder) {
    Flatten f;
    Tensor x({2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), y;
    f.forward(x, y, Mode::Eval);
    EXPECT_EQ(y.shape(), Shape({2, 4}));
    EXPECT_EQ(y.values(), x.values());
    EXPECT_THROW(f.forward(Tensor({3}), y, Mode::Eval), ShapeError);
}

TEST(Flatten, Gradients) {
    Flatten f;
    test::expectGradientsMatch(f, {2, 3, 2, 2});
}

}  // namespace ll
