#include "support/check.h"

#include <array>

#include "core/analysis/cost.h"
#include "core/layers/adaptive_avg_pool2d.h"
#include "core/layers/avg_pool2d.h"
#include "support/round_trip.h"

namespace ll {

namespace {
Tensor ramp(const Shape& s) {
    Tensor t(s);
    for (std::int64_t i = 0; i < t.numel(); ++i)
        t[i] = static_cast<float>(i);
    return t;
}

void expectNear(const Tensor& got, const std::vector<float>& want) {
    ASSERT_EQ(got.numel(), static_cast<std::int64_t>(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(got[static_cast<std::int64_t>(i)], want[i], 1e-5f) << "at " << i;
}

const CostRow& row(const CostTable& t, const std::string& name) {
    for (const CostRow& r : t.rows)
        if (r.name == name) return r;
    throw std::runtime_error("no row " + name);
}
}  // namespace

TEST(AdaptiveAvgPool2d, GoldenAgainstPyTorch) {
    // torch 1.13: F.adaptive_avg_pool2d(arange(35).reshape(1,1,5,7), (3, 4)). Row bins of 5 → 3:
    // [0, 2), [1, 4), [3, 5); column bins of 7 → 4: [0, 2), [1, 4), [3, 6), [5, 7) — neighbours
    // share a row or column.
    AdaptiveAvgPool2d pool(3, 4);
    const Tensor x = ramp({1, 1, 5, 7});
    Tensor y, dx;
    pool.forward(x, y, Mode::Train);
    ASSERT_EQ(y.shape(), Shape({1, 1, 3, 4}));
    expectNear(y, {4, 5.5f, 7.5f, 9, 14.5f, 16, 18, 19.5f, 25, 26.5f, 28.5f, 30});
    // By hand: y[0][0] = mean(x[0..1][0..1]) = (0 + 1 + 7 + 8)/4; y[1][1] = mean of rows 1-3,
    // columns 1-3 = the centre x[2][2] = 16.
    EXPECT_EQ(y[0], 4.0f);
    EXPECT_FLOAT_EQ(y[5], 16.0f);
    // Backward with dy = arange(1, 13).reshape(3, 4) (torch: x.grad).
    pool.backward(x, y, Tensor({1, 1, 3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), &dx);
    expectNear(dx,
               {0.25f,      0.5833334f, 0.3333333f, 0.8333334f, 0.5f,       1.5f,      1,
                1.083333f,  2.083333f,  1,          2.277778f,  1.277778f,  3.611111f, 2.333333f,
                0.8333333f, 1.5f,       0.6666667f, 1.444444f,  0.7777777f, 2.111111f, 1.333333f,
                3.083333f,  5.416667f,  2.333333f,  4.944445f,  2.611111f,  6.944445f, 4.333333f,
                2.25f,      3.916667f,  1.666667f,  3.5f,       1.833333f,  4.833333f, 3});
    // torch: F.adaptive_avg_pool2d(arange(9).reshape(1,1,3,3), (5, 2)): more rows out than in.
    AdaptiveAvgPool2d up(5, 2);
    up.forward(ramp({1, 1, 3, 3}), y, Mode::Eval);
    expectNear(y, {0.5f, 1.5f, 2, 3, 3.5f, 4.5f, 5, 6, 6.5f, 7.5f});
}

TEST(AdaptiveAvgPool2d, UniformBinsAreAnAveragePoolingWindow) {
    AdaptiveAvgPool2d adaptive(2, 3);
    AvgPool2d avg({2, 2, 2, 2, 0, 0});
    Rng rng(4);
    Tensor x({2, 3, 4, 6});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.normal();
    Tensor ya, yb;
    adaptive.forward(x, ya, Mode::Eval);
    avg.forward(x, yb, Mode::Eval);
    ASSERT_EQ(ya.shape(), yb.shape());
    for (std::int64_t i = 0; i < ya.numel(); ++i)
        EXPECT_FLOAT_EQ(ya[i], yb[i]);
    const FieldRule r = adaptive.fieldRule({1, 3, 4, 6});
    EXPECT_EQ(r.kind, FieldRule::Kind::Window);
    EXPECT_EQ((std::array<int, 6>{r.kh, r.kw, r.sh, r.sw, r.ph, r.pw}),
              (std::array<int, 6>{2, 2, 2, 2, 0, 0}));
    // 5 rows into 3 bins: no single window; every unit is said to see the whole map.
    EXPECT_EQ(AdaptiveAvgPool2d(3, 4).fieldRule({1, 1, 5, 7}).kind, FieldRule::Kind::Whole);
    EXPECT_EQ(AdaptiveAvgPool2d(3, 4).fieldRule({1, 1, 6, 7}).kind, FieldRule::Kind::Whole);
}

TEST(AdaptiveAvgPool2d, CostAndReceptiveFieldInTheTable) {
    const CostTable t = computeCosts(buildNet(R"({"input": [3, 8, 8], "layers": [
        {"type": "AdaptiveAvgPool2d", "name": "uniform", "output": 4},
        {"type": "AdaptiveAvgPool2d", "name": "odd", "output": [3, 2]}]})"));
    // uniform: 3·4·4 outputs of 2×2 bins: 4 operations each (3 additions, 1 division).
    EXPECT_EQ(row(t, "uniform").cost.poolOps, 3 * 16 * 4);
    EXPECT_EQ(row(t, "uniform").outputShape, Shape({3, 4, 4}));
    EXPECT_EQ(row(t, "uniform").rf.size, (std::array<int, 2>{2, 2}));
    EXPECT_EQ(row(t, "uniform").rf.jump, (std::array<int, 2>{2, 2}));
    EXPECT_EQ(row(t, "uniform").rf.start, (std::array<int, 2>{0, 0}));
    // odd: 4 rows into 3 bins [0, 2), [1, 3), [2, 4) (sizes 2 + 2 + 2), 4 columns into 2 bins of
    // 2: per channel (2 + 2 + 2)·(2 + 2) = 24 operations.
    EXPECT_EQ(row(t, "odd").cost.poolOps, 3 * 24);
    EXPECT_EQ(row(t, "odd").outputShape, Shape({3, 3, 2}));
    // The whole 4×4 input, on the fields of 2 pixels 2 apart: 2 + 3·2 = 8 pixels from 0.
    EXPECT_EQ(row(t, "odd").rf.size, (std::array<int, 2>{8, 8}));
    EXPECT_NE(row(t, "odd").rf.note.find("whole input"), std::string::npos);
    EXPECT_EQ(row(t, "odd").cost.flops, 0);
}

TEST(AdaptiveAvgPool2d, Gradients) {
    AdaptiveAvgPool2d a(3, 4);
    test::expectGradientsMatch(a, {2, 2, 5, 7});
    AdaptiveAvgPool2d b(5, 2);
    test::expectGradientsMatch(b, {1, 2, 3, 3});
    AdaptiveAvgPool2d c(1, 1);
    test::expectGradientsMatch(c, {2, 3, 4, 4});
}

TEST(AdaptiveAvgPool2d, ModelFileAndBadValues) {
    const nlohmann::json w = test::expectRoundTrip(R"({"input": [2, 9, 7], "layers": [
        {"type": "AdaptiveAvgPool2d", "output": [3, 4]},
        {"type": "AdaptiveAvgPool2d", "output": 2}]})");
    EXPECT_EQ(w[0]["output"], nlohmann::json::parse("[3, 4]"));
    EXPECT_EQ(w[1]["output"], 2);
    EXPECT_EQ(w[0]["name"], "pool1");  // the registry's prefix
    EXPECT_EQ(namePrefix("AdaptiveAvgPool2d"), "pool");
    std::string e = test::modelErrorOf(R"({"input": [1, 5, 5], "layers": [
        {"type": "AdaptiveAvgPool2d", "name": "ap", "output": 0}]})");
    EXPECT_NE(e.find("layer 0 'ap' (AdaptiveAvgPool2d)"), std::string::npos) << e;
    EXPECT_NE(e.find("output size must be positive, got 0×0"), std::string::npos) << e;
    e = test::modelErrorOf(R"({"input": [1, 5, 5], "layers": [
        {"type": "AdaptiveAvgPool2d", "name": "ap"}]})");
    EXPECT_NE(e.find("needs \"output\""), std::string::npos) << e;
    e = test::modelErrorOf(R"({"input": [1, 5, 5], "layers": [
        {"type": "AdaptiveAvgPool2d", "name": "ap", "output": 2, "kernel": 2}]})");
    EXPECT_NE(e.find("unknown key \"kernel\""), std::string::npos) << e;
    e = test::modelErrorOf(R"({"input": [5], "layers": [
        {"type": "AdaptiveAvgPool2d", "name": "ap", "output": 2}]})");
    EXPECT_NE(e.find("'ap'"), std::string::npos) << e;
}

}  // namespace ll
