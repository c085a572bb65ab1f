// `layerlens infer`: one forward pass on a .npy tensor or an image, the output and chosen
// activations saved as .npy files. Every file it writes is compared with the Net run directly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/checkpoint.h"
#include "core/data/file_io.h"
#include "core/data/image_folder.h"
#include "core/data/npz.h"
#include "core/model_file.h"
#include "support/data_files.h"
#include "support/npz.h"
#include "support/onnx_builder.h"
#include "support/run_cli.h"

namespace ll {

namespace {

using test::CliResult;
using test::runCli;
namespace fs = std::filesystem;

// A float32 .npy written by the tests' own writer (support/npz.h), not the one under test.
void writeF32(const std::string& path, const std::string& shape, const std::vector<float>& v) {
    std::vector<std::uint8_t> data;
    for (float f : v) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &f, 4);
        test::putLe(data, bits, 4);
    }
    test::writeBytes(path, test::npy("<f4", shape, data));
}

std::vector<float> wave(std::size_t n, float phase) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = 2.0f * std::sin(0.37f * static_cast<float>(i) + phase);
    return v;
}

Tensor readNpy(const std::string& path) {
    const NpyArray a = parseNpy(readMaybeGzip(path), path);
    EXPECT_EQ(a.descr, "<f4") << path;
    return npyToTensor(a, path);
}

