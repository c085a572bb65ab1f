// ONNX import: models built here with ONNX's C++ API, one operator (or attribute combination) at
// a time, run through loadModel and compared with values computed by hand or by a direct
// reference in the test; and the refusals, each with its message.
#include "support/check.h"
#include "support/onnx_builder.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/analysis/cost.h"
#include "core/model_file.h"
#include "core/onnx/onnx_import.h"

namespace ll {
namespace {

using test::OnnxBuilder;

std::vector<float> run(const std::string& path, const Tensor& x, Net* out = nullptr) {
    Net net = loadModel(path);
    std::vector<float> y = net.forward(x, Mode::Eval).values();
    if (out) *out = std::move(net);
    return y;
}

std::vector<float> iota(int n, float start = 1.0f) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        v[static_cast<std::size_t>(i)] = start + static_cast<float>(i);
    return v;
}

void expectNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

// A message check: the import fails with `E` and its message holds every fragment.
template <typename E>
void expectRefused(const std::string& path, std::initializer_list<const char*> fragments) {
    try {
        loadModel(path);
        ADD_FAILURE() << "no error for " << path;
    } catch (const E& e) {
        for (const char* f : fragments)
            EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
                << "'" << f << "' missing from: " << e.what();
    }
}

// Direct 2-D convolution of one sample, the definition (no im2col), for reference.
std::vector<float> directConv(const std::vector<float>& x, int C, int H, int W,
                              const std::vector<float>& w, const std::vector<float>& b, int M,
                              int kh, int kw, int groups, int sh, int sw, int dh, int dw, int pt,
                              int pl, int pb, int pr) {
    const int OH = (H + pt + pb - ((kh - 1) * dh + 1)) / sh + 1;
    const int OW = (W + pl + pr - ((kw - 1) * dw + 1)) / sw + 1;
    const int cg = C / groups, mg = M / groups;
    std::vector<float> y(static_cast<std::size_t>(M * OH * OW));
    for (int m = 0; m < M; ++m)
        for (int oy = 0; oy < OH; ++oy)
            for (int ox = 0; ox < OW; ++ox) {
                double s = b.empty() ? 0.0 : b[static_cast<std::size_t>(m)];
                const int g = m / mg;
                for (int c = 0; c < cg; ++c)
                    for (int i = 0; i < kh; ++i)
                        for (int j = 0; j < kw; ++j) {
                            const int iy = oy * sh - pt + i * dh, ix = ox * sw - pl + j * dw;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            s +=
                                double(
                                    w[static_cast<std::size_t>(((m * cg + c) * kh + i) * kw + j)]) *
                                x[static_cast<std::size_t>(((g * cg + c) * H + iy) * W + ix)];
                        }
                y[static_cast<std::size_t>((m * OH + oy) * OW + ox)] = static_cast<float>(s);
            }
    return y;
}

TEST(OnnxImport, ConvWithBiasGivesHandComputedValues) {
    OnnxBuilder b({1, 1, 3, 3});
    b.init("w", {1, 1, 2, 2}, {1, 2, 3, 4});
    b.init("b", {1}, {0.5f});
    b.node("Conv", {"x", "w", "b"}, {"y"}, "conv_a");
    b.output("y");
    Net net;
    const auto y = run(b.save(), Tensor({1, 1, 3, 3}, iota(9)), &net);
    // (0,0): 1·1 + 2·2 + 3·4 + 4·5 = 37, plus the bias; then each step adds 1+2+3+4 = 10 per
    // column and 3·10 per row.
    EXPECT_EQ(y, (std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f}));
    ASSERT_EQ(net.size(), 1);
    EXPECT_EQ(net.layer(0).name(), "conv_a");  // the ONNX node's name is kept
    EXPECT_TRUE(net.pretrained());
    EXPECT_EQ(net.numParams(), 5);
}

