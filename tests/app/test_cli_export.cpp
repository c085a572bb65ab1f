// `layerlens export`: a model and its weights written as ONNX; the file is imported back and run
// against the net the weights came from.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/checkpoint.h"
#include "core/model_file.h"
#include "support/data_files.h"
#include "support/onnx_builder.h"
#include "support/run_cli.h"

namespace ll {

namespace {

using test::CliResult;
using test::runCli;
namespace fs = std::filesystem;

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

Tensor wave(const Shape& s) {
    Tensor t(s);
    for (std::int64_t i = 0; i < t.numel(); ++i)
        t.data()[i] = 2.0f * std::sin(0.37f * static_cast<float>(i));
    return t;
}

// A checkpoint's weights, its model document naming the model (no --model): the file runs as the
// checkpoint's net does, bit for bit.
TEST(CliExport, CheckpointWeightsRoundTrip) {
    const std::string dir = test::freshDir("export_checkpoint");
    ModelSpec spec;
    Net net = loadModel("lenet5", &spec);
    net.resetParameters(11);
    saveCheckpoint(dir + "/w.llck", net, nullptr, 2, 40, spec.json);
    const CliResult r =
        runCli({"export", "--checkpoint", dir + "/w.llck", "--out", dir + "/lenet5.onnx"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(has(r.out, "warning")) << r.out;
    EXPECT_TRUE(has(r.out, "weights: " + dir + "/w.llck (epoch 2, step 40)\n")) << r.out;
    EXPECT_TRUE(has(r.out, "wrote " + dir + "/lenet5.onnx (")) << r.out;
    EXPECT_TRUE(has(r.out, "ONNX opset 13")) << r.out;
    Net back = loadModel(dir + "/lenet5.onnx");
    EXPECT_TRUE(back.pretrained());
    EXPECT_EQ(back.numParams(), net.numParams());
    const Tensor x = wave(Shape{2, 1, 28, 28});
    EXPECT_EQ(back.forward(x, Mode::Eval).values(), net.forward(x, Mode::Eval).values());
}

// No checkpoint: initial weights and a warning; a rewrite is printed as a warning too.
TEST(CliExport, InitialWeightsAndRewritesAreWarned) {
    const std::string dir = test::freshDir("export_preset");
    const CliResult r =
        runCli({"export", "--model", "lenet5-c3", "--out", dir + "/c3.onnx", "--seed", "4"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out,
                    "warning: no --checkpoint: lenet5-c3 is written with its untrained "
                    "initial weights (seed 4)"))
        << r.out;
    EXPECT_TRUE(has(r.out, "warning: node 'c3' (SparseConv2d) is written as a dense Conv"))
        << r.out;
    Net net = loadModel("lenet5-c3");
    net.resetParameters(4);
    Net back = loadModel(dir + "/c3.onnx");
    const Tensor x = wave(Shape{1, 1, 28, 28});
    const std::vector<float> a = net.forward(x, Mode::Eval).values();
    const std::vector<float> b = back.forward(x, Mode::Eval).values();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_NEAR(a[i], b[i], 1e-5f * std::max(1.0f, std::fabs(a[i])));
}

// An imported ONNX model is written back with its own weights.
TEST(CliExport, OnnxModelKeepsItsOwnWeights) {
    const std::string dir = test::freshDir("export_onnx");
    test::OnnxBuilder b({0, 1, 3, 3});
    b.init("w", {2, 1, 2, 2}, {1, 2, 3, 4, -1, 0.5f, 0, 2});
    b.init("b", {2}, {0.5f, -1});
    b.node("Conv", {"x", "w", "b"}, {"y"}, "/conv1/Conv");
    b.node("Relu", {"y"}, {"z"}, "/relu/Relu");
    b.output("z");
    b.saveTo(dir + "/conv.onnx");
    const CliResult r =
        runCli({"export", "--model", dir + "/conv.onnx", "--out", dir + "/re.onnx"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "weights: the model's own")) << r.out;
    EXPECT_FALSE(has(r.out, "warning")) << r.out;
    Net back = loadModel(dir + "/re.onnx");
    ASSERT_EQ(back.size(), 2);
    EXPECT_EQ(back.layer(0).name(), "/conv1/Conv");
    const Tensor x({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    // Conv by hand: channel 0 = 1·a + 2·b + 3·d + 4·e + 0.5, channel 1 = −a + 0.5·b + 2·e − 1.
    EXPECT_EQ(back.forward(x, Mode::Eval).values(),
              (std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f, 9, 10.5f, 13.5f, 15}));
}

// A dynamic height and width: refused without --input-size; with it, the file written has them
// fixed (the batch stays dynamic) and imports without the option.
TEST(CliExport, InputSizeFixesADynamicModel) {
    const std::string dir = test::freshDir("export_dynamic");
    test::OnnxBuilder d({0, 1, 0, 0});
    d.init("w", {1, 1, 2, 2}, {1, 2, 3, 4});
    d.node("Conv", {"x", "w"}, {"y"}, "conv");
    d.output("y");
    d.saveTo(dir + "/dynamic.onnx");
    const std::vector<std::string> cmd = {"export", "--model", dir + "/dynamic.onnx", "--out",
                                          dir + "/fixed.onnx"};
    const CliResult refused = runCli(cmd);
    EXPECT_EQ(refused.code, 1);
    EXPECT_TRUE(has(refused.err, "--input-size")) << refused.err;
    EXPECT_FALSE(fs::exists(dir + "/fixed.onnx"));
    auto sized = cmd;
    sized.insert(sized.end(), {"--input-size", "3x3"});
    const CliResult r = runCli(sized);
    ASSERT_EQ(r.code, 0) << r.err;
    Net back = loadModel(dir + "/fixed.onnx");
    EXPECT_EQ(back.inputSample(), (Shape{1, 3, 3}));
    const Tensor x({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    EXPECT_EQ(back.forward(x, Mode::Eval).values(), (std::vector<float>{37, 47, 67, 77}));
}

// --external-data: the weights in the side file named, beside --out; the help lists the option.
TEST(CliExport, ExternalDataGoesBesideTheModel) {
    const std::string dir = test::freshDir("export_external");
    const CliResult r = runCli({"export", "--model", "lenet5", "--out", dir + "/l.onnx",
                                "--external-data", "l.weights", "--seed", "3"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "wrote " + dir + "/l.onnx (")) << r.out;
    EXPECT_TRUE(has(r.out, "wrote " + dir + "/l.weights (")) << r.out;
    // Of 61,706 parameters, the weights of c3 and the three Linear layers are in the side file;
    // c1's 150 weights (600 bytes) and the biases stay inline (under 1 kB).
    EXPECT_TRUE(has(r.out, ": the external data of 4 tensors")) << r.out;
    EXPECT_LT(fs::file_size(dir + "/l.onnx"), 4096u);
    EXPECT_GT(fs::file_size(dir + "/l.weights"), 240000u);
    Net net = loadModel("lenet5");
    net.resetParameters(3);
    Net back = loadModel(dir + "/l.onnx");
    const Tensor x = wave(Shape{2, 1, 28, 28});
    EXPECT_EQ(back.forward(x, Mode::Eval).values(), net.forward(x, Mode::Eval).values());

    // Not a file name beside --out: a usage error, nothing written.
    const CliResult bad = runCli(
        {"export", "--model", "lenet5", "--out", dir + "/m.onnx", "--external-data", "sub/m.data"});
    EXPECT_EQ(bad.code, 2) << bad.err;
    EXPECT_TRUE(has(bad.err, "'sub/m.data' must be a file name")) << bad.err;
    EXPECT_FALSE(fs::exists(dir + "/m.onnx"));

    const CliResult help = runCli({"help", "export"});
    EXPECT_TRUE(has(help.out, "--external-data FILE")) << help.out;
    EXPECT_TRUE(has(help.out, "MODEL.onnx.data")) << help.out;
}

// Refusals are one line, exit code 1 (2 for usage), and write nothing.
TEST(CliExport, RefusalsWriteNothing) {
    const std::string dir = test::freshDir("export_refused");
    {
        std::ofstream f(dir + "/lrn.json");
        f << R"({"name": "lrn4", "input": [6, 4, 4], "dataset": "none",
                 "layers": [{"type": "LRN", "name": "norm", "size": 4}]})";
    }
    CliResult r = runCli({"export", "--model", dir + "/lrn.json", "--out", dir + "/x.onnx"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(has(r.err, "'norm' (LRN)")) << r.err;
    EXPECT_FALSE(fs::exists(dir + "/x.onnx"));
    r = runCli({"export", "--model", "lenet5"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(has(r.err, "--out is required")) << r.err;
    r = runCli({"export", "--out", dir + "/x.onnx"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(has(r.err, "--model is required")) << r.err;
    EXPECT_FALSE(fs::exists(dir + "/x.onnx"));
}

}  // namespace

}  // namespace ll
