#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/runs.h"
#include "support/data_files.h"

namespace ll {

TEST(Runs, AppendReloadAndCrashSafety) {
    const std::string root = test::freshDir("runs");
    std::string dir;
    {
        RunLog log = RunLog::create(root, "lenet-sgd", R"({"model": "lenet5"})");
        dir = log.dir();
        for (int s = 1; s <= 5; ++s) {
            BatchReport b;
            b.step = s;
            b.epoch = 1;
            b.batch = s;
            b.loss = 2.0 / s;
            b.accuracy = 0.1 * s;
            b.lr = 0.1f;
            log.appendBatch(b);
        }
        EvalReport e;
        e.step = 5;
        e.epoch = 1;
        e.loss = 0.5;
        e.accuracy = 0.9;
        e.samples = 100;
        log.appendEval(e);
        EpochReport ep;
        ep.epoch = 1;
        ep.trainLoss = 0.8;
        log.appendEpoch(ep);
    }
    // The app dies while writing a line.
    std::ofstream(dir + "/batches.csv", std::ios::app) << "6,1,6,0.3";
    const RunData r = loadRun(dir);
    EXPECT_EQ(r.name, "lenet-sgd");
    EXPECT_EQ(r.configJson, R"({"model": "lenet5"})");
    ASSERT_EQ(r.batches.size(), 5u);  // nothing before the cut line is lost
    EXPECT_DOUBLE_EQ(r.batches[3].loss, 0.5);
    ASSERT_EQ(r.evals.size(), 1u);
    EXPECT_DOUBLE_EQ(r.evals[0].accuracy, 0.9);
    ASSERT_EQ(r.epochs.size(), 1u);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("cut short"), std::string::npos) << r.warnings[0];
    // Appending after the crash continues the run (a resumed run).
    {
        std::ofstream(dir + "/batches.csv", std::ios::app) << "\n";  // close the cut line
        RunLog again(dir);
        BatchReport b;
        b.step = 7;
        again.appendBatch(b);
    }
    const RunData r2 = loadRun(dir);
    EXPECT_EQ(r2.batches.back().step, 7);
    EXPECT_EQ(r2.warnings.size(), 1u);  // the closed cut line is now a malformed line, skipped
}

TEST(Runs, ListRenameDelete) {
    const std::string root = test::freshDir("runs_manage");
    const std::string a = RunLog::create(root, "a", "{}").dir();
    const std::string a2 = RunLog::create(root, "a", "{}").dir();  // name taken: a-2
    EXPECT_EQ(std::filesystem::path(a2).filename(), "a-2");
    std::filesystem::create_directories(root + "/not-a-run");
    EXPECT_EQ(listRuns(root).size(), 2u);
    const std::string b = renameRun(a, "baseline");
    EXPECT_EQ(std::filesystem::path(b).filename(), "baseline");
    EXPECT_THROW(renameRun(b, "a-2"), DataError);
    EXPECT_THROW(renameRun(b, "../escape"), UsageError);
    deleteRun(b);
    EXPECT_EQ(listRuns(root).size(), 1u);
    EXPECT_THROW(deleteRun(root + "/not-a-run"), DataError);
    EXPECT_TRUE(std::filesystem::exists(root + "/not-a-run"));
    EXPECT_THROW(loadRun(root + "/not-a-run"), DataError);
}

}  // namespace ll