TEST(OnnxImport, ConvGroupsDilationStridesAndPadsMatchTheDefinition) {
    struct Case {
        int groups, sh, sw, dh, dw;
        std::vector<std::int64_t> pads;
        const char* autoPad;
    };
    const int C = 4, H = 7, W = 6, M = 8, kh = 3, kw = 2;
    for (const Case& k :
         {Case{1, 1, 1, 1, 1, {1, 1, 1, 1}, nullptr}, Case{2, 2, 1, 2, 1, {0, 1, 2, 0}, nullptr},
          Case{4, 1, 2, 1, 2, {2, 0, 1, 1}, nullptr}, Case{1, 2, 2, 1, 1, {}, "SAME_UPPER"},
          Case{2, 2, 2, 1, 1, {}, "SAME_LOWER"}, Case{1, 1, 1, 2, 2, {}, "VALID"}}) {
        SCOPED_TRACE(testing::Message()
                     << "groups " << k.groups << " stride " << k.sh << "," << k.sw << " dilation "
                     << k.dh << "," << k.dw << " " << (k.autoPad ? k.autoPad : "explicit pads"));
        OnnxBuilder b({1, C, H, W});
        Rng rng(7);
        std::vector<float> w(static_cast<std::size_t>(M * (C / k.groups) * kh * kw)), bias(M);
        for (float& v : w)
            v = rng.uniform(-1, 1);
        for (float& v : bias)
            v = rng.uniform(-1, 1);
        b.init("w", {M, C / k.groups, kh, kw}, w);
        b.init("b", {M}, bias);
        auto& n = b.node("Conv", {"x", "w", "b"}, {"y"});
        OnnxBuilder::i(n, "group", k.groups);
        OnnxBuilder::ints(n, "strides", {k.sh, k.sw});
        OnnxBuilder::ints(n, "dilations", {k.dh, k.dw});
        if (k.autoPad)
            OnnxBuilder::s(n, "auto_pad", k.autoPad);
        else
            OnnxBuilder::ints(n, "pads", k.pads);
        b.output("y");
        std::vector<float> x(C * H * W);
        for (float& v : x)
            v = rng.uniform(-1, 1);
        // The padding auto_pad means (ONNX's definition), for the reference.
        std::vector<int> p(4, 0);
        if (k.autoPad && std::string(k.autoPad) != "VALID") {
            const int sizes[2] = {H, W}, s[2] = {k.sh, k.sw}, d[2] = {k.dh, k.dw}, kk[2] = {kh, kw};
            for (int a = 0; a < 2; ++a) {
                const int out = (sizes[a] + s[a] - 1) / s[a];
                const int total = std::max(0, (out - 1) * s[a] + (kk[a] - 1) * d[a] + 1 - sizes[a]);
                const bool upper = std::string(k.autoPad) == "SAME_UPPER";
                p[a] = upper ? total / 2 : total - total / 2;
                p[a + 2] = total - p[a];
            }
        } else if (!k.autoPad) {
            for (int i = 0; i < 4; ++i)
                p[i] = static_cast<int>(k.pads[i]);
        }
        const auto want = directConv(x, C, H, W, w, bias, M, kh, kw, k.groups, k.sh, k.sw, k.dh,
                                     k.dw, p[0], p[1], p[2], p[3]);
        expectNear(run(b.save(), Tensor({1, C, H, W}, x)), want, 1e-5f);
    }
}

TEST(OnnxImport, GemmTransposesScalesAndBroadcasts) {
    const Tensor x({1, 3}, {1, 2, 3});
    for (int transB : {0, 1}) {
        OnnxBuilder b({0, 3});
        if (transB)
            b.init("B", {2, 3}, {1, 0, -1, 2, 1, 0});
        else
            b.init("B", {3, 2}, {1, 2, 0, 1, -1, 0});
        b.init("C", {2}, {0.5f, -1});
        auto& n = b.node("Gemm", {"x", "B", "C"}, {"y"}, "fc");
        OnnxBuilder::i(n, "transB", transB);
        OnnxBuilder::f(n, "alpha", 2);
        OnnxBuilder::f(n, "beta", 3);
        b.output("y");
        // y0 = 2·(1 − 3) + 3·0.5, y1 = 2·(2 + 2) − 3.
        EXPECT_EQ(run(b.save(), x), (std::vector<float>{-2.5f, 5.0f})) << "transB " << transB;
    }
    OnnxBuilder b({1, 3});
    b.init("B", {2, 3}, {1, 0, -1, 2, 1, 0});
    b.init("C", {1}, {1});
    OnnxBuilder::i(b.node("Gemm", {"x", "B", "C"}, {"y"}), "transB", 1);
    b.output("y");
    EXPECT_EQ(run(b.save(), x), (std::vector<float>{-1.0f, 5.0f}));  // a scalar C broadcast
}

