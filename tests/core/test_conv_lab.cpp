// The convolution lab: kernel text, presets against hand-computed maps on a 5×5 image, and the
// operator identities to float precision (exactly 0 where max-pooling commutes with the
// activation; a counterexample where it does not).
#include <cmath>

#include "core/analysis/conv_lab.h"
#include "core/layers/conv2d.h"
#include "core/model_file.h"
#include "support/check.h"

// Expects `...` to throw Type with `text` in its message.
#define EXPECT_THROWS_WITH(Type, text, ...)                                             \
    do {                                                                                \
        try {                                                                           \
            __VA_ARGS__;                                                                \
            ADD_FAILURE() << "no exception from " #__VA_ARGS__;                         \
        } catch (const Type& e) {                                                       \
            EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what(); \
        }                                                                               \
    } while (0)

namespace ll {

namespace {

// x[i][j] = 10·i + j² (row i, column j): its differences are simple by hand — along a row
// (j+1)² − j² = 2j + 1, down a column 10, second differences 2 (along rows) and 0 (columns).
Tensor image5x5() {
    Tensor x({1, 5, 5});
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j)
            x[i * 5 + j] = static_cast<float>(10 * i + j * j);
    return x;
}

float value(const Tensor& y, int c, int i, int j) {
    return y[(static_cast<std::int64_t>(c) * y.dim(1) + i) * y.dim(2) + j];
}

std::string refusal(const std::string& text) {
    try {
        parseKernel(text);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST(ConvLab, ParsesKernelText) {
    const Kernel dx = parseKernel("0,0,0;0,-1,1;0,0,0");
    EXPECT_EQ(dx.rows, 3);
    EXPECT_EQ(dx.cols, 3);
    EXPECT_EQ(dx.w, (std::vector<float>{0, 0, 0, 0, -1, 1, 0, 0, 0}));
    EXPECT_EQ(dx, kernelPreset("dx").kernel);
    // Spaces instead of commas, new lines instead of ';', a trailing separator, fractions.
    const Kernel s = parseKernel(" 1 2 1 ;\n0 0 0\n-1, -2 ,-1;\n");
    EXPECT_EQ(s.w, (std::vector<float>{1, 2, 1, 0, 0, 0, -1, -2, -1}));
    const Kernel f = parseKernel("1/9 1/9; 0.5 -2.5e-1");
    EXPECT_FLOAT_EQ(f.at(0, 1), 1.0f / 9);
    EXPECT_FLOAT_EQ(f.at(1, 1), -0.25f);
    // Not square: the forward difference itself.
    const Kernel d = parseKernel("-1, 1");
    EXPECT_EQ(d.rows, 1);
    EXPECT_EQ(d.cols, 2);
    // The text reads back to the same floats; presets by name.
    for (const KernelPreset& p : kernelPresets())
        EXPECT_EQ(parseKernel(p.kernel.str()), p.kernel) << p.name << ": " << p.kernel.str();
    EXPECT_EQ(kernelPreset("dx").kernel.str(), "0,0,0;0,-1,1;0,0,0");
    EXPECT_EQ(kernelFromText("sobel-x"), kernelPreset("sobel-x").kernel);
    EXPECT_THROWS_WITH(UsageError, "no kernel preset 'emboss'", kernelPreset("emboss"));
}

TEST(ConvLab, BadKernelsAreRefusedNamingRowAndColumn) {
    EXPECT_NE(refusal("").find("the kernel is empty"), std::string::npos);
    EXPECT_NE(refusal("  ; ").find("the kernel is empty"), std::string::npos);
    EXPECT_NE(refusal("1,2;3").find("kernel row 2 has 1 value, row 1 has 2"), std::string::npos)
        << refusal("1,2;3");
    EXPECT_NE(refusal("1,2;3,4,5").find("kernel row 2 has 3 values, row 1 has 2"),
              std::string::npos);
    EXPECT_NE(refusal("1,x,3").find("kernel row 1, column 2: 'x' is not a number"),
              std::string::npos)
        << refusal("1,x,3");
    EXPECT_NE(refusal("1,2;3,4abc").find("kernel row 2, column 2: '4abc' is not a number"),
              std::string::npos);
    EXPECT_NE(refusal("1,2;3,nan").find("kernel row 2, column 2: 'nan' is not a finite number"),
              std::string::npos)
        << refusal("1,2;3,nan");
    EXPECT_NE(refusal("inf").find("row 1, column 1: 'inf' is not a finite"), std::string::npos);
    EXPECT_NE(refusal("1;-1e999").find("row 2, column 1"), std::string::npos);
    EXPECT_NE(refusal("1/0").find("not a finite number"), std::string::npos);
    EXPECT_NE(refusal("1,,2").find("kernel row 1, column 2: no value"), std::string::npos)
        << refusal("1,,2");
    EXPECT_NE(refusal("1;;2").find("kernel row 2 is empty"), std::string::npos);
    EXPECT_NE(refusal("1;2;3;4;5;6;7;8").find("kernel row 8: more than 7 rows"), std::string::npos)
        << refusal("1;2;3;4;5;6;7;8");
    EXPECT_NE(refusal("1 2 3 4 5 6 7 8").find("kernel row 1, column 8: more than 7 columns"),
              std::string::npos);
    // 7×7 is the largest accepted.
    EXPECT_EQ(refusal("1 2 3 4 5 6 7;1 2 3 4 5 6 7;1 2 3 4 5 6 7;1 2 3 4 5 6 7;1 2 3 4 5 6 7;"
                      "1 2 3 4 5 6 7;1 2 3 4 5 6 7"),
              "(accepted)");
}

TEST(ConvLab, PresetsOnA5x5ImageByHand) {
    const Tensor x = image5x5();
    auto map = [&](const std::string& preset, LabConv s = {}) {
        return applyKernel(x, kernelPreset(preset).kernel, s);
    };
    // No padding: 3×3 outputs centred on x[r+1][c+1].
    const Tensor dx = map("dx"), dy = map("dy");
    ASSERT_EQ(dx.shape(), Shape({1, 3, 3}));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) {
            // x[r+1][c+2] − x[r+1][c+1] = (c+2)² − (c+1)² = 2c + 3.
            EXPECT_FLOAT_EQ(value(dx, 0, r, c), 2.0f * c + 3) << r << "," << c;
            EXPECT_FLOAT_EQ(value(dy, 0, r, c), 10.0f) << r << "," << c;
            // Sobel: (1, 2, 1) over rows of the central difference (c+2)² − c² = 4c + 4.
            EXPECT_FLOAT_EQ(value(map("sobel-x"), 0, r, c), 16.0f * (c + 1));
            EXPECT_FLOAT_EQ(value(map("sobel-y"), 0, r, c), 4 * 20.0f);
            // Second differences: 2 along the row, 0 down the column.
            EXPECT_FLOAT_EQ(value(map("laplacian"), 0, r, c), 2.0f);
            const float centre = 10.0f * (r + 1) + (c + 1) * (c + 1);
            EXPECT_FLOAT_EQ(value(map("identity"), 0, r, c), centre);
            EXPECT_FLOAT_EQ(value(map("sharpen"), 0, r, c), centre - 2.0f);
            const float sq0 = static_cast<float>(c * c),
                        sq1 = static_cast<float>((c + 1) * (c + 1)),
                        sq2 = static_cast<float>((c + 2) * (c + 2));
            EXPECT_NEAR(value(map("box"), 0, r, c), 10.0f * (r + 1) + (sq0 + sq1 + sq2) / 3, 1e-4);
            EXPECT_NEAR(value(map("gaussian"), 0, r, c),
                        10.0f * (r + 1) + (sq0 + 2 * sq1 + sq2) / 4, 1e-4);
        }
    // Padding 1 keeps the size; beyond the right edge the image is 0: x[0][5] − x[0][4] = −16.
    const Tensor padded = map("dx", {1, 1, 1});
    ASSERT_EQ(padded.shape(), Shape({1, 5, 5}));
    EXPECT_FLOAT_EQ(value(padded, 0, 0, 4), -16.0f);
    EXPECT_FLOAT_EQ(value(padded, 0, 2, 0), 1.0f);
    // Stride 2, padding 1: outputs at (2r, 2c), so 4c + 1, and −(20r + 16) in the last column.
    const Tensor strided = map("dx", {2, 1, 1});
    ASSERT_EQ(strided.shape(), Shape({1, 3, 3}));
    EXPECT_FLOAT_EQ(value(strided, 0, 1, 1), 5.0f);
    EXPECT_FLOAT_EQ(value(strided, 0, 2, 2), -56.0f);
    // Dilation 2: taps 2 apart, one window: x[2][4] − x[2][2] = 16 − 4.
    const Tensor dilated = map("dx", {1, 0, 2});
    ASSERT_EQ(dilated.shape(), Shape({1, 1, 1}));
    EXPECT_FLOAT_EQ(dilated[0], 12.0f);
    // Every channel on its own: an RGB image gives three maps.
    Tensor rgb({1, 3, 5, 5});
    for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 25; ++k)
            rgb[c * 25 + k] = (c + 1) * x[k];
    const Tensor y = applyKernel(rgb, kernelPreset("dy").kernel, {});
    ASSERT_EQ(y.shape(), Shape({3, 3, 3}));
    EXPECT_FLOAT_EQ(value(y, 2, 1, 1), 30.0f);
    // One kernel per output channel: dx and dy side by side; kernels of different sizes refused.
    const Tensor both =
        applyKernels(x, {kernelPreset("dx").kernel, kernelPreset("dy").kernel}, LabConv{});
    ASSERT_EQ(both.shape(), Shape({2, 3, 3}));
    EXPECT_FLOAT_EQ(value(both, 0, 2, 1), 5.0f);
    EXPECT_FLOAT_EQ(value(both, 1, 2, 1), 10.0f);
    EXPECT_THROWS_WITH(UsageError, "kernel 2 (1×2) gives 5×4 maps, kernel 1 (3×3) 3×3",
                       applyKernels(x, {kernelPreset("dx").kernel, parseKernel("-1 1")}, {}));
    // Settings that leave no output, or make no sense, are refused.
    EXPECT_THROWS_WITH(UsageError, "spans 7×7 pixels, more than the 5×5", map("dx", {1, 0, 3}));
    EXPECT_THROWS_WITH(UsageError, "stride must be between 1 and 64", map("dx", {0, 0, 1}));
    EXPECT_THROWS_WITH(UsageError, "padding must be", map("dx", {1, -1, 1}));
}

TEST(ConvLab, LearnedFilterIsWhatTheLayerComputes) {
    Net net = loadModel("lenet5");
    net.resetParameters(3);
    Tensor x({1, 1, 28, 28});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = static_cast<float>((i * 37) % 17) / 17.0f;
    const Tensor& y = net.forward(x, Mode::Eval);
    (void)y;
    const LearnedFilter f = learnedFilter(net, 0, 4);
    EXPECT_EQ(f.weight.shape(), Shape({1, 5, 5}));
    EXPECT_EQ(f.conv.padding, 2);
    const Tensor map = applyFilter(x, f.weight, f.bias, f.conv);
    ASSERT_EQ(map.shape(), Shape({1, 28, 28}));
    const Tensor& c1 = net.activation(0);  // (1, 6, 28, 28)
    double worst = 0;
    for (int k = 0; k < 28 * 28; ++k)
        worst = std::max(worst, std::fabs(static_cast<double>(map[k]) - c1[4 * 28 * 28 + k]));
    EXPECT_LT(worst, 1e-5);
    EXPECT_GT(map.sumSquares(), 1e-3);
    EXPECT_THROWS_WITH(UsageError, "not a convolution", learnedFilter(net, 1, 0));
    EXPECT_THROWS_WITH(UsageError, "has 6 filters; there is no filter 6", learnedFilter(net, 0, 6));
}

TEST(ConvLab, AveragePoolingIsAStridedConvolution) {
    for (int k : {2, 3}) {
        const Tensor x = labRandomInput({3, 4, 12, 12}, 10 + k);
        const IdentityCheck c = checkAvgPoolAsConv(x, k);
        ASSERT_EQ(c.a.shape(), Shape({3, 4, 12 / k, 12 / k}));
        EXPECT_LE(c.maxAbsDifference, 1e-6 * 3.0) << c.whereText;
        EXPECT_LE(c.maxRelDifference, 1e-6);
        EXPECT_TRUE(c.asExpected());
        EXPECT_GT(c.maxAbsValue, 0.5);  // not two zero maps
        // The first output by hand: the mean of x's top-left k×k window.
        double mean = 0;
        for (int i = 0; i < k; ++i)
            for (int j = 0; j < k; ++j)
                mean += x.at(0, 0, i, j);
        EXPECT_NEAR(c.b[0], mean / (k * k), 1e-6);
    }
}

TEST(ConvLab, GrayIsAOneByOneConvolution) {
    Tensor x = labRandomInput({2, 3, 6, 7}, 5);
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = (x[i] + 3.0f) / 6.0f;  // [0, 1]
    const IdentityCheck f = checkGrayAsConv(x);
    EXPECT_EQ(f.a.shape(), Shape({2, 1, 6, 7}));
    EXPECT_NEAR(f.a[0],
                0.299 * x.at(0, 0, 0, 0) + 0.587 * x.at(0, 1, 0, 0) + 0.114 * x.at(0, 2, 0, 0),
                1e-6);
    EXPECT_LE(f.maxAbsDifference, 1e-6) << f.whereText;
    EXPECT_TRUE(f.asExpected());
    // 8 bits: OpenCV rounds to whole grey levels, so up to half a level apart — and on 84
    // random pixels some are well over a tenth of a level apart.
    const IdentityCheck b = checkGrayAsConv8Bit(x);
    EXPECT_TRUE(b.asExpected()) << b.maxAbsDifference;
    EXPECT_LE(b.maxAbsDifference, 0.51);
    EXPECT_GT(b.maxAbsDifference, 0.1);
    EXPECT_NE(b.note.find("rounds"), std::string::npos);
    EXPECT_THROWS_WITH(UsageError, "needs 3 channels",
                       checkGrayAsConv(labRandomInput({1, 1, 4, 4}, 1)));
}

TEST(ConvLab, MonotonicActivationsCommuteWithMaxPoolExactly) {
    // Wide inputs: both tails of the sigmoid and tanh, and many ties after saturation.
    for (float scale : {1.0f, 10.0f}) {
        Tensor x = labRandomInput({4, 3, 16, 16}, 7);
        for (std::int64_t i = 0; i < x.numel(); ++i)
            x[i] *= scale;
        for (const char* f : {"ReLU", "Sigmoid", "Tanh"}) {
            const IdentityCheck c = checkActivationMaxPool(x, f, 2);
            EXPECT_TRUE(c.expected) << f;
            EXPECT_EQ(c.maxAbsDifference, 0.0) << f << " " << c.whereText;
            EXPECT_EQ(c.a.shape(), Shape({4, 3, 8, 8}));
            EXPECT_GT(c.maxAbsValue, 0.5) << f;
        }
    }
}

TEST(ConvLab, GeluAndSiluDoNotCommuteWithMaxPool) {
    // By hand: the window {−3, −0.75, −0.75, −0.75}: max-pool first keeps −0.75,
    // GELU(−0.75) = −0.75·Φ(−0.75) = −0.169971; GELU first: GELU(−3) = −3·Φ(−3) = −0.004050 wins.
    Tensor w({1, 1, 2, 2}, std::vector<float>{-3.0f, -0.75f, -0.75f, -0.75f});
    const IdentityCheck g = checkActivationMaxPool(w, "GELU", 2);
    EXPECT_FALSE(g.expected);
    EXPECT_TRUE(g.asExpected());
    EXPECT_NEAR(g.a[0], -0.169971, 1e-5);
    EXPECT_NEAR(g.b[0], -0.004050, 1e-5);
    EXPECT_NEAR(g.maxAbsDifference, 0.165921, 1e-5);
    EXPECT_NE(g.note.find("the largest input is -0.75"), std::string::npos) << g.note;
    EXPECT_NE(g.note.find("GELU(-3) = -0.00404"), std::string::npos) << g.note;
    // On random inputs the counterexample is found, and where.
    const Tensor x = labRandomInput({2, 3, 16, 16}, 8);
    for (const char* f : {"GELU", "SiLU"}) {
        const IdentityCheck c = checkActivationMaxPool(x, f, 2);
        EXPECT_FALSE(c.expected);
        EXPECT_GT(c.maxAbsDifference, 0.1) << f;  // GELU's dip is 0.17 deep, SiLU's 0.28
        EXPECT_GE(c.where, 0);
        EXPECT_NE(c.note.find("is not monotonic"), std::string::npos) << c.note;
    }
}

TEST(ConvLab, AllOperatorIdentitiesAsExpected) {
    const std::vector<IdentityCheck> all = operatorIdentities(labRandomInput({2, 1, 12, 12}, 3));
    ASSERT_EQ(all.size(), 9u);
    for (const IdentityCheck& c : all)
        EXPECT_TRUE(c.asExpected()) << c.name << " " << c.maxAbsDifference;
    const std::string text = identitiesText(all);
    EXPECT_NE(text.find("GELU-maxpool"), std::string::npos);
    EXPECT_NE(text.find("fails, as it must"), std::string::npos);
    EXPECT_EQ(text.find("DOES NOT HOLD"), std::string::npos) << text;
    const std::string json = identitiesJson(all);
    EXPECT_NE(json.find("\"max_abs_difference\""), std::string::npos);
}

TEST(ConvLab, ModelIdentitiesOnVgg) {
    Net net = loadModel("vgg-cifar");
    net.resetParameters(5);
    std::vector<std::string> skipped;
    const std::vector<IdentityCheck> m =
        modelIdentities(net, labRandomInput({2, 3, 32, 32}, 4), &skipped);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].name, "bn-fold");
    EXPECT_EQ(m[1].name, "fc-conv");
    EXPECT_EQ(m[2].name, "act-after-maxpool");
    for (const IdentityCheck& c : m) {
        EXPECT_TRUE(c.asExpected()) << c.name << " " << c.maxAbsDifference;
        EXPECT_GT(c.maxAbsValue, 0.0) << c.name;
    }
    EXPECT_EQ(m[2].maxAbsDifference, 0.0);
    EXPECT_NE(m[2].note.find("151552 → 57856"), std::string::npos) << m[2].note;
}

}  // namespace ll
