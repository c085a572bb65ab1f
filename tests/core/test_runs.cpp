#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/experiments.h"
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

// Per-layer norms are saved with every batch and come back with it; a cut-off norms line loses
// only itself.
TEST(Runs, NormsPerBatchSavedAndReloaded) {
    const std::string root = test::freshDir("runs_norms");
    std::string dir;
    {
        RunLog log = RunLog::create(root, "sigmoid", "{}");
        dir = log.dir();
        for (int s = 1; s <= 4; ++s) {
            BatchReport b;
            b.step = s;
            b.epoch = s <= 2 ? 1 : 2;
            b.loss = 1.0 / 3.0 + s;  // needs 9 digits to come back exactly as a float would
            b.norms = {{"fc1", 10.0 + s, 1e-5 * s}, {"odd,name", 5.0, 0.5 * s}};
            log.appendBatch(b);
        }
    }
    std::ofstream(dir + "/norms.csv", std::ios::app) << "5,fc1,1";  // crash mid-line
    const RunData r = loadRun(dir);
    ASSERT_EQ(r.batches.size(), 4u);
    for (const BatchReport& b : r.batches)
        ASSERT_EQ(b.norms.size(), 2u) << "step " << b.step;
    EXPECT_EQ(r.batches[2].norms[0].layer, "fc1");
    EXPECT_EQ(r.batches[2].norms[1].layer, "odd_name");  // a comma cannot break the file
    EXPECT_DOUBLE_EQ(r.batches[2].norms[0].weightNorm, 13.0);
    EXPECT_NEAR(r.batches[2].norms[0].gradNorm, 3e-5, 1e-13);
    EXPECT_NEAR(r.batches[1].loss, 1.0 / 3.0 + 2, 1e-8);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("norms.csv"), std::string::npos) << r.warnings[0];
    // Means over an epoch: epoch 2 holds steps 3 and 4; 0 picks the last epoch.
    const std::vector<LayerNorms> m = meanLayerNorms(r);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].layer, "fc1");
    EXPECT_DOUBLE_EQ(m[0].weightNorm, 13.5);
    EXPECT_NEAR(m[0].gradNorm, 3.5e-5, 1e-13);
    EXPECT_NEAR(m[1].gradNorm, 1.75, 1e-12);
    EXPECT_NEAR(meanLayerNorms(r, 1)[1].gradNorm, 0.75, 1e-12);
    EXPECT_TRUE(meanLayerNorms(r, 3).empty());
}