TEST(OnnxImport, MatMulThenAddIsOneLinearLayer) {
    OnnxBuilder b({1, 3});
    b.init("B", {3, 2}, {1, 2, 0, 1, -1, 0});
    b.init("bias", {2}, {0.5f, -1});
    b.node("MatMul", {"x", "B"}, {"h"}, "mm");
    b.node("Add", {"h", "bias"}, {"y"}, "add");
    b.output("y");
    Net net;
    EXPECT_EQ(run(b.save(), Tensor({1, 3}, {1, 2, 3}), &net), (std::vector<float>{-1.5f, 3.0f}));
    ASSERT_EQ(net.size(), 1);
    EXPECT_STREQ(net.layer(0).type(), "Linear");
}

TEST(OnnxImport, BatchNormalizationUsesTheRunningStatistics) {
    OnnxBuilder b({1, 2, 1, 2});
    b.init("scale", {2}, {2, 1});
    b.init("B", {2}, {0, 1});
    b.init("mean", {2}, {1, 4});
    b.init("var", {2}, {3, 0.25f});
    auto& n = b.node("BatchNormalization", {"x", "scale", "B", "mean", "var"}, {"y"}, "bn");
    OnnxBuilder::f(n, "epsilon", 1.0f);
    OnnxBuilder::f(n, "momentum", 0.8f);
    b.output("y");
    Net net;
    const auto y = run(b.save(), Tensor({1, 2, 1, 2}, {1, 2, 3, 5}), &net);
    const float s1 = 1.0f / std::sqrt(1.25f);
    expectNear(y, {0, 1, 1 - s1, 1 + s1});
    // ONNX's momentum 0.8 keeps 80% of the running value: PyTorch's (and our) momentum 0.2.
    EXPECT_NE(net.modelJson().find("\"momentum\": 0.2"), std::string::npos) << net.modelJson();
}

TEST(OnnxImport, ActivationsFollowTheirDefinitions) {
    const std::vector<float> x = {-4, -1, 0, 0.5f, 3, 7};
    struct Op {
        const char* op;
        std::function<float(float)> f;
        std::function<void(OnnxBuilder&, onnx::NodeProto&)> setup;
    };
    const auto none = [](OnnxBuilder&, onnx::NodeProto&) {};
    const std::vector<Op> ops = {
        {"Relu", [](float v) { return std::max(v, 0.0f); }, none},
        {"Sigmoid", [](float v) { return 1 / (1 + std::exp(-v)); }, none},
        {"Tanh", [](float v) { return std::tanh(v); }, none},
        {"LeakyRelu", [](float v) { return v > 0 ? v : 0.1f * v; },
         [](OnnxBuilder&, onnx::NodeProto& n) { OnnxBuilder::f(n, "alpha", 0.1f); }},
        {"HardSigmoid", [](float v) { return std::clamp(v / 6 + 0.5f, 0.0f, 1.0f); },
         [](OnnxBuilder&, onnx::NodeProto& n) {
             OnnxBuilder::f(n, "alpha", 1.0f / 6);
             OnnxBuilder::f(n, "beta", 0.5f);
         }},
        {"HardSwish", [](float v) { return v * std::clamp(v / 6 + 0.5f, 0.0f, 1.0f); }, none},
        {"Clip", [](float v) { return std::clamp(v, 0.0f, 6.0f); },
         [](OnnxBuilder& b, onnx::NodeProto& n) {
             b.init("lo", {}, {0});
             b.init("hi", {}, {6});
             n.add_input("lo");
             n.add_input("hi");
         }},
        {"Clip", [](float v) { return std::max(v, 0.0f); },  // no maximum: a ReLU
         [](OnnxBuilder& b, onnx::NodeProto& n) {
             b.init("lo", {}, {0});
             n.add_input("lo");
         }},
    };
    for (const Op& op : ops) {
        SCOPED_TRACE(op.op);
        OnnxBuilder b({1, 6}, op.op == std::string("HardSwish") ? 14 : 13);
        auto& n = b.node(op.op, {"x"}, {"y"});
        op.setup(b, n);
        b.output("y");
        std::vector<float> want;
        for (float v : x)
            want.push_back(op.f(v));
        expectNear(run(b.save(), Tensor({1, 6}, x)), want, 1e-6f);
    }
    // Opset 9's Clip has attributes.
    OnnxBuilder b({1, 6}, 9);
    auto& n = b.node("Clip", {"x"}, {"y"});
    OnnxBuilder::f(n, "min", 0);
    OnnxBuilder::f(n, "max", 6);
    b.output("y");
    Net net;
    EXPECT_EQ(run(b.save(), Tensor({1, 6}, x), &net), (std::vector<float>{0, 0, 0, 0.5f, 3, 6}));
    EXPECT_STREQ(net.layer(0).type(), "ReLU6");
}

