#include "support/check.h"

#include <fstream>

#include "core/model_file.h"
#include "support/data_files.h"

namespace ll {

namespace {
std::string errorOf(const std::string& json) {
    try {
        buildNet(json, nullptr, "test.json");
    } catch (const ModelError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(ModelFile, EveryPresetBuildsAndRuns) {
    const auto names = presetNames();
    EXPECT_GE(names.size(), 8u);
    for (const std::string& name : names) {
        ModelSpec spec;
        Net net = loadModel(name, &spec);
        EXPECT_EQ(spec.name, name);
        EXPECT_FALSE(spec.description.empty()) << name;
        EXPECT_GT(net.numParams(), 0) << name;
    }
}

TEST(ModelFile, PresetParameterCounts) {
    // Counted by hand from the layer sizes.
    EXPECT_EQ(loadModel("mlp-cifar").numParams(),
              3072 * 500 + 500 + 500 * 200 + 200 + 2 * (200 * 200 + 200) + 200 * 10 + 10);
    EXPECT_EQ(loadModel("logreg").numParams(), 785);
    EXPECT_EQ(loadModel("smallnet-bn").numParams(), (3 * 9 * 16 + 16) + 32 + (16 * 9 * 16 + 16) +
                                                        32 + (16384 * 1024 + 1024) + 2048 +
                                                        (1024 * 10 + 10));
    EXPECT_EQ(loadModel("alexnet-mnist").numParams(),
              (1 * 16 * 96 + 96) + (96 * 9 * 96 + 96) + (96 * 25 * 256 + 256) +
                  (256 * 9 * 384 + 384) + (384 * 9 * 384 + 384) + (384 * 9 * 256 + 256) +
                  (6400 * 800 + 800) + (800 * 10 + 10));
}

TEST(ModelFile, DefaultsAndInference) {
    ModelSpec spec;
    Net net = buildNet(R"({"name": "m", "input": [3, 8, 8],
        "defaults": {"optimizer": "adam", "lr": 0.003, "batch": 7, "classes": [4, 9]},
        "layers": [{"type": "Conv2d", "out": 4, "kernel": [3, 1], "padding": "same"},
                   {"type": "MaxPool2d", "kernel": 2}, {"type": "Flatten"},
                   {"type": "Linear", "in": 64, "out": 2}]})",
                       &spec);
    EXPECT_EQ(spec.defaults.optimizer, "adam");
    EXPECT_FLOAT_EQ(spec.defaults.lr, 0.003f);
    EXPECT_EQ(spec.defaults.batch, 7);
    EXPECT_EQ(spec.defaults.classes, (std::vector<int>{4, 9}));
    EXPECT_EQ(net.outputShapes()[0], Shape({1, 4, 8, 8}));  // "same" for a 3×1 kernel
    EXPECT_EQ(net.outputShapes()[1], Shape({1, 4, 4, 4}));  // pooling stride defaults to kernel
}

// The spec alone (the window reads defaults with it, never building AlexNet's 61 M weights for
// that): the same as what loadModel fills in, for every preset.
TEST(ModelFile, SpecWithoutBuilding) {
    for (const std::string& name : presetNames()) {
        ModelSpec built;
        loadModel(name, &built);
        const ModelSpec read = readModelSpec(name);
        EXPECT_EQ(read.name, built.name) << name;
        EXPECT_EQ(read.json, built.json) << name;
        EXPECT_EQ(read.defaults.dataset, built.defaults.dataset) << name;
        EXPECT_EQ(read.defaults.optimizer, built.defaults.optimizer) << name;
        EXPECT_EQ(read.defaults.lr, built.defaults.lr) << name;
        EXPECT_EQ(read.defaults.batch, built.defaults.batch) << name;
        EXPECT_EQ(read.defaults.classes, built.defaults.classes) << name;
        EXPECT_EQ(read.defaults.rawPixels, built.defaults.rawPixels) << name;
    }
    EXPECT_EQ(readModelSpec("logreg").defaults.classes, (std::vector<int>{4, 9}));
    EXPECT_THROW(readModelSpec("lenet6"), UsageError);
    EXPECT_THROW(readModelSpec("/no/such/model.json"), DataError);
    const std::string bad = test::freshDir("spec") + "/bad.json";
    std::ofstream(bad) << "{\"name\": \"x\", \"defaults\": 3}";
    EXPECT_THROW(readModelSpec(bad), ModelError);
}

TEST(ModelFile, ErrorsPointToTheLayerAndShapes) {
    std::string e = errorOf(R"({"input": [1, 28, 28], "layers": [{"type": "Flatten"},
                                {"type": "Linear", "name": "fc", "in": 400, "out": 10}]})");
    EXPECT_NE(e.find("layer 1 'fc' (Linear)"), std::string::npos) << e;
    EXPECT_NE(e.find("784"), std::string::npos) << e;
    e = errorOf(R"({"input": [1, 28, 28], "layers": [{"type": "Linear", "out": 10}]})");
    EXPECT_NE(e.find("Flatten"), std::string::npos) << e;
    e = errorOf(R"({"input": [1, 4, 4], "layers": [{"type": "Conv2d", "out": 2, "kernel": 5}]})");
    EXPECT_NE(e.find("does not fit"), std::string::npos) << e;
    e = errorOf(R"({"input": [1, 4, 4], "layers": [{"type": "Conv2d", "out": 2, "kernal": 3}]})");
    EXPECT_NE(e.find("unknown key \"kernal\" (known: in, out, kernel,"), std::string::npos) << e;
    e = errorOf(R"({"input": [1, 4, 4], "layers": [{"type": "Conv2d", "out": 2}]})");
    EXPECT_NE(e.find("needs \"kernel\""), std::string::npos) << e;
    e = errorOf(
        R"({"input": [1, 4, 4], "layers": [{"type": "Conv2d", "out": 2, "kernel": 3, "strides": 1}]})");
    EXPECT_NE(e.find("unknown key \"strides\""), std::string::npos) << e;
    e = errorOf(R"({"input": [1, 4, 4], "layers": [{"type": "Convolution"}]})");
    EXPECT_NE(e.find("unknown layer type"), std::string::npos) << e;
    EXPECT_NE(errorOf(R"({"input": [1, 4, 4], "layers": [)").find("not valid JSON"),
              std::string::npos);
    EXPECT_NE(errorOf(R"({"layers": []})").find("\"input\""), std::string::npos);
    EXPECT_NE(errorOf(R"({"input": [1], "layers": []})").find("non-empty"), std::string::npos);
    EXPECT_NE(errorOf(R"({"input": [0, 4], "layers": []})").find("positive"), std::string::npos);
}

TEST(ModelFile, FilesAndUnknownNames) {
    const std::string path = ::testing::TempDir() + "/ll_model.json";
    {
        std::ofstream f(path);
        f << presetJson("logreg");
    }
    EXPECT_EQ(loadModel(path).numParams(), 785);
    EXPECT_THROW(loadModel("no-such-model"), UsageError);
    EXPECT_THROW(loadModelFile("/nonexistent/model.json"), DataError);
}

}  // namespace ll
