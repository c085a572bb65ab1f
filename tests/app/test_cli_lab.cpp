// `layerlens lab`: a kernel applied to an image file (the map as .npy values and as a PNG), bad
// kernels refused with the row and column, and the identities' largest differences as JSON.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "core/data/npz.h"
#include "support/run_cli.h"

namespace ll {

namespace {

namespace fs = std::filesystem;

using test::runCli;

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/layerlens-lab-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

std::vector<std::uint8_t> readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A 5×5 grey image x[i][j] = 10·i + j² (as in the core's preset tests), as a binary PGM (the
// core reads it without Qt).
std::string writeImage(const TempDir& dir) {
    const std::string path = dir.file("ramp.pgm");
    std::ofstream f(path, std::ios::binary);
    f << "P5\n5 5\n255\n";
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j)
            f.put(static_cast<char>(10 * i + j * j));
    return path;
}

}  // namespace

TEST(CliLab, AppliesAKernelToAnImage) {
    TempDir dir;
    const std::string image = writeImage(dir);
    const std::string npy = dir.file("dx.npy");
    auto r = runCli({"lab", "--image", image, "--kernel", "0,0,0;0,-1,1;0,0,0", "--out", npy});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("map 1×3×3"), std::string::npos) << r.out;
    const Tensor m = npyToTensor(parseNpy(readBytes(npy), npy), npy);
    ASSERT_EQ(m.shape(), Shape({1, 3, 3}));
    // Pixels scaled to [0, 1]: (2c + 3)/255 in column c of every row.
    for (int r0 = 0; r0 < 3; ++r0)
        for (int c = 0; c < 3; ++c)
            EXPECT_NEAR(m[r0 * 3 + c], (2.0f * c + 3) / 255, 1e-6) << r0 << "," << c;
    // A preset by name, padding and stride; the picture as PNG of the output's size.
    const std::string png = dir.file("dy.png");
    r = runCli({"lab", "--image", image, "--kernel", "dy", "--padding", "1", "--stride", "2",
                "--out", png});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::vector<std::uint8_t> b = readBytes(png);
    ASSERT_GE(b.size(), 24u);
    EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "\x89PNG");
    EXPECT_EQ(b[19], 3);  // width (big-endian, low byte)
    EXPECT_EQ(b[23], 3);  // height
    EXPECT_NE(r.out.find("values"), std::string::npos) << r.out;
    // Two kernels, two output channels: their maps side by side, 2 columns apart.
    const std::string both = dir.file("both.png");
    r = runCli({"lab", "--image", image, "--kernel", "dx", "--kernel", "dy", "--out", both});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("map 2×3×3"), std::string::npos) << r.out;
    EXPECT_EQ(readBytes(both)[19], 3 + 2 + 3);
}

TEST(CliLab, RefusesBadKernelsAndSettings) {
    TempDir dir;
    const std::string image = writeImage(dir);
    const std::string out = dir.file("x.png");
    auto r = runCli({"lab", "--image", image, "--kernel", "1,2;3", "--out", out});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("kernel row 2 has 1 value, row 1 has 2"), std::string::npos) << r.err;
    r = runCli({"lab", "--image", image, "--kernel", "1,nan", "--out", out});
    EXPECT_NE(r.err.find("kernel row 1, column 2: 'nan' is not a finite number"), std::string::npos)
        << r.err;
    r = runCli({"lab", "--image", image, "--kernel", "dx", "--dilation", "3", "--out", out});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("spans 7×7 pixels"), std::string::npos) << r.err;
    r = runCli({"lab", "--image", image, "--kernel", "dx", "--out", dir.file("x.bmp")});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find(".png (picture) or .npy"), std::string::npos) << r.err;
    r = runCli({"lab", "--image", dir.file("missing.png"), "--kernel", "dx", "--out", out});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("missing.png"), std::string::npos) << r.err;
    r = runCli({"lab", "--kernel", "dx"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("either --image FILE"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
}

TEST(CliLab, IdentitiesAsJson) {
    auto r = runCli({"lab", "--identities", "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err << r.out;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["all_as_expected"], true);
    std::map<std::string, nlohmann::json> by;
    for (const auto& c : j["operators"])
        by[c["name"].get<std::string>()] = c;
    ASSERT_TRUE(by.count("ReLU-maxpool") && by.count("GELU-maxpool") && by.count("avgpool-2"));
    EXPECT_EQ(by["ReLU-maxpool"]["max_abs_difference"], 0.0);
    EXPECT_EQ(by["Tanh-maxpool"]["max_abs_difference"], 0.0);
    EXPECT_GT(by["GELU-maxpool"]["max_abs_difference"].get<double>(), 0.1);
    EXPECT_EQ(by["GELU-maxpool"]["expected_to_hold"], false);
    EXPECT_LE(by["avgpool-2"]["max_rel_difference"].get<double>(), 1e-6);
    EXPECT_LE(by["gray-8bit"]["max_abs_difference"].get<double>(), 0.51);
    EXPECT_GT(by["gray-8bit"]["max_abs_difference"].get<double>(), 0.1);
}

TEST(CliLab, ModelIdentitiesOnASmallNet) {
    TempDir dir;
    const std::string model = dir.file("tiny.json");
    std::ofstream(model) << R"({"name": "tiny", "input": [1, 12, 12], "layers": [
        {"type": "Conv2d", "name": "conv1", "out": 4, "kernel": 3, "padding": 1},
        {"type": "BatchNorm2d", "name": "bn1"},
        {"type": "ReLU", "name": "relu1"},
        {"type": "MaxPool2d", "name": "pool1", "kernel": 2},
        {"type": "Conv2d", "name": "conv2", "out": 6, "kernel": 3},
        {"type": "GELU", "name": "gelu1"},
        {"type": "MaxPool2d", "name": "pool2", "kernel": 2},
        {"type": "Flatten"},
        {"type": "Linear", "name": "fc", "out": 3}]})";
    auto r = runCli({"lab", "--identities", "--model", model});
    ASSERT_EQ(r.code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("bn-fold"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("fc-conv"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("act-after-maxpool"), std::string::npos) << r.out;
    // relu1 moves (4·12² → 4·6² evaluations; gelu1 keeps its 6·4²); gelu1 is refused, by name.
    EXPECT_NE(r.out.find("activation evaluations per image: 672 → 240"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("gelu1 (GELU) before pool2: not monotonic"), std::string::npos) << r.out;
    r = runCli({"lab", "--identities", "--model", model, "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["model_identities"].size(), 3u);
    EXPECT_EQ(j["model_identities"][2]["max_abs_difference"], 0.0);
    EXPECT_LT(j["model_identities"][0]["max_abs_difference"].get<double>(), 1e-4);
}

// The cost table of the swapped model: vgg-cifar's five ReLU → 2×2 max-pool pairs evaluate
// their ReLU on a quarter of the values.
TEST(CliLab, SummaryOfTheSwappedModel) {
    auto r = runCli({"summary", "--model", "vgg-cifar", "--act-after-maxpool"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("relu1 after pool1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("activation evaluations 151552 → 57856 per sample"), std::string::npos)
        << r.out;
    r = runCli({"summary", "--model", "vgg-cifar", "--act-after-maxpool", "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["totals"]["activations"], 57856);
    r = runCli({"summary", "--model", "vgg-cifar", "--format", "json"});
    EXPECT_EQ(nlohmann::json::parse(r.out)["totals"]["activations"], 151552);
}

}  // namespace ll