TEST(OnnxImport, PoolingWithCeilModePadsAndCountIncludePad) {
    const Tensor x({1, 1, 4, 4}, iota(16));
    {
        OnnxBuilder b({1, 1, 4, 4});
        auto& n = b.node("MaxPool", {"x"}, {"y"});
        OnnxBuilder::ints(n, "kernel_shape", {3, 3});
        OnnxBuilder::ints(n, "strides", {2, 2});
        OnnxBuilder::ints(n, "pads", {1, 1, 1, 1});
        OnnxBuilder::i(n, "ceil_mode", 1);
        b.output("y");
        // Windows cover rows [0,1], [1,3], [3,3] (and the same columns): the maximum is at the
        // last row and column of each, value 4·row + col + 1.
        EXPECT_EQ(run(b.save(), x), (std::vector<float>{6, 8, 8, 14, 16, 16, 14, 16, 16}));
    }
    for (int include : {0, 1}) {
        OnnxBuilder b({1, 1, 4, 4});
        auto& n = b.node("AveragePool", {"x"}, {"y"});
        OnnxBuilder::ints(n, "kernel_shape", {2, 2});
        OnnxBuilder::ints(n, "strides", {2, 2});
        OnnxBuilder::ints(n, "pads", {1, 1, 1, 1});
        OnnxBuilder::i(n, "count_include_pad", include);
        b.output("y");
        const std::vector<float> want =
            include ? std::vector<float>{0.25f, 1.25f, 1, 3.5f, 8.5f, 5, 3.25f, 7.25f, 4}
                    : std::vector<float>{1, 2.5f, 4, 7, 8.5f, 10, 13, 14.5f, 16};
        EXPECT_EQ(run(b.save(), x), want) << "count_include_pad " << include;
    }
}

TEST(OnnxImport, GraphOperatorsAddSumMulGateConcatAndGlobalPool) {
    OnnxBuilder b({1, 2, 1, 2});
    b.node("Relu", {"x"}, {"r"});
    b.node("Sum", {"x", "r", "r"}, {"s"});
    b.node("GlobalAveragePool", {"s"}, {"g"});
    b.node("Mul", {"g", "s"}, {"m"});  // the gate first: LayerLens' Mul takes it second
    OnnxBuilder::i(b.node("Concat", {"m", "x"}, {"c"}), "axis", 1);
    b.node("Add", {"c", "c"}, {"d"});
    b.node("Flatten", {"d"}, {"y"});
    b.output("y");
    // x = [-1, 2 | 3, -4]; r = relu x; s = x + 2r = [-1, 6 | 9, -4]; g = [2.5 | 2.5];
    // m = g·s; c = [m; x]; d = 2c.
    EXPECT_EQ(run(b.save(), Tensor({1, 2, 1, 2}, {-1, 2, 3, -4})),
              (std::vector<float>{-5, 30, 45, -20, -2, 4, 6, -8}));
}

TEST(OnnxImport, ReshapeToFlatThroughShapeArithmeticOrAConstant) {
    const Tensor x({1, 2, 2, 2}, iota(8));
    {
        // x.view(x.size(0), -1) without constant folding.
        OnnxBuilder b({0, 2, 2, 2});
        b.initInts("zero", {0});
        b.initInts("minus1", {-1});
        b.node("Shape", {"x"}, {"shape"});
        OnnxBuilder::i(b.node("Gather", {"shape", "zero"}, {"n"}), "axis", 0);
        OnnxBuilder::i(b.node("Concat", {"n", "minus1"}, {"target"}), "axis", 0);
        b.node("Reshape", {"x", "target"}, {"y"});
        b.output("y");
        Net net;
        EXPECT_EQ(run(b.save(), x, &net), iota(8));
        ASSERT_EQ(net.size(), 1);
        EXPECT_STREQ(net.layer(0).type(), "Flatten");
    }
    for (const std::vector<std::int64_t>& target :
         {std::vector<std::int64_t>{1, -1}, {-1, 8}, {0, 8}}) {
        OnnxBuilder b({1, 2, 2, 2});
        b.initInts("t", target);
        b.node("Reshape", {"x", "t"}, {"y"});
        b.output("y");
        EXPECT_EQ(run(b.save(), x), iota(8));
    }
}

