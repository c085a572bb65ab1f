#include <set>

#include "core/layers/concat.h"
#include "core/model_file.h"
#include "support/check.h"

namespace ll {

namespace {

// Four kinds of branch: a 1×1 conv, two stacked convs, the identity and a max-pool.
const char* kModule = R"({
  "name": "module", "input": [3, 6, 6],
  "layers": [
    {"type": "Concat", "name": "mix", "branches": [
      {"name": "one", "layers": [{"type": "Conv2d", "out": 4, "kernel": 1}, {"type": "Tanh"}]},
      {"name": "two", "layers": [{"type": "Conv2d", "out": 2, "kernel": 3, "padding": "same"},
                                 {"type": "Conv2d", "out": 3, "kernel": 1}]},
      [],
      {"name": "pool", "layers": [{"type": "MaxPool2d", "kernel": 3, "stride": 1, "padding": 1}]}
    ]}
  ]
})";

}  // namespace

TEST(Concat, GradientsThroughEveryKindOfBranch) {
    Net net = buildNet(kModule);
    Layer& mix = net.layer(0);
    ASSERT_EQ(mix.numBranches(), 4);
    EXPECT_EQ(net.outputSample(), Shape({1, 4 + 3 + 3 + 3, 6, 6}));
    test::expectGradientsMatch(mix, {2, 3, 6, 6});
    test::expectGradientsMatch(mix, {1, 3, 6, 6});
}

TEST(Concat, OutputIsTheBranchOutputsSideBySide) {
    Net net = buildNet(kModule);
    net.resetParameters(3);
    Tensor x({2, 3, 6, 6});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = static_cast<float>((i * 37) % 19) / 19.0f - 0.5f;
    const Tensor& y = net.forward(x, Mode::Eval);
    Layer& mix = net.layer(0);
    const Tensor& one = mix.branch(0).output();
    const Tensor& two = mix.branch(1).output();
    // Sample 1: channels 0-3 from branch one, 4-6 from branch two, 7-9 the input itself.
    const int HW = 36, n = 1, C = 13;
    for (int p = 0; p < HW; ++p) {
        EXPECT_EQ(y[(n * C + 2) * HW + p], one[(n * 4 + 2) * HW + p]);
        EXPECT_EQ(y[(n * C + 6) * HW + p], two[(n * 3 + 2) * HW + p]);
        EXPECT_EQ(y[(n * C + 8) * HW + p], x[(n * 3 + 1) * HW + p]);
    }
}

TEST(Concat, ParametersAreNamedByBranch) {
    Net net = loadModel("inception-bottleneck");
    std::set<std::string> names;
    for (const NamedParam& p : net.namedParams())
        names.insert(p.name);
    EXPECT_EQ(names.size(), net.namedParams().size()) << "names must be unique";
    EXPECT_TRUE(names.count("inception.b3x3.reduce.weight"));
    EXPECT_TRUE(names.count("inception.b5x5.conv2.bias"));  // "reduce" is the first conv
    EXPECT_TRUE(names.count("inception.bpool.proj.weight"));
}

TEST(Concat, PresetParameterCounts) {
    // 1×1: 256·128+128; 3×3: 256·9·192+192; 5×5: 256·25·96+96; the pool branch has none.
    Net naive = loadModel("inception-naive");
    EXPECT_EQ(naive.numParams(), 32896 + 442560 + 614496);
    EXPECT_EQ(naive.outputSample(), Shape({1, 128 + 192 + 96 + 256, 32, 32}));
    Net bottleneck = loadModel("inception-bottleneck");
    EXPECT_EQ(bottleneck.numParams(),
              32896 + (16448 + 110784) + (16448 + 153696) + 16448);  // 346,720
    EXPECT_EQ(bottleneck.outputSample(), Shape({1, 480, 32, 32}));
    EXPECT_EQ(loadModel("alexnet").numParams(), 61100840);  // torchvision's AlexNet
}

TEST(Concat, MisalignedBranchesAreAClearError) {
    const char* bad = R"({"input": [3, 8, 8], "layers": [
      {"type": "Concat", "name": "m", "branches": [
        {"name": "same", "layers": [{"type": "Conv2d", "out": 2, "kernel": 3, "padding": 1}]},
        {"name": "valid", "layers": [{"type": "Conv2d", "out": 2, "kernel": 3}]}]}]})";
    try {
        buildNet(bad, nullptr, "bad.json");
        FAIL() << "misaligned branches accepted";
    } catch (const ModelError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("bad.json: layer 0 'm' (Concat)"), std::string::npos) << m;
        EXPECT_NE(m.find("not aligned"), std::string::npos) << m;
        EXPECT_NE(m.find("'same' gives (2, 8, 8)"), std::string::npos) << m;
        EXPECT_NE(m.find("'valid' gives (2, 6, 6)"), std::string::npos) << m;
    }
    const char* inner = R"({"input": [3, 8, 8], "layers": [
      {"type": "Concat", "name": "m", "branches": [[{"type": "Linear", "out": 2}]]}]})";
    try {
        buildNet(inner, nullptr, "inner.json");
        FAIL() << "a layer that does not fit inside a branch was accepted";
    } catch (const ModelError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("branch 'b1'"), std::string::npos) << m;
        EXPECT_NE(m.find("Linear"), std::string::npos) << m;
    }
    EXPECT_THROW(buildNet(R"({"input": [3, 8, 8], "layers": [{"type": "Concat"}]})"), ModelError);
}

}  // namespace ll