// What the experiment summaries say, from saved runs.
TEST(Runs, ExperimentFindings) {
    auto run = [](std::vector<double> losses, double firstGrad) {
        RunData r;
        for (std::size_t i = 0; i < losses.size(); ++i) {
            BatchReport b;
            b.step = static_cast<std::int64_t>(i) + 1;
            b.epoch = 1;
            b.loss = losses[i];
            b.norms = {{"fc1", 1, firstGrad}, {"fc2", 1, 2.0}};
            r.batches.push_back(b);
        }
        return r;
    };
    const RunData a = run({2.0, 1.5, 1.0}, 1e-4), b = run({2.0, 1.25, 1.0, 0.5}, 4.0);
    std::size_t n = 0;
    EXPECT_DOUBLE_EQ(maxBatchLossDifference(a, b, &n), 0.25);
    EXPECT_EQ(n, 3u);  // steps both logged
    const auto opt =
        experimentFindings("optimizers", {{"sgd", a}, {"momentum", a}, {"momentum-form1", b}});
    ASSERT_EQ(opt.size(), 1u);
    EXPECT_NE(opt[0].find("largest batch-loss difference 0.25 over 3 batches"), std::string::npos)
        << opt[0];
    const auto vg = experimentFindings("vanishing-gradients", {{"sigmoid", a}, {"relu", b}});
    ASSERT_EQ(vg.size(), 2u);
    EXPECT_NE(vg[0].find("sigmoid: gradient norm of the first layer (fc1) / the last (fc2)"),
              std::string::npos)
        << vg[0];
    EXPECT_NE(vg[0].find(": 5e-05."), std::string::npos) << vg[0];
    EXPECT_NE(vg[1].find(": 2."), std::string::npos) << vg[1];
    EXPECT_TRUE(experimentFindings("optimizers", {{"sgd", a}}).empty());  // variants missing
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

// What runConfigJson writes, readRunConfig reads back (Same start, Open run in the window).
TEST(Runs, ConfigReadsBackWhatItWrote) {
    DataOptions d;
    d.dataset = "cifar10";
    d.labelNoise = 0.25;
    d.trainSubset = 0.1;  // a fraction: read back as the count the run had
    TrainConfig c;
    c.optimizer = "adam";
    c.loss = "non_ce";
    c.opt.lr = 0.125f;
    c.opt.momentum = 0.5f;
    c.opt.weightDecay = 0.25f;
    c.batch = 48;
    c.epochs = 7;
    c.seed = 42;
    const RunConfig r =
        readRunConfig(runConfigJson("vgg-cifar", "{\"layers\": []}", d, c, {}, 5000));
    EXPECT_EQ(r.model, "vgg-cifar");
    EXPECT_EQ(r.modelJson, "{\"layers\": []}");
    EXPECT_EQ(r.dataset, "cifar10");
    EXPECT_EQ(r.seed, 42);
    EXPECT_EQ(r.batch, 48);
    EXPECT_EQ(r.epochs, 7);
    EXPECT_EQ(r.labelNoise, 0.25);
    EXPECT_EQ(r.trainSubset, 5000);
    ASSERT_TRUE(r.training);
    EXPECT_EQ(r.training->optimizer, "adam");
    EXPECT_EQ(r.training->loss, "non_ce");
    EXPECT_EQ(r.training->lr, 0.125);
    EXPECT_EQ(r.training->momentum, 0.5);
    EXPECT_EQ(r.training->weightDecay, 0.25);
    // A count is kept as a count; an older run's config without the keys leaves them unset.
    d.trainSubset = 300;
    EXPECT_EQ(readRunConfig(runConfigJson("lenet5", "", d, c)).trainSubset, 300);
    const RunConfig old = readRunConfig(R"({"model": "mlp-mnist", "train_subset": 0.5})");
    EXPECT_EQ(old.model, "mlp-mnist");
    EXPECT_EQ(old.seed, 1);
    EXPECT_FALSE(old.batch || old.epochs || old.labelNoise || old.trainSubset || old.training);
    EXPECT_THROW(readRunConfig("{\"model\": "), DataError);
    EXPECT_THROW(readRunConfig("[1, 2]"), DataError);
    EXPECT_THROW(readRunConfig(R"({"batch": "many"})"), DataError);
}

// One plan for `layerlens experiment` and the window: the user's epochs win, then the
// experiment's, then the caller's fallback, then the model's; every run has the user's seed and
// the data settings made from its model's defaults, then the variant's changes.
TEST(Runs, ExperimentPlanOrdersEpochsAndKeepsTheStart) {
    ExperimentBase base;
    base.seed = 9;
    std::vector<std::string> datasets;
    base.data = [&](const ModelDefaults& d) {
        datasets.push_back(d.dataset);
        DataOptions o;
        o.dir = "/data";
        o.dataset = d.dataset;
        return o;
    };
    std::string explain;
    const std::vector<PlannedRun> opt = planExperiment("optimizers", base, explain);
    EXPECT_NE(explain.find("LeNet-5"), std::string::npos);
    ASSERT_EQ(opt.size(), 5u);
    EXPECT_EQ(datasets, std::vector<std::string>(5, "mnist"));
    for (const PlannedRun& r : opt) {
        EXPECT_EQ(r.model, "lenet5");
        EXPECT_EQ(r.config.seed, 9u);
        EXPECT_EQ(r.config.epochs, r.spec.defaults.epochs);  // nobody said otherwise
        EXPECT_EQ(r.data.dir, "/data");
    }
    EXPECT_EQ(opt[0].variant, "sgd");
    EXPECT_EQ(opt[0].config.optimizer, "sgd");
    EXPECT_EQ(opt[4].config.optimizer, "adam");
    EXPECT_FLOAT_EQ(opt[4].config.opt.lr, 0.001f);

    base.fallbackEpochs = 4;  // the window's panel
    EXPECT_EQ(planExperiment("optimizers", base, explain)[0].config.epochs, 4);
    EXPECT_EQ(planExperiment("random-labels", base, explain)[0].config.epochs, 30);
    base.epochs = 2;  // the command line's --epochs
    EXPECT_EQ(planExperiment("random-labels", base, explain)[0].config.epochs, 2);

    // The loss functions' variants train with labels in {-1, 1}: the loss decides.
    const std::vector<PlannedRun> loss = planExperiment("loss-functions", base, explain);
    ASSERT_EQ(loss.size(), 2u);
    EXPECT_EQ(loss[1].config.loss, "non_ce");
    EXPECT_TRUE(loss[1].config.batchOptions.signedLabels);
    EXPECT_THROW(planExperiment("no-such-experiment", base, explain), UsageError);
}

}  // namespace ll