TEST(OnnxImport, SoftmaxDropoutAndIdentity) {
    OnnxBuilder b({1, 3});
    b.node("Identity", {"x"}, {"i"});
    b.node("Dropout", {"i"}, {"d"});
    b.node("Softmax", {"d"}, {"y"});
    b.output("y");
    Net net;
    expectNear(run(b.save(), Tensor({1, 3}, {0, std::log(2.0f), std::log(3.0f)}), &net),
               {1.0f / 6, 2.0f / 6, 3.0f / 6}, 1e-6f);
    ASSERT_EQ(net.size(), 2);  // Identity is an alias
    EXPECT_STREQ(net.layer(0).type(), "Dropout");
}

TEST(OnnxImport, PadWithZerosAndLrnWithOnnxsWindow) {
    {
        OnnxBuilder b({1, 1, 2, 2});
        b.initInts("pads", {0, 0, 1, 0, 0, 0, 0, 2});  // top 1, right 2
        b.node("Pad", {"x", "pads"}, {"y"});
        b.output("y");
        EXPECT_EQ(run(b.save(), Tensor({1, 1, 2, 2}, {1, 2, 3, 4})),
                  (std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}));
    }
    {
        OnnxBuilder b({1, 4, 1, 1});
        auto& n = b.node("LRN", {"x"}, {"y"});
        OnnxBuilder::i(n, "size", 2);
        OnnxBuilder::f(n, "alpha", 2);  // alpha / size = 1
        OnnxBuilder::f(n, "beta", 1);
        OnnxBuilder::f(n, "bias", 1);
        b.output("y");
        // ONNX's window of an even size covers channels c and c + 1: d = 1 + x_c² + x_{c+1}².
        expectNear(run(b.save(), Tensor({1, 4, 1, 1}, {1, 2, 3, 4})),
                   {1.0f / 6, 2.0f / 14, 3.0f / 26, 4.0f / 17}, 1e-6f);
    }
}

TEST(OnnxImport, OnlyTheNodesTheOutputNeedsAreKept) {
    OnnxBuilder b({1, 3});
    b.node("Sigmoid", {"x"}, {"unused"});
    b.node("Relu", {"x"}, {"y"});
    b.output("y");
    Net net;
    run(b.save(), Tensor({1, 3}, {1, 2, 3}), &net);
    EXPECT_EQ(net.size(), 1);
}

TEST(OnnxImport, NamesAreKeptAndMadeUnique) {
    OnnxBuilder b({1, 3}, 13, "input");  // PyTorch often names the input "input"
    b.node("Relu", {"input"}, {"input.1"});
    b.node("Relu", {"input.1"}, {"a"}, "input");  // a node named like the net's input
    b.node("Relu", {"a"}, {"y"}, "input");        // and twice
    b.output("y");
    Net net;
    run(b.save(), Tensor({1, 3}, {1, 2, 3}), &net);
    ASSERT_EQ(net.size(), 3);
    EXPECT_EQ(net.layer(0).name(), "input.1");  // no node name: the output's
    EXPECT_EQ(net.layer(1).name(), "input_node");
    EXPECT_EQ(net.layer(2).name(), "input_node_2");
}

// Names are bytes in protobuf but UTF-8 in the model document: invalid bytes become U+FFFD
// (found by fuzz_onnx: the document's dump threw).
TEST(OnnxImport, NamesThatAreNotUtf8AreRepaired) {
    OnnxBuilder b({1, 3});
    b.node("Relu", {"x"}, {"y"}, "bad\xff\xfename");
    b.output("y");
    b.model().set_producer_name("\xc3");
    Net net;
    run(b.save(), Tensor({1, 3}, {1, -2, 3}), &net);
    EXPECT_EQ(net.layer(0).name(), "bad\xef\xbf\xbd\xef\xbf\xbdname");
}

