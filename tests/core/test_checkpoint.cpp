#include <gtest/gtest.h>

#include <filesystem>

#include "core/checkpoint.h"
#include "core/data/file_io.h"
#include "core/model_file.h"
#include "core/trainer.h"
#include "support/blobs.h"
#include "support/data_files.h"

namespace ll {

namespace {
std::vector<std::vector<float>> values(Net& net) {
    std::vector<std::vector<float>> v;
    for (Param* p : net.params())
        v.push_back(p->value.values());
    for (auto& b : net.namedBuffers())
        v.push_back(b.tensor->values());
    return v;
}
}  // namespace

TEST(Checkpoint, RoundTripRestoresWeightsOptimizerAndProgress) {
    const std::string dir = test::freshDir("ckpt_rt");
    const char* model =
        R"({"name": "m", "input": [1, 8, 8], "layers": [{"type": "Conv2d", "out": 3, "kernel": 3},
        {"type": "BatchNorm2d"}, {"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "out": 4}]})";
    const Dataset data = test::blobs(64, 1);
    TrainConfig c;
    c.optimizer = "adam";
    c.opt.lr = 0.01f;
    c.batch = 16;
    c.epochs = 1;
    Net a = buildNet(model);
    a.resetParameters(1);
    Trainer ta(a, data, nullptr, c);
    ta.run();
    saveCheckpoint(dir + "/a.llck", a, &ta.optimizer(), 1, ta.steps(), model);

    Net b = buildNet(model);
    b.resetParameters(99);
    Trainer tb(b, data, nullptr, c);
    const CheckpointInfo info = loadCheckpoint(dir + "/a.llck", b, &tb.optimizer());
    EXPECT_EQ(info.epoch, 1);
    EXPECT_EQ(info.step, 4);
    EXPECT_EQ(info.model, "m");
    EXPECT_EQ(info.modelJson, model);
    EXPECT_TRUE(info.optimizerRestored);
    EXPECT_EQ(values(a), values(b));
    // Training on from both gives identical results: optimizer moments came back too.
    c.epochs = 2;
    Trainer ta2(a, data, nullptr, c), tb2(b, data, nullptr, c);
    loadCheckpoint(dir + "/a.llck", a, &ta2.optimizer());
    loadCheckpoint(dir + "/a.llck", b, &tb2.optimizer());
    ta2.setEpochsDone(1);
    tb2.setEpochsDone(1);
    ta2.run();
    tb2.run();
    EXPECT_EQ(values(a), values(b));
}

TEST(Checkpoint, MismatchIsAClearErrorAndLeavesTheModelUntouched) {
    const std::string dir = test::freshDir("ckpt_mismatch");
    Net full = loadModel("lenet5");
    full.resetParameters(1);
    saveCheckpoint(dir + "/full.llck", full, nullptr, 3, 100);
    Net sparse = loadModel("lenet5-c3");
    sparse.resetParameters(2);
    const auto before = values(sparse);
    try {
        loadCheckpoint(dir + "/full.llck", sparse);
        FAIL() << "expected ModelError";
    } catch (const ModelError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("c3.weight: the model has (60, 5, 5), the checkpoint (16, 6, 5, 5)"),
                  std::string::npos)
            << msg;
        EXPECT_NE(msg.find("left unchanged"), std::string::npos) << msg;
    }
    EXPECT_EQ(values(sparse), before);
}

TEST(Checkpoint, DamagedFilesAreDetected) {
    const std::string dir = test::freshDir("ckpt_damaged");
    Net net = loadModel("logreg");
    saveCheckpoint(dir + "/c.llck", net, nullptr, 1, 1);
    const auto size = std::filesystem::file_size(dir + "/c.llck");
    std::filesystem::copy_file(dir + "/c.llck", dir + "/t.llck");
    std::filesystem::resize_file(dir + "/t.llck", size - 10);
    EXPECT_THROW(loadCheckpoint(dir + "/t.llck", net), DataError);
    auto bytes = readMaybeGzip(dir + "/c.llck");
    bytes[bytes.size() / 2] ^= 0x40;
    test::writeBytes(dir + "/f.llck", bytes);
    try {
        loadCheckpoint(dir + "/f.llck", net);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
    }
    test::writeBytes(dir + "/x.llck", {1, 2, 3});
    EXPECT_THROW(loadCheckpoint(dir + "/x.llck", net), DataError);
    EXPECT_THROW(loadCheckpoint(dir + "/none.llck", net), DataError);
}

TEST(Checkpoint, WritesAreAtomic) {
    const std::string dir = test::freshDir("ckpt_atomic");
    Net net = loadModel("logreg");
    net.resetParameters(1);
    saveCheckpoint(dir + "/c.llck", net, nullptr, 1, 1);
    const auto good = readMaybeGzip(dir + "/c.llck");
    // A write that cannot complete (the target is a directory, so the final rename fails) leaves
    // the old checkpoint intact and no temporary file behind.
    std::filesystem::create_directories(dir + "/busy.llck/x");
    EXPECT_THROW(saveCheckpoint(dir + "/busy.llck", net, nullptr, 2, 2), DataError);
    EXPECT_THROW(saveCheckpoint(dir + "/missing-dir/c.llck", net, nullptr, 2, 2), DataError);
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        files += e.is_regular_file();
    EXPECT_EQ(files, 1);
    // Overwriting replaces the file with a complete new one.
    net.resetParameters(2);
    saveCheckpoint(dir + "/c.llck", net, nullptr, 2, 2);
    EXPECT_NE(readMaybeGzip(dir + "/c.llck"), good);
    EXPECT_EQ(readCheckpointInfo(dir + "/c.llck").epoch, 2);
}

}  // namespace ll
