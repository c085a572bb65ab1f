#include "support/check.h"
#include "support/graph_check.h"

#include <cmath>

#include "core/layers/mul.h"

namespace ll {

// Hand-computed: x (1, 2, 1, 2) times a gate (1, 2, 1, 1) broadcast over the plane.
TEST(Mul, GoldenBroadcastGate) {
    Mul mul;
    mul.setName("se");
    Tensor x({1, 2, 1, 2}, {1, 2, 3, 4}), g({1, 2, 1, 1}, {0.5f, -1}), y;
    mul.forwardMulti({&x, &g}, y, Mode::Train);
    EXPECT_EQ(y.values(), (std::vector<float>{0.5f, 1, -3, -4}));
    const Tensor dy({1, 2, 1, 2}, {1, 10, 100, 1000});
    Tensor dx({1, 2, 1, 2}, NAN), dg({1, 2, 1, 1}, NAN);
    mul.backwardMulti({&x, &g}, y, dy, {&dx, &dg});
    EXPECT_EQ(dx.values(), (std::vector<float>{0.5f, 5, -100, -1000}));
    // dg = Σ over the plane of dy·x: 1·1 + 10·2 = 21; 100·3 + 1000·4 = 4300.
    EXPECT_EQ(dg.values(), (std::vector<float>{21, 4300}));
}

TEST(Mul, GoldenSameShape) {
    Mul mul;
    mul.setName("m");
    Tensor a({1, 2}, {2, 3}), b({1, 2}, {5, 7}), y;
    mul.forwardMulti({&a, &b}, y, Mode::Train);
    EXPECT_EQ(y.values(), (std::vector<float>{10, 21}));
    Tensor da, db;
    mul.backwardMulti({&a, &b}, y, Tensor({1, 2}, {1, 1}), {&da, &db});
    EXPECT_EQ(da.values(), (std::vector<float>{5, 7}));
    EXPECT_EQ(db.values(), (std::vector<float>{2, 3}));
}

TEST(Mul, RefusesAGateOfAnotherShape) {
    Mul mul;
    mul.setName("se");
    EXPECT_THROW(mul.outputShapeMulti({Shape({1, 4, 3, 3}), Shape({1, 2, 1, 1})}), ShapeError);
    EXPECT_THROW(mul.outputShapeMulti({Shape({1, 4, 3, 3}), Shape({1, 4, 3, 1})}), ShapeError);
}

// A squeeze-and-excitation block (Hu et al. 2018): global pooling, a bottleneck, a sigmoid gate
// multiplying the map. The map's gradient comes back through both the product and the gate.
TEST(Mul, SqueezeAndExcitationGradients) {
    test::expectGraphGradientsMatch(R"({"input": [4, 3, 3], "layers": [
        {"type": "Conv2d", "name": "map", "out": 4, "kernel": 3, "padding": 1},
        {"type": "GlobalAvgPool2d", "name": "squeeze"},
        {"type": "Conv2d", "out": 2, "kernel": 1}, {"type": "Tanh"},
        {"type": "Conv2d", "out": 4, "kernel": 1}, {"type": "Sigmoid", "name": "gate"},
        {"type": "Mul", "inputs": ["map", "gate"]},
        {"type": "Flatten"}, {"type": "Linear", "out": 3}]})");
}

}  // namespace ll