// A small CNN trained elsewhere: loads with its weights, keeps them through resetParameters,
// back-propagates (gradient check of the whole imported net) and has a cost table.
void smallCnn(OnnxBuilder& b) {
    Rng rng(3);
    auto rnd = [&](int n) {
        std::vector<float> v(static_cast<std::size_t>(n));
        for (float& f : v)
            f = rng.uniform(-0.5f, 0.5f);
        return v;
    };
    b.init("conv.w", {3, 1, 3, 3}, rnd(27));
    b.init("conv.b", {3}, rnd(3));
    b.init("fc.w", {4, 12}, rnd(48), true);  // typed float_data, as some exporters write
    b.init("fc.b", {4}, rnd(4));
    OnnxBuilder::ints(b.node("Conv", {"x", "conv.w", "conv.b"}, {"c"}, "conv"), "pads",
                      {1, 1, 1, 1});
    b.node("Tanh", {"c"}, {"t"}, "tanh");
    auto& p = b.node("MaxPool", {"t"}, {"p"}, "pool");
    OnnxBuilder::ints(p, "kernel_shape", {2, 2});
    OnnxBuilder::ints(p, "strides", {2, 2});
    b.node("Flatten", {"p"}, {"f"}, "flatten");
    OnnxBuilder::i(b.node("Gemm", {"f", "fc.w", "fc.b"}, {"y"}, "fc"), "transB", 1);
    b.output("y");
}

TEST(OnnxImport, ImportedNetKeepsItsWeightsTrainsAndHasACostTable) {
    OnnxBuilder b({0, 1, 4, 4});
    smallCnn(b);
    const std::string path = b.save();
    ModelSpec spec;
    Net net = loadModel(path, &spec);
    EXPECT_EQ(spec.name, "ll_onnx_OnnxImport_ImportedNetKeepsItsWeightsTrainsAndHasACostTable");
    EXPECT_NE(spec.description.find("layerlens-tests"), std::string::npos);
    Tensor x({2, 1, 4, 4});
    Rng rng(1);
    for (float& v : x.vector())
        v = rng.uniform(-1, 1);
    const std::vector<float> before = net.forward(x, Mode::Eval).values();
    net.resetParameters(42);  // "start training": a pretrained net keeps its weights
    EXPECT_EQ(net.forward(x, Mode::Eval).values(), before);

    Tensor target({2}, {1, 3});
    SoftmaxCrossEntropy ce;
    GradCheckOptions o;
    o.randomizeParams = false;  // at the imported weights
    o.eps = 1e-3;  // 1e-2 moves some max-pooling maxima across their windows' kinks here
    const GradCheckResult r = checkNetGradients(net, ce, x, target, o);
    EXPECT_TRUE(r.passed(o.tolerance)) << r.str();

    const CostTable costs = computeCosts(loadModel(path, nullptr, Build::ShapesOnly));
    EXPECT_EQ(costs.totals.params(), 3 * 9 + 3 + 48 + 4);
}

TEST(OnnxImport, ExternalDataIsReadFromBesideTheFile) {
    OnnxBuilder b({1, 2});
    const std::string dir = ::testing::TempDir() + "/ll_onnx_external";
    std::filesystem::create_directories(dir);
    const std::vector<float> w = {9, 9, 1, 2, -1, 3};  // the weight is at offset 8
    {
        std::ofstream out(dir + "/weights.bin", std::ios::binary);
        out.write(reinterpret_cast<const char*>(w.data()), 24);
    }
    auto& t = b.init("w", {2, 2}, {});
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto kv = [&](const char* k, const char* v) {
        auto* e = t.add_external_data();
        e->set_key(k);
        e->set_value(v);
    };
    kv("location", "weights.bin");
    kv("offset", "8");
    kv("length", "16");
    b.node("MatMul", {"x", "w"}, {"y"});
    b.output("y");
    const std::string path = dir + "/model.onnx";
    {
        std::ofstream out(path, std::ios::binary);
        b.model().SerializeToOstream(&out);
    }
    // x·W with W = [[1, 2], [-1, 3]].
    EXPECT_EQ(run(path, Tensor({1, 2}, {1, 1})), (std::vector<float>{0, 5}));

    std::filesystem::resize_file(dir + "/weights.bin", 20);  // cut off
    expectRefused<DataError>(path, {"external data of tensor 'w'"});
    std::filesystem::remove(dir + "/weights.bin");
    expectRefused<DataError>(path, {"tensor 'w'", "cannot open its external data", "weights.bin"});
}

