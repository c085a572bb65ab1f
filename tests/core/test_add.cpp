#include "support/check.h"
#include "support/graph_check.h"

#include <cmath>

#include "core/layers/add.h"

namespace ll {

TEST(Add, GoldenForwardBackwardAndOverwrite) {
    Add add;
    add.setName("add");
    Tensor a({1, 3}, {1, 2, 3}), b({1, 3}, {10, 20, 30}), c({1, 3}, {-1, -1, -1}), y;
    add.forwardMulti({&a, &b, &c}, y, Mode::Train);
    EXPECT_EQ(y.values(), (std::vector<float>{10, 21, 32}));
    const Tensor dy({1, 3}, {0.5f, -2, 4});
    Tensor da({1, 3}, NAN), db({1, 3}, NAN);  // NaN sentinels: dx must be overwritten
    add.backwardMulti({&a, &b, &c}, y, dy, {&da, &db, nullptr});
    EXPECT_EQ(da.values(), dy.values());
    EXPECT_EQ(db.values(), dy.values());
}

TEST(Add, RefusesUnequalShapesAndOneInput) {
    Add add;
    add.setName("join");
    EXPECT_THROW(add.outputShapeMulti({Shape({1, 2, 4, 4}), Shape({1, 3, 4, 4})}), ShapeError);
    EXPECT_THROW(add.outputShapeMulti({Shape({1, 2, 4, 4})}), ShapeError);
    EXPECT_EQ(add.outputShapeMulti({Shape({1, 2, 4, 4}), Shape({1, 2, 4, 4})}),
              Shape({1, 2, 4, 4}));
}

// A diamond: x → a, x → b, a + b. The input receives the sum of both paths' gradients.
TEST(Add, DiamondGradients) {
    test::expectGraphGradientsMatch(R"({"input": [2, 4, 4], "layers": [
        {"type": "Conv2d", "name": "a", "out": 3, "kernel": 3, "padding": 1},
        {"type": "Conv2d", "name": "b", "inputs": ["input"], "out": 3, "kernel": 1},
        {"type": "Add", "inputs": ["a", "b"]},
        {"type": "Tanh"}, {"type": "Flatten"}, {"type": "Linear", "out": 3}]})");
}

// One tensor read twice by the same node: y = x + x, so dx = 2·dy.
TEST(Add, SameInputTwiceDoublesTheGradient) {
    test::expectGraphGradientsMatch(R"({"input": [6], "layers": [
        {"type": "Linear", "name": "h", "out": 4},
        {"type": "Add", "inputs": ["h", "h"]},
        {"type": "Sigmoid"}, {"type": "Linear", "out": 3}]})");
}

}  // namespace ll
