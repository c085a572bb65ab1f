#include "support/check.h"
#include "support/model_round_trip.h"

#include "core/layers/identity.h"

namespace ll {

TEST(Identity, PassesValuesAndGradientsThrough) {
    Identity id;
    Tensor x({2, 1, 2}, {-3, 0.5f, 7, -1e4f}), y, dx;
    id.forward(x, y, Mode::Train);
    EXPECT_EQ(y.shape(), x.shape());
    EXPECT_EQ(y.values(), x.values());
    const Tensor dy({2, 1, 2}, {1, -2, 3, 0.25f});
    dx = Tensor(x.shape(), 99.0f);  // overwritten, not accumulated
    id.backward(x, y, dy, &dx);
    EXPECT_EQ(dx.values(), dy.values());
}

TEST(Identity, Gradients) {
    Identity id;
    test::expectGradientsMatch(id, {2, 3, 4, 4});
}

TEST(Identity, CostsNothingAndKeepsTheField) {
    Identity id;
    EXPECT_FALSE(id.isActivation());
    const LayerCost c = id.cost({{1, 3, 4, 4}}, {1, 3, 4, 4});
    EXPECT_EQ(c.activations + c.multiplications + c.elementwise + c.poolOps + c.normOps, 0);
    EXPECT_EQ(id.fieldRule({1, 3, 4, 4}).kind, FieldRule::Kind::Same);
}

TEST(Identity, ModelFileRoundTrip) {
    const nlohmann::json node = test::expectModelRoundTrip(R"({"type": "Identity"})");
    EXPECT_EQ(node.at("type"), "Identity");
    EXPECT_EQ(node.at("name"), "id1");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "type"}));
    test::expectUnknownKeyRefused("Identity");
}

}  // namespace ll