TEST(OnnxImport, ClassNamesFromMetadata) {
    OnnxBuilder b({1, 3});
    b.node("Relu", {"x"}, {"y"});
    b.output("y");
    auto* kv = b.model().add_metadata_props();
    kv->set_key("class_names");
    kv->set_value(R"(["cat", "dog", "bird"])");
    ModelSpec spec;
    loadModel(b.save(), &spec);
    EXPECT_EQ(spec.classNames, (std::vector<std::string>{"cat", "dog", "bird"}));
}

TEST(OnnxImport, RefusesUnsupportedOperatorsNamingNodeOpsetAndTheSupportedOnes) {
    OnnxBuilder b({1, 1, 4, 4}, 13);
    b.node("Relu", {"x"}, {"r"});
    b.node("Erf", {"r"}, {"y"}, "erf_1");
    b.output("y");
    expectRefused<ModelError>(
        b.save(), {"node 'erf_1'", "Erf", "opset 13", "is not supported", "Conv", "Gemm", "LRN"});
}

TEST(OnnxImport, RefusesUnsupportedAttributeValues) {
    {
        OnnxBuilder b({1, 1, 4, 4}, 13);
        b.initInts("pads", {0, 0, 1, 1, 0, 0, 1, 1});
        OnnxBuilder::s(b.node("Pad", {"x", "pads"}, {"y"}, "pad"), "mode", "reflect");
        b.output("y");
        expectRefused<ModelError>(b.save(), {"node 'pad'", "mode 'reflect'"});
    }
    {
        OnnxBuilder b({1, 4}, 13);
        b.init("lo", {}, {-1});
        b.init("hi", {}, {1});
        b.node("Clip", {"x", "lo", "hi"}, {"y"}, "clip");
        b.output("y");
        expectRefused<ModelError>(b.save(), {"node 'clip'", "clipping to [-1, 1]"});
    }
    {
        OnnxBuilder b({1, 1, 4, 4}, 13);
        auto& n = b.node("MaxPool", {"x"}, {"y"}, "pool");
        OnnxBuilder::ints(n, "kernel_shape", {2, 2});
        OnnxBuilder::ints(n, "dilations", {2, 2});
        b.output("y");
        expectRefused<ModelError>(b.save(), {"node 'pool'", "dilated pooling"});
    }
    {
        OnnxBuilder b({1, 3}, 13);
        b.init("k", {1}, {2});
        b.node("Mul", {"x", "k"}, {"y"}, "scale");
        b.output("y");
        expectRefused<ModelError>(b.save(), {"node 'scale'", "'k' is a constant"});
    }
}

TEST(OnnxImport, RefusesInconsistentShapes) {
    OnnxBuilder b({1, 3, 4, 4});
    b.init("w", {2, 2, 3, 3}, std::vector<float>(36, 0.1f));  // for 2 input channels, not 3
    b.node("Conv", {"x", "w"}, {"y"}, "conv");
    b.output("y");
    expectRefused<ModelError>(b.save(), {"node 'conv'", "does not fit 3 input channels"});

    OnnxBuilder g({1, 5});
    g.init("B", {4, 2}, std::vector<float>(8, 1));
    OnnxBuilder::i(g.node("Gemm", {"x", "B"}, {"y"}, "fc"), "transB", 1);
    g.output("y");
    expectRefused<ModelError>(g.save(), {"node 'fc'", "does not fit 5 input features"});

    OnnxBuilder r({1, 2, 2, 2});
    r.initInts("t", {2, 4});
    r.node("Reshape", {"x", "t"}, {"y"}, "view");
    r.output("y");
    expectRefused<ModelError>(r.save(), {"node 'view'", "only to (N, -1)"});
}