std::vector<std::string> filesIn(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

// LeNet-5 on a batch of two: output.npy and the --layer files hold exactly what the Net
// computes with the same initial weights (--seed) in eval mode.
TEST(CliInfer, OutputAndLayersEqualTheNetRunDirectly) {
    const std::string dir = test::freshDir("infer_lenet5"), out = dir + "/out";
    const std::vector<float> v = wave(2 * 784, 0.0f);
    writeF32(dir + "/x.npy", "(2, 1, 28, 28)", v);
    const CliResult r = runCli({"infer", "--model", "lenet5", "--input", dir + "/x.npy", "--out",
                                out, "--layer", "c1", "--layer=s4", "--seed", "3"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    Net net = loadModel("lenet5");
    net.resetParameters(3);
    const Tensor& y = net.forward(Tensor({2, 1, 28, 28}, v), Mode::Eval);
    const Tensor output = readNpy(out + "/output.npy");
    EXPECT_EQ(output.shape(), (Shape{2, 10}));
    EXPECT_EQ(output.values(), y.values());
    const Tensor c1 = readNpy(out + "/c1.npy"), s4 = readNpy(out + "/s4.npy");
    EXPECT_EQ(c1.shape(), (Shape{2, 6, 28, 28}));
    EXPECT_EQ(c1.values(), net.activation(net.indexOf("c1")).values());
    EXPECT_EQ(s4.shape(), (Shape{2, 16, 5, 5}));
    EXPECT_EQ(s4.values(), net.activation(net.indexOf("s4")).values());
    EXPECT_EQ(filesIn(out), (std::vector<std::string>{"c1.npy", "output.npy", "s4.npy"}));

    EXPECT_TRUE(has(r.out, "input " + dir + "/x.npy: float32 (2, 1, 28, 28), fed as is\n"))
        << r.out;
    EXPECT_TRUE(has(r.out,
                    "warning: no --checkpoint: lenet5 runs with its untrained initial weights "
                    "(seed 3)\n"))
        << r.out;
    EXPECT_TRUE(has(r.out, "output (the output) (2, 10) → " + out + "/output.npy\n")) << r.out;
    EXPECT_TRUE(has(r.out, "c1 (2, 6, 28, 28) → " + out + "/c1.npy\n")) << r.out;
    EXPECT_TRUE(has(r.out, "top 5 classes (softmax of the output):\n")) << r.out;
    // Each sample's most probable class is the output's largest entry.
    for (int n = 0; n < 2; ++n) {
        const float* row = y.data() + 10 * n;
        const auto best = std::max_element(row, row + 10) - row;
        EXPECT_TRUE(
            has(r.out, "  sample " + std::to_string(n) + ":  " + std::to_string(best) + " 0."))
            << r.out;
    }

    // One sample (C, H, W) is a batch of one; the folder is written over.
    writeF32(dir + "/one.npy", "(1, 28, 28)", wave(784, 1.0f));
    const CliResult one = runCli({"infer", "--model", "lenet5", "--input", dir + "/one.npy",
                                  "--out", out, "--seed", "3", "--top", "0"});
    ASSERT_EQ(one.code, 0) << one.err;
    const Tensor& y1 = net.forward(Tensor({1, 1, 28, 28}, wave(784, 1.0f)), Mode::Eval);
    EXPECT_EQ(readNpy(out + "/output.npy").values(), y1.values());
    EXPECT_EQ(readNpy(out + "/output.npy").shape(), (Shape{1, 10}));
    EXPECT_FALSE(has(one.out, "top ")) << one.out;
}

// An imported ONNX model runs with the weights it brought (no checkpoint, no warning): the
// convolution of the import tests, values computed by hand.
TEST(CliInfer, OnnxModelRunsItsOwnWeights) {
    const std::string dir = test::freshDir("infer_onnx");
    test::OnnxBuilder b({0, 1, 3, 3});
    b.init("w", {1, 1, 2, 2}, {1, 2, 3, 4});
    b.init("b", {1}, {0.5f});
    b.node("Conv", {"x", "w", "b"}, {"y"}, "/conv1/Conv");
    b.output("y");
    b.saveTo(dir + "/conv.onnx");
    writeF32(dir + "/x.npy", "(1, 1, 3, 3)", {1, 2, 3, 4, 5, 6, 7, 8, 9});
    const CliResult r = runCli({"infer", "--model", dir + "/conv.onnx", "--input", dir + "/x.npy",
                                "--out", dir + "/out", "--layer", "all"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(readNpy(dir + "/out/output.npy").values(),
              (std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f}));
    EXPECT_TRUE(has(r.out, "weights: the model's own")) << r.out;
    EXPECT_FALSE(has(r.out, "warning")) << r.out;

    // A dynamic height and width: refused without --input-size, run with it.
    test::OnnxBuilder d({0, 1, 0, 0});
    d.init("w", {1, 1, 2, 2}, {1, 2, 3, 4});
    d.node("Conv", {"x", "w"}, {"y"});
    d.output("y");
    d.saveTo(dir + "/dynamic.onnx");
    const std::vector<std::string> cmd = {"infer",      "--model",      dir + "/dynamic.onnx",
                                          "--input",    dir + "/x.npy", "--out",
                                          dir + "/out2"};
    const CliResult refused = runCli(cmd);
    EXPECT_EQ(refused.code, 1);
    EXPECT_TRUE(has(refused.err, "--input-size")) << refused.err;
    auto sized = cmd;
    sized.insert(sized.end(), {"--input-size", "3x3"});
    const CliResult ok = runCli(sized);
    ASSERT_EQ(ok.code, 0) << ok.err;
    EXPECT_EQ(readNpy(dir + "/out2/output.npy").values(), (std::vector<float>{37, 47, 67, 77}));
    sized.back() = "3";
    EXPECT_EQ(runCli(sized).code, 2);
    EXPECT_EQ(runCli(cmd).code, 1);  // the size does not stick to the next command
}

// Trained weights from a checkpoint, which also names the model (no --model); --layer all dumps
// every node, and LeNet-5's last node, named "output", is output.npy itself.
TEST(CliInfer, CheckpointWeightsAndEveryLayer) {
    const std::string dir = test::freshDir("infer_checkpoint"), out = dir + "/out";
    ModelSpec spec;
    Net net = loadModel("lenet5", &spec);
    net.resetParameters(11);
    saveCheckpoint(dir + "/w.llck", net, nullptr, 2, 40, spec.json);
    const std::vector<float> v = wave(784, 0.5f);
    writeF32(dir + "/x.npy", "(1, 28, 28)", v);
    const CliResult r = runCli({"infer", "--checkpoint", dir + "/w.llck", "--input", dir + "/x.npy",
                                "--out", out, "--layer", "all", "--top", "3"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(has(r.out, "warning")) << r.out;
    EXPECT_TRUE(has(r.out, "weights: " + dir + "/w.llck (epoch 2, step 40)\n")) << r.out;
    EXPECT_TRUE(has(r.out, "top 3 classes (softmax of the output):\n")) << r.out;
    const Tensor& y = net.forward(Tensor({1, 1, 28, 28}, v), Mode::Eval);
    EXPECT_EQ(readNpy(out + "/output.npy").values(), y.values());
    for (int i = 0; i + 1 < net.size(); ++i) {
        const std::string name = net.layer(i).name();
        const Tensor t = readNpy(out + "/" + name + ".npy");
        EXPECT_EQ(t.shape(), net.activation(i).shape()) << name;
        EXPECT_EQ(t.values(), net.activation(i).values()) << name;
        EXPECT_TRUE(has(r.out, name + " " + t.shape().str() + " → " + out + "/" + name + ".npy"))
            << name << " in " << r.out;
    }
    EXPECT_EQ(filesIn(out).size(), static_cast<std::size_t>(net.size()));
}

// Names that are no file names are sanitized and made unique, and the mapping is printed; a flat
// input (F) takes float64; an output that already is a probability vector is taken as it is.
TEST(CliInfer, SanitizedNamesFlatInputAndProbabilities) {
    const std::string dir = test::freshDir("infer_names"), out = dir + "/out";
    std::ofstream(dir + "/tiny.json") << R"({"name": "tiny", "input": [4], "layers": [
        {"type": "Linear", "name": "enc/fc 1", "out": 5},
        {"type": "ReLU", "name": "enc_fc_1"},
        {"type": "Linear", "name": ".out", "out": 3},
        {"type": "Softmax", "name": "probs"}]})";
    std::vector<std::uint8_t> f8;
    for (double d : {0.5, -1.25, 2.0, 0.1}) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &d, 8);
        test::putLe(f8, bits, 8);
    }
    test::writeBytes(dir + "/x.npy", test::npy("<f8", "(4,)", f8));
    const CliResult r =
        runCli({"infer", "--model", dir + "/tiny.json", "--input", dir + "/x.npy", "--out", out,
                "--layer", "enc/fc 1", "--layer", "enc_fc_1", "--layer", ".out", "--layer", "input",
                "--layer", "probs", "--layer", "enc/fc 1"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "float64 (4) converted to float32, fed as is")) << r.out;
    EXPECT_TRUE(has(r.out, "enc/fc 1 (1, 5) → " + out + "/enc_fc_1.npy\n")) << r.out;
    EXPECT_TRUE(has(r.out, "enc_fc_1 (1, 5) → " + out + "/enc_fc_1-2.npy\n")) << r.out;
    EXPECT_TRUE(has(r.out, ".out (1, 3) → " + out + "/_out.npy\n")) << r.out;
    EXPECT_TRUE(
        has(r.out, "top 3 classes (the output as it is: its rows are already probabilities)"))
        << r.out;
    EXPECT_EQ(filesIn(out), (std::vector<std::string>{"_out.npy", "enc_fc_1-2.npy", "enc_fc_1.npy",
                                                      "input.npy", "output.npy", "probs.npy"}));
    Net net = loadModel(dir + "/tiny.json");
    net.resetParameters(1);
    const Tensor x({1, 4}, {0.5f, -1.25f, 2.0f, 0.1f});
    net.forward(x, Mode::Eval);
    EXPECT_EQ(readNpy(out + "/input.npy").values(), x.values());
    EXPECT_EQ(readNpy(out + "/enc_fc_1.npy").values(), net.activation(0).values());
    EXPECT_EQ(readNpy(out + "/enc_fc_1-2.npy").values(), net.activation(1).values());
    EXPECT_EQ(readNpy(out + "/_out.npy").values(), net.activation(2).values());
    EXPECT_EQ(readNpy(out + "/probs.npy").values(), net.output().values());
    EXPECT_EQ(readNpy(out + "/output.npy").values(), net.output().values());
}

// An image is fed as training feeds images: converted and resized to the model's input by the
// image-folder code, then (x/255 − mean) / std with the data set's statistics, or x/255
// (--no-normalize), or 0..255 (--raw-pixels).
TEST(CliInfer, ImagesAreScaledAsTrainingScalesThem) {
    const std::string dir = test::freshDir("infer_image"), out = dir + "/out";
    test::writeNetpbm(dir + "/digit.pgm", 40, 30, false, 12, 5);
    DecodedImage img;
    ASSERT_TRUE(decodeImage(dir + "/digit.pgm", img, nullptr));
    const std::vector<std::uint8_t> pixels = toModelInput(img, 1, 28, 28);
    struct Case {
        std::vector<std::string> flags;
        float mean, std, scale;
        std::string says;
    };
    const Case cases[] = {
        {{},
         0.1307f,
         0.3081f,
         255,
         "image 40×30 grey → 28×28 grey, (x/255 − mean) / std with mnist's mean 0.1307 and "
         "std 0.3081\n"},
        {{"--no-normalize"}, 0, 1, 255, "x/255 (no normalization)"},
        {{"--raw-pixels"}, 0, 1, 1, "pixels as stored, 0..255"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"infer",   "--model",          "lenet5",
                                         "--input", dir + "/digit.pgm", "--out",
                                         out,       "--layer",          "input"};
        args.insert(args.end(), c.flags.begin(), c.flags.end());
        const CliResult r = runCli(args);
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_TRUE(has(r.out, c.says)) << r.out;
        const Tensor x = readNpy(out + "/input.npy");
        ASSERT_EQ(x.shape(), (Shape{1, 1, 28, 28}));
        for (std::size_t i = 0; i < pixels.size(); ++i)
            ASSERT_NEAR(x[static_cast<std::int64_t>(i)], (pixels[i] / c.scale - c.mean) / c.std,
                        1e-5)
                << i;
    }
    // A colour image into a CIFAR-10 model: RGB, each channel with its own statistics.
    test::writeNetpbm(dir + "/shape.ppm", 20, 20, true, 3, 9);
    ASSERT_TRUE(decodeImage(dir + "/shape.ppm", img, nullptr));
    const std::vector<std::uint8_t> rgb = toModelInput(img, 3, 32, 32);
    const CliResult r = runCli({"infer", "--model", "mlp-cifar", "--input", dir + "/shape.ppm",
                                "--out", out, "--layer", "input"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "(0.4914, 0.4822, 0.4465) and std (0.247, 0.2435, 0.2616)")) << r.out;
    const Tensor x = readNpy(out + "/input.npy");
    const float mean[3] = {0.4914f, 0.4822f, 0.4465f}, std[3] = {0.2470f, 0.2435f, 0.2616f};
    for (int ch = 0; ch < 3; ++ch)
        for (int k = 0; k < 32 * 32; ++k) {
            const auto i = static_cast<std::size_t>(ch * 1024 + k);
            ASSERT_NEAR(x[static_cast<std::int64_t>(i)], (rgb[i] / 255.0f - mean[ch]) / std[ch],
                        1e-5);
        }
    // The statistics must fit the model's channels.
    const CliResult bad = runCli({"infer", "--model", "mlp-cifar", "--input", dir + "/shape.ppm",
                                  "--out", dir + "/bad", "--dataset", "mnist"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_TRUE(has(bad.err, "the mnist statistics are for 1 channel(s), mlp-cifar takes 3"))
        << bad.err;
    EXPECT_FALSE(fs::exists(dir + "/bad"));
    // A model that names no data set (as AlexNet) needs to be told how to scale an image.
    std::ofstream(dir + "/nodata.json") << R"({"name": "nodata", "input": [3, 8, 8],
        "dataset": "none", "layers": [{"type": "Flatten"}, {"type": "Linear", "out": 2}]})";
    const CliResult none = runCli({"infer", "--model", dir + "/nodata.json", "--input",
                                   dir + "/shape.ppm", "--out", dir + "/bad"});
    EXPECT_EQ(none.code, 2);
    EXPECT_EQ(none.err,
              "layerlens infer: nodata's data set 'none' has no statistics to normalize an image "
              "with: give --dataset, --no-normalize or --raw-pixels\n");
    const CliResult raw = runCli({"infer", "--model", dir + "/nodata.json", "--input",
                                  dir + "/shape.ppm", "--out", dir + "/raw", "--raw-pixels"});
    EXPECT_EQ(raw.code, 0) << raw.err;
    EXPECT_EQ(readNpy(dir + "/raw/output.npy").shape(), (Shape{1, 2}));
}

// Mistakes are one line on stderr with exit code 2 (usage) or 1 (a bad file), found before
// anything is written: the output folder is never created.
TEST(CliInfer, BadInputsAreOneLineErrorsAndWriteNothing) {
    const std::string dir = test::freshDir("infer_bad"), out = dir + "/out";
    writeF32(dir + "/good.npy", "(1, 28, 28)", wave(784, 0));
    writeF32(dir + "/wrong.npy", "(3, 32, 32)", wave(3 * 1024, 0));
    writeF32(dir + "/empty.npy", "(0, 1, 28, 28)", {});
    std::ofstream(dir + "/text.npy") << "hello, world\n";
    std::ofstream(dir + "/notes.txt") << "hello, world\n";
    {
        std::vector<std::uint8_t> b =
            test::npy("<f4", "(2, 1, 28, 28)", std::vector<std::uint8_t>(2 * 784 * 4));
        b.resize(1000);
        test::writeBytes(dir + "/cut.npy", b);
    }
    test::writeBytes(dir + "/int.npy",
                     test::npy("<i8", "(1, 28, 28)", std::vector<std::uint8_t>(784 * 8)));
    {
        Net mlp = loadModel("mlp-mnist");
        mlp.resetParameters(1);
        saveCheckpoint(dir + "/mlp.llck", mlp, nullptr, 1, 1);
    }
    struct Case {
        std::vector<std::string> args;
        int code;
        std::string says;
        bool oneLine = true;
    };
    const std::string good = dir + "/good.npy";
    const std::vector<Case> cases = {
        {{"--input", dir + "/wrong.npy"},
         2,
         "--input '" + dir +
             "/wrong.npy' has shape (3, 32, 32); lenet5 takes (1, 28, 28) per sample: give (1, "
             "28, 28) or (N, 1, 28, 28)"},
        {{"--input", dir + "/empty.npy"}, 2, "holds no sample (shape (0, 1, 28, 28))"},
        {{"--input", dir + "/text.npy"}, 1, "text.npy: not a .npy array (no \\x93NUMPY magic)"},
        {{"--input", dir + "/cut.npy"}, 1, "cut.npy: the array data runs past the end"},
        {{"--input", dir + "/int.npy"}, 1, "arrays of type '<i8' are not read"},
        {{"--input", dir + "/notes.txt"}, 1, "is neither a .npy array nor an image"},
        {{"--input", dir + "/missing.npy"}, 1, "missing.npy': no such file"},
        {{"--input", dir}, 1, "': not a file"},
        {{"--input", good, "--layer", "conv9"},
         2,
         "--layer 'conv9': lenet5 has no node of that name; its 12 nodes are c1, tanh1, s2, c3, "
         "tanh2, s4, ... ('layerlens summary' lists them; 'all' dumps every one, 'input' the "
         "tensor fed)"},
        {{"--input", good, "--top", "-1"}, 2, "--top must be in [0, 100000], got -1"},
        // The checkpoint's own message goes on to list every mismatching tensor.
        {{"--input", good, "--checkpoint", dir + "/mlp.llck"},
         1,
         "checkpoint '" + dir + "/mlp.llck' (model 'mlp-mnist') does not fit model 'lenet5':\n",
         false},
        {{"--input", good, "--model", "nosuch"}, 2, "nosuch"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"infer", "--out", out};
        if (std::find(c.args.begin(), c.args.end(), "--model") == c.args.end())
            args.insert(args.end(), {"--model", "lenet5"});
        args.insert(args.end(), c.args.begin(), c.args.end());
        const CliResult r = runCli(args);
        EXPECT_EQ(r.code, c.code) << c.says << ": " << r.err;
        EXPECT_EQ(r.err.rfind("layerlens infer: ", 0), 0u) << r.err;
        EXPECT_EQ(r.out, "") << r.out;
        EXPECT_TRUE(has(r.err, c.says)) << r.err;
        if (c.oneLine) {
            EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        }
        EXPECT_FALSE(fs::exists(out)) << c.says;
    }
    // Required options.
    CliResult r = runCli({"infer", "--model", "lenet5", "--input", good});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "layerlens infer: --out is required; see 'layerlens infer --help'\n");
    r = runCli({"infer", "--model", "lenet5", "--out", out});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "layerlens infer: --input is required; see 'layerlens infer --help'\n");
    r = runCli({"infer", "--input", good, "--out", out});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(has(r.err, "--model is required")) << r.err;
    EXPECT_FALSE(fs::exists(out));
    // An output "folder" that is a file: refused, the file left as it was.
    std::ofstream(dir + "/taken") << "keep";
    r = runCli({"infer", "--model", "lenet5", "--input", good, "--out", dir + "/taken"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(has(r.err, "cannot create the output folder '" + dir + "/taken'")) << r.err;
    std::ifstream kept(dir + "/taken");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "keep");
    // The real program exits the same way, without a signal.
    r = test::runProgram(LAYERLENS_BIN,
                         {"infer", "--model", "lenet5", "--input", dir + "/cut.npy", "--out", out});
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_TRUE(has(r.err, "the array data runs past the end")) << r.err;
    EXPECT_FALSE(fs::exists(out));
}

}  // namespace ll
