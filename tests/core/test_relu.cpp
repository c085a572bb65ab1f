#include "support/check.h"

#include "core/layers/relu.h"

namespace ll {

TEST(ReLU, GoldenForwardBackward) {
    ReLU r;
    Tensor x({1, 4}, {-2, 0, 0.5f, 3}), y, dx;
    r.forward(x, y, Mode::Train);
    EXPECT_EQ(y.values(), (std::vector<float>{0, 0, 0.5f, 3}));
    r.backward(x, y, Tensor({1, 4}, {1, 1, 1, 1}), &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{0, 0, 1, 1}));  // derivative at 0 taken as 0
}

TEST(ReLU, Gradients) {
    ReLU r;
    test::expectGradientsMatch(r, {2, 3, 4, 4});
}

}  // namespace ll