TEST(OnnxImport, RefusesBadFilesWithOneLine) {
    const std::string dir = ::testing::TempDir();
    {
        std::ofstream(dir + "/ll_garbage.onnx") << "this is not protobuf at all \xff\xfe";
        expectRefused<DataError>(dir + "/ll_garbage.onnx", {"not an ONNX model"});
        std::ofstream(dir + "/ll_empty.onnx").flush();
        expectRefused<DataError>(dir + "/ll_empty.onnx", {"empty file"});
        expectRefused<DataError>(dir + "/ll_missing.onnx", {"cannot open"});
    }
    {
        OnnxBuilder b({0, 1, 4, 4});
        smallCnn(b);
        const std::string full = b.model().SerializeAsString();
        for (std::size_t cut : {full.size() / 2, full.size() - 3}) {
            std::ofstream(dir + "/ll_cut.onnx", std::ios::binary) << full.substr(0, cut);
            expectRefused<Error>(dir + "/ll_cut.onnx", {"ll_cut.onnx"});
        }
    }
    {
        OnnxBuilder b({1, 3}, 8);
        b.node("Relu", {"x"}, {"y"});
        b.output("y");
        expectRefused<ModelError>(b.save(), {"opset 8 is not supported (9 to 17)"});
    }
    {
        OnnxBuilder b({0, 3, 0, 0});
        b.node("Relu", {"x"}, {"y"});
        b.output("y");
        const std::string path = b.save();
        // Its own error type, which the window answers by asking for a size.
        expectRefused<OnnxInputSizeError>(path, {"dynamic height", "'H'", "--input-size"});
        setOnnxInputSize(5, 7);  // what --input-size 5x7 does
        EXPECT_EQ(loadModel(path).inputSample(), Shape({3, 5, 7}));
        setOnnxInputSize(0, 0);
        expectRefused<OnnxInputSizeError>(path, {"dynamic"});
    }
    {
        // A dynamic channel count: no size answers that.
        OnnxBuilder b({0, 0, 4, 4});
        b.node("Relu", {"x"}, {"y"});
        b.output("y");
        const std::string path = b.save();
        expectRefused<ModelError>(path, {"dynamic or invalid dimension 1"});
        try {
            loadModel(path);
            ADD_FAILURE() << "no error";
        } catch (const OnnxInputSizeError& e) {
            ADD_FAILURE() << "an input size cannot fix a dynamic channel count: " << e.what();
        } catch (const ModelError&) {
        }
    }
    {
        OnnxBuilder b({1, 3});
        auto* in2 = b.graph().add_input();
        *in2 = b.graph().input(0);
        in2->set_name("x2");
        b.node("Add", {"x", "x2"}, {"y"});
        b.output("y");
        expectRefused<ModelError>(b.save(), {"several inputs"});
    }
    {
        OnnxBuilder b({1, 3});
        b.node("Relu", {"undefined_tensor"}, {"y"});
        b.output("y");
        expectRefused<ModelError>(b.save(), {"not a valid ONNX model"});
    }
}

TEST(OnnxImport, SpecOfAnOnnxFileWithoutBuildingIt) {
    OnnxBuilder b({0, 1, 4, 4});
    smallCnn(b);
    const std::string path = b.save();
    const ModelSpec spec = readModelSpec(path);
    EXPECT_EQ(spec.defaults.dataset, "none");
    EXPECT_NE(spec.json.find("\"Conv2d\""), std::string::npos);
    // The converted document stands on its own: a checkpoint's copy rebuilds the net.
    Net rebuilt = buildNet(spec.json);
    EXPECT_EQ(rebuilt.size(), 5);
    EXPECT_TRUE(isOnnxPath("a/B.ONNX"));
    EXPECT_FALSE(isOnnxPath("a/onnx.json"));
}

// One reader for the command line's --input-size and the window's question.
TEST(OnnxImport, InputSizeIsReadLikeTheUserWritesIt) {
    using Size = std::optional<std::pair<int, int>>;
    EXPECT_EQ(parseInputSize("224x224"), Size({224, 224}));
    EXPECT_EQ(parseInputSize(" 32 X 48 "), Size({32, 48}));
    EXPECT_EQ(parseInputSize("28\u00d728"), Size({28, 28}));
    EXPECT_EQ(parseInputSize("28*30"), Size({28, 30}));
    EXPECT_EQ(parseInputSize("28,30"), Size({28, 30}));
    EXPECT_EQ(parseInputSize("28 30"), Size({28, 30}));
    EXPECT_EQ(parseInputSize("16384x1"), Size({16384, 1}));
    for (const char* bad : {"", "224", "224x", "x224", "0x5", "5x0", "16385x2", "224x224x3", "-3x3",
                            "3.5x3", "224224", "2x2 px", "1000000x1"})
        EXPECT_EQ(parseInputSize(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace ll
