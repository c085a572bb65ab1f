#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "app/cli.h"
#include "core/model_file.h"
#include "support/run_cli.h"

namespace ll {

using Result = test::CliResult;
using test::runCli;

TEST(Cli, DemoPassesEveryGradientCheckAndPrintsCounts) {
    const Result r = runCli({"demo"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("lenet5: 61706 parameters"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("lenet5-c3: 60806 parameters"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("All gradient checks passed."), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST(Cli, BadInputGivesOneLineAndNonZeroExit) {
    Result r = runCli({"frobnicate"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown command"), std::string::npos);
    r = runCli({"demo", "--seed"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--seed needs a value"), std::string::npos) << r.err;
    r = runCli({"demo", "--bogus", "1"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown option --bogus"), std::string::npos) << r.err;
    r = runCli({"demo", "--seed", "abc"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("needs a number"), std::string::npos) << r.err;
}

TEST(Cli, ModelsListsPresetsWithCounts) {
    const Result r = runCli({"models"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("lenet5-c3"), std::string::npos);
    EXPECT_NE(r.out.find("60806"), std::string::npos);
}

}  // namespace ll

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/runs.h"
#include "support/data_files.h"
#include "support/http_server.h"

namespace ll {

TEST(CliTrain, TrainsWritesMetricsAndCheckpointThenResumes) {
    const std::string data = test::freshDir("cli_mnist");
    test::writeMnist(data, 60, true);
    const std::string out = test::freshDir("cli_run");
    Result r = runCli({"train", "--model", "lenet5", "--data", data, "--epochs", "1", "--batch",
                       "20", "--out", out, "--threads", "1"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("epoch  1/1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("test accuracy:"), std::string::npos) << r.out;
    std::ifstream csv(out + "/metrics.csv");
    std::string header, row, extra;
    std::getline(csv, header);
    std::getline(csv, row);
    EXPECT_EQ(header, "epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s");
    EXPECT_EQ(row.rfind("1,", 0), 0u) << row;
    EXPECT_FALSE(std::getline(csv, extra));
    ASSERT_TRUE(std::filesystem::exists(out + "/checkpoint.llck"));
    r = runCli({"train", "--model", "lenet5", "--data", data, "--epochs", "2", "--batch", "20",
                "--out", out, "--resume", out + "/checkpoint.llck"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("resumed from"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("epoch  1/2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("epoch  2/2"), std::string::npos) << r.out;
}

TEST(CliTrain, BadInputsAreOneLineErrors) {
    Result r = runCli({"train", "--model", "lenet5", "--data", "/nonexistent"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
    r = runCli({"train", "--model", "lenet5", "--data", "/tmp", "--label-noise", "2"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--label-noise must be in [0, 1]"), std::string::npos) << r.err;
    r = runCli({"train", "--model", "nosuch", "--data", "/tmp"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("not a preset"), std::string::npos) << r.err;
    r = runCli({"train", "--data", "/tmp"});
    EXPECT_EQ(r.code, 2);
    r = runCli({"train", "--model", "logreg", "--data", "/tmp", "--classes", "4"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("exactly two classes"), std::string::npos) << r.err;
}

TEST(CliBench, JsonHasTheDocumentedKeys) {
    const Result r = runCli({"bench", "--model", "logreg", "--batch", "8", "--threads", "1",
                             "--format", "json", "--rounds", "1", "--seconds", "0.05"});
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* key : {"\"model\":\"logreg\"", "\"batch\":8", "\"threads\":1",
                            "\"train_images_per_s\"", "\"infer_images_per_s\""}) {
        EXPECT_NE(r.out.find(key), std::string::npos) << key << " in " << r.out;
    }
}

// --kernels picks the kernel set for the command (and says which ran); a bad name is a usage
// error naming the choices.
TEST(CliBench, KernelsOptionSelectsTheKernelSet) {
    Result r = runCli({"bench", "--model", "logreg", "--batch", "8", "--threads", "1", "--format",
                       "json", "--rounds", "1", "--seconds", "0.02", "--kernels", "reference"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("\"kernels\":\"reference\""), std::string::npos) << r.out;
    r = runCli({"bench", "--model", "logreg", "--batch", "8", "--threads", "1", "--format", "json",
                "--rounds", "1", "--seconds", "0.02"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("\"kernels\":\"fast\""), std::string::npos) << r.out;
    r = runCli({"bench", "--model", "logreg", "--kernels", "turbo"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--kernels must be fast or reference"), std::string::npos) << r.err;
}

// --per-layer: one row per node with the node's direct multiply-adds (LeNet-5's, by hand) and its
// times, the machine's peak, and the text table's header and totals.
TEST(CliBench, PerLayerTimesEveryNodeAgainstThePeak) {
    Result r = runCli({"bench", "--model", "lenet5", "--batch", "4", "--threads", "1", "--format",
                       "json", "--rounds", "1", "--seconds", "0.05", "--per-layer"});
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_GT(j.at("fma_peak_gflops").get<double>(), 1.0);
    // The times are medians over at least 3 passes of each kind (one slow pass moves no row).
    EXPECT_EQ(j.at("per_layer_statistic"), "median");
    EXPECT_GE(j.at("per_layer_infer_passes").get<int>(), 3);
    EXPECT_GE(j.at("per_layer_train_passes").get<int>(), 3);
    const Net net = loadModel("lenet5");
    const auto& rows = j.at("per_layer");
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(net.size()));
    // c1 reads the input: its backward is weights-only, so it has no split; c3 has one.
    EXPECT_EQ(rows[0].at("name"), "c1");
    EXPECT_EQ(rows[0].at("macs"), 6 * 28 * 28 * 25);  // 6 maps of 28×28, 5×5 taps of 1 channel
    EXPECT_FALSE(rows[0].contains("backward_data_ms"));
    for (const auto& row : rows) {
        EXPECT_GE(row.at("infer_ms").get<double>(), 0.0);
        EXPECT_GE(row.at("backward_ms").get<double>(), 0.0);
        if (row.at("name") == "c3") {
            EXPECT_EQ(row.at("macs"), 16 * 10 * 10 * 6 * 25);
            EXPECT_GT(row.at("backward_weights_ms").get<double>(), 0.0);
            EXPECT_GE(row.at("backward_data_ms").get<double>(), 0.0);
            // The step's backward time split in the ratio of the two passes timed alone.
            const double alone = row.at("alone_backward_ms").get<double>();
            const double aloneWeights = row.at("alone_backward_weights_ms").get<double>();
            ASSERT_GT(alone, 0.0);
            EXPECT_NEAR(row.at("backward_weights_ms").get<double>() +
                            row.at("backward_data_ms").get<double>(),
                        row.at("backward_ms").get<double>(), 1e-9);
            EXPECT_NEAR(row.at("backward_weights_ms").get<double>(),
                        row.at("backward_ms").get<double>() * std::min(1.0, aloneWeights / alone),
                        1e-9);
        }
    }
    r = runCli({"bench", "--model", "lenet5", "--batch", "4", "--threads", "1", "--rounds", "1",
                "--seconds", "0.05", "--per-layer"});
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* text :
         {"fp32 FMA peak", "bwd-weights", "c3 ", "all nodes", "whole training step", "median of "})
        EXPECT_NE(r.out.find(text), std::string::npos) << text << " in " << r.out;
}

}  // namespace ll

namespace ll {

TEST(CliTrain, TrainsOnAnImageFolderAndReportsSkippedFiles) {
    const std::string root = test::freshDir("cli_images");
    for (int c = 0; c < 2; ++c) {
        const std::string dir = root + "/class" + std::to_string(c);
        std::filesystem::create_directories(dir);
        for (int i = 0; i < 10; ++i)
            test::writeNetpbm(dir + "/" + std::to_string(i) + ".pgm", 16, 16, false, 3 + 8 * c, i);
    }
    std::ofstream(root + "/class1/bad.pgm") << "P5 garbage";
    std::ostringstream out, err;
    const int code =
        cli::run({"train", "--model", "lenet5", "--dataset", "images", "--data", root, "--epochs",
                  "1", "--batch", "4", "--no-progress", "--out", root + "/run"},
                 out, err);
    EXPECT_EQ(code, 0) << err.str();
    EXPECT_NE(out.str().find("1 file(s) skipped"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("bad.pgm"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("16 training / 4 test images"), std::string::npos) << out.str();
}

}  // namespace ll

namespace ll {

// End to end against a local server holding the real MNIST files (skipped without them):
// download with the official checksums, then the files are found and load.
TEST(CliDownload, MnistFromALocalMirrorThenFound) {
    const std::string real = test::realDataDir();
    if (real.empty()) GTEST_SKIP() << "../shared/data not found: real-data test skipped";
    test::LocalHttpServer server;
    for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                          "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
        std::ifstream in(real + "/mnist/" + f, std::ios::binary);
        server.route(std::string("/mnist/") + f,
                     {std::string(std::istreambuf_iterator<char>(in), {})});
    }
    const std::string to = test::freshDir("cli_download");
    std::ostringstream out, err;
    int code =
        cli::run({"download", "mnist", "--url", server.url() + "/mnist", "--to", to}, out, err);
    ASSERT_EQ(code, 0) << err.str();
    EXPECT_NE(out.str().find("mnist is ready: --data " + to), std::string::npos) << out.str();
    std::ostringstream listing, err2;
    EXPECT_EQ(cli::run({"data", "--data", to}, listing, err2), 0);
    EXPECT_NE(listing.str().find("mnist in " + to + "/mnist"), std::string::npos) << listing.str();
    // A wrong mirror: checksums fail, a clear error, nothing kept.
    const std::string to2 = test::freshDir("cli_download_bad");
    server.route("/bad/train-images-idx3-ubyte.gz", {"not mnist"});
    std::ostringstream out3, err3;
    code = cli::run({"download", "mnist", "--url", server.url() + "/bad", "--to", to2}, out3, err3);
    EXPECT_EQ(code, 1);
    EXPECT_NE(err3.str().find("checksum mismatch"), std::string::npos) << err3.str();
    EXPECT_FALSE(std::filesystem::exists(to2 + "/mnist/train-images-idx3-ubyte.gz"));
}

}  // namespace ll

namespace ll {

TEST(CliTrain, TheOutputFolderIsASavedRun) {
    const std::string out = test::freshDir("cli_saved_run") + "/run";
    const Result r = runCli({"train", "--model", "lenet5", "--dataset", "synthetic-digits",
                             "--train-subset", "200", "--test-subset", "100", "--batch", "50",
                             "--epochs", "2", "--no-progress", "--out", out});
    ASSERT_EQ(r.code, 0) << r.err;
    const RunData run = loadRun(out);
    EXPECT_EQ(run.batches.size(), 8u);  // 4 batches per epoch
    EXPECT_EQ(run.evals.size(), 2u);
    EXPECT_EQ(run.epochs.size(), 2u);
    EXPECT_TRUE(run.warnings.empty());
    EXPECT_NE(run.configJson.find("\"dataset\": \"synthetic-digits\""), std::string::npos);
    EXPECT_NE(run.configJson.find("\"seed\": 1"), std::string::npos);
}

// --tensorboard: the run also as a TensorBoard log, which our run reader reads back with the
// same steps and values (as floats) as the saved run.
TEST(CliTrain, TensorBoardLogReadsBackAsTheRun) {
    const std::string root = test::freshDir("cli_tensorboard");
    const std::string out = root + "/run", tb = root + "/tb";
    // logreg keeps two classes (4 and 9) of the first 1000 images: about 200, 4 batches.
    const Result r = runCli({"train", "--model", "logreg", "--dataset", "synthetic-digits",
                             "--train-subset", "1000", "--test-subset", "200", "--batch", "50",
                             "--epochs", "1", "--no-progress", "--out", out, "--tensorboard", tb});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("TensorBoard log: " + tb + "/events.out.tfevents."), std::string::npos)
        << r.out;
    EXPECT_EQ(listRuns(tb), std::vector<std::string>{tb});
    const RunData ours = loadRun(out), theirs = loadRun(tb);
    EXPECT_EQ(theirs.kind, "tensorboard");
    EXPECT_TRUE(theirs.warnings.empty());
    ASSERT_GE(ours.batches.size(), 3u);
    ASSERT_EQ(theirs.batches.size(), ours.batches.size());
    for (std::size_t i = 0; i < ours.batches.size(); ++i) {
        EXPECT_EQ(theirs.batches[i].step, ours.batches[i].step);
        EXPECT_FLOAT_EQ(static_cast<float>(theirs.batches[i].loss),
                        static_cast<float>(ours.batches[i].loss));
        EXPECT_FLOAT_EQ(static_cast<float>(theirs.batches[i].accuracy),
                        static_cast<float>(ours.batches[i].accuracy));
        EXPECT_FLOAT_EQ(theirs.batches[i].lr, ours.batches[i].lr);
    }
    ASSERT_EQ(ours.evals.size(), 1u);
    ASSERT_EQ(theirs.evals.size(), 1u);
    EXPECT_EQ(theirs.evals[0].step, ours.batches.back().step);
    EXPECT_FLOAT_EQ(static_cast<float>(theirs.evals[0].accuracy),
                    static_cast<float>(ours.evals[0].accuracy));
    EXPECT_EQ(runCurves(theirs).size(), 5u);
    // The norms of logreg's one layer come back as every batch's norms (the gradient-norm views).
    ASSERT_EQ(ours.batches[0].norms.size(), 1u);
    for (std::size_t i = 0; i < ours.batches.size(); ++i) {
        ASSERT_EQ(theirs.batches[i].norms.size(), 1u) << i;
        EXPECT_EQ(theirs.batches[i].norms[0].layer, ours.batches[i].norms[0].layer);
        EXPECT_FLOAT_EQ(static_cast<float>(theirs.batches[i].norms[0].gradNorm),
                        static_cast<float>(ours.batches[i].norms[0].gradNorm));
        EXPECT_FLOAT_EQ(static_cast<float>(theirs.batches[i].norms[0].weightNorm),
                        static_cast<float>(ours.batches[i].norms[0].weightNorm));
    }
    EXPECT_EQ(std::find(theirs.unmapped.begin(), theirs.unmapped.end(),
                        "grad_norm/" + ours.batches[0].norms[0].layer),
              theirs.unmapped.end());
}

// A TensorBoard folder that cannot be made: one line naming it, exit 1, no run folder made.
TEST(CliTrain, UnwritableTensorBoardFolderIsAnError) {
    const std::string root = test::freshDir("cli_tensorboard_bad");
    std::ofstream(root + "/file") << "x";
    const Result r =
        runCli({"train", "--model", "logreg", "--dataset", "synthetic-digits", "--train-subset",
                "50", "--test-subset", "10", "--epochs", "1", "--no-progress", "--out",
                root + "/run", "--tensorboard", root + "/file/tb"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("cannot create the TensorBoard log folder '" + root + "/file/tb'"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(std::filesystem::exists(root + "/run"));
    EXPECT_NE(runCli({"train", "--help"}).out.find("--tensorboard DIR"), std::string::npos);
}

}  // namespace ll

namespace ll {

// The course experiments run headless on the built-in data, each variant saved as a run from the
// same start.
TEST(CliExperiment, OptimizersFromTheSameStartWithASummary) {
    const std::string out = test::freshDir("cli_experiment");
    const Result r =
        runCli({"experiment", "optimizers", "--dataset", "synthetic-digits", "--train-subset",
                "400", "--test-subset", "100", "--epochs", "1", "--out", out});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(listRuns(out).size(), 5u);
    EXPECT_NE(r.out.find("| momentum-form1 |"), std::string::npos) << r.out;
    // Both momentum forms follow the same trajectory; SGD does not.
    const RunData a = loadRun(out + "/momentum"), b = loadRun(out + "/momentum-form1"),
                  s = loadRun(out + "/sgd");
    ASSERT_EQ(a.batches.size(), b.batches.size());
    for (std::size_t i = 0; i < a.batches.size(); ++i)
        EXPECT_NEAR(a.batches[i].loss, b.batches[i].loss, 1e-4) << i;
    // The same start: the first batch (before any update) has the same loss in every run.
    EXPECT_DOUBLE_EQ(a.batches[0].loss, s.batches[0].loss);
    EXPECT_NE(a.batches.back().loss, s.batches.back().loss);
    EXPECT_NE(r.out.find("largest batch-loss difference"), std::string::npos) << r.out;
    // Every run keeps its per-layer norms and its final weights.
    ASSERT_EQ(a.batches.back().norms.size(), 5u);  // LeNet-5: c1, c3, f5, f6, output
    EXPECT_EQ(a.batches.back().norms[2].layer, "f5");
    EXPECT_TRUE(std::filesystem::exists(runCheckpointPath(a.dir)));
}

// Batch norm: with and without, and the folding check printed after the summary.
TEST(CliExperiment, BatchNormWithTheFoldingCheck) {
    const std::string out = test::freshDir("cli_experiment_bn");
    const Result r =
        runCli({"experiment", "batchnorm", "--dataset", "synthetic-shapes", "--train-subset", "128",
                "--test-subset", "64", "--epochs", "1", "--out", out});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(listRuns(out).size(), 2u);
    EXPECT_NE(r.out.find("with-bn: Fewer layers: 11 → 8 top-level layers"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("the same prediction for 64 of 64"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("without-bn: Fewer layers"), std::string::npos) << r.out;
}

// --tensorboard: a log per variant, in a folder of its own; each reads back as its run.
TEST(CliExperiment, TensorBoardLogPerVariant) {
    const std::string root = test::freshDir("cli_experiment_tb");
    const Result r = runCli({"experiment", "vanishing-gradients", "--dataset", "synthetic-digits",
                             "--train-subset", "100", "--test-subset", "50", "--epochs", "1",
                             "--out", root + "/runs", "--tensorboard", root + "/tb"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("TensorBoard logs in " + root + "/tb"), std::string::npos) << r.out;
    EXPECT_EQ(listRuns(root + "/tb"),
              (std::vector<std::string>{root + "/tb/relu", root + "/tb/sigmoid"}));
    for (const std::string v : {"relu", "sigmoid"}) {
        const RunData ours = loadRun(root + "/runs/" + v), theirs = loadRun(root + "/tb/" + v);
        EXPECT_EQ(theirs.kind, "tensorboard");
        ASSERT_FALSE(ours.batches.empty());
        ASSERT_EQ(theirs.batches.size(), ours.batches.size()) << v;
        EXPECT_EQ(theirs.batches.back().step, ours.batches.back().step);
        EXPECT_FLOAT_EQ(static_cast<float>(theirs.batches.back().loss),
                        static_cast<float>(ours.batches.back().loss));
        EXPECT_EQ(theirs.evals.size(), ours.evals.size()) << v;
    }
}

TEST(CliExperiment, RandomLabelsAndUnknownNames) {
    const std::string out = test::freshDir("cli_experiment_rl");
    const Result r =
        runCli({"experiment", "random-labels", "--dataset", "synthetic-digits", "--train-subset",
                "200", "--test-subset", "100", "--epochs", "1", "--out", out});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(listRuns(out).size(), 6u);
    EXPECT_NE(loadRun(out + "/noise-1.0").configJson.find("\"label_noise\": 1.0"),
              std::string::npos);
    const Result bad = runCli({"experiment", "dropout"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("unknown experiment 'dropout'"), std::string::npos) << bad.err;
}

}  // namespace ll
