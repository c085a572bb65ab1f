// layerlens runs: our runs and other tools' logs listed side by side, one run's curves as CSV.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/runs.h"
#include "core/tfevents.h"
#include "support/data_files.h"
#include "support/run_cli.h"

namespace ll {

namespace {

void writeBytes(const std::string& path, const std::string& bytes) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

// Event{step = 2: 7, summary = 5: {value = 1: {tag = 1: "Loss/train", simple_value = 2: 0.5f}}}.
std::string lossEvent() {
    const std::string value = std::string("\x0a\x0aLoss/train\x15\x00\x00\x00\x3f", 17);
    const std::string summary = "\x0a" + std::string(1, static_cast<char>(value.size())) + value;
    return "\x10\x07\x2a" + std::string(1, static_cast<char>(summary.size())) + summary;
}

}  // namespace

TEST(CliRuns, ListsOursAndForeignRunsAndShowsCurves) {
    const std::string root = test::freshDir("cli_runs");
    {
        RunLog log = RunLog::create(root, "ours", "{}");
        BatchReport b;
        b.step = 1;
        b.loss = 2;
        b.accuracy = 0.5;
        b.lr = 0.25f;
        log.appendBatch(b);
    }
    writeBytes(root + "/tb/events.out.tfevents.1.host", tfRecord(lossEvent()));
    writeBytes(root + "/lightning/metrics.csv",
               "epoch,step,train_loss,val_acc,weird\n0,4,0.75,,1\n0,4,,0.5,\n0,5,0.25");
    writeBytes(root + "/keras/log.csv", "epoch,loss,val_loss\n0,1.5,2\n1,1,1.5\n");
    test::CliResult r = test::runCli({"runs", root});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "keras                    keras-csv      loss 2, test loss 2\n"
              "lightning                lightning-csv  loss 1, test accuracy 1\n"
              "    warning: metrics.csv: line 4 cut short (still being written?), ignored\n"
              "    not drawn: weird\n"
              "ours                     layerlens      loss 1, accuracy 1, learning rate 1\n"
              "tb                       tensorboard    loss 1\n");
    r = test::runCli({"runs", "--show", root + "/tb"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "# tb (tensorboard)\ncurve,source,step,value\nloss,Loss/train,7,0.5\n");
    r = test::runCli({"runs", "--list", root + "/lightning"});
    EXPECT_EQ(r.out.rfind("lightning                lightning-csv  loss 1", 0), 0u) << r.out;
    r = test::runCli({"runs", "--show", root});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("is not a LayerLens run"), std::string::npos) << r.err;
    r = test::runCli({"runs"});
    EXPECT_EQ(r.code, 2);
}

}  // namespace ll
