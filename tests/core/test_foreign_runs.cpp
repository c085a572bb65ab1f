// Runs logged by other tools (core/foreign_runs.h): Lightning and Keras CSV logs written here,
// read back with exact values, gaps, cut-off lines and malformed cells.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/foreign_runs.h"
#include "core/runs.h"
#include "support/data_files.h"

namespace ll {

namespace {

void writeText(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

const CurvePoints* curve(const RunData& r, Curve c) {
    for (const CurvePoints& cp : r.curves)
        if (cp.curve == c) return &cp;
    return nullptr;
}

}  // namespace

TEST(ForeignRuns, MappingTable) {
    EXPECT_EQ(curveForName("train_loss")->first, Curve::Loss);
    EXPECT_EQ(curveForName("Loss/train")->first, Curve::Loss);
    EXPECT_EQ(curveForName("epoch_loss")->first, Curve::Loss);
    EXPECT_EQ(curveForName("acc")->first, Curve::Accuracy);
    EXPECT_EQ(curveForName("epoch_accuracy")->first, Curve::Accuracy);
    EXPECT_EQ(curveForName("val_loss")->first, Curve::TestLoss);
    EXPECT_EQ(curveForName("Loss/test")->first, Curve::TestLoss);
    EXPECT_EQ(curveForName("val_epoch_loss")->first, Curve::TestLoss);
    EXPECT_EQ(curveForName("val_accuracy")->first, Curve::TestAccuracy);
    EXPECT_EQ(curveForName("lr")->first, Curve::LearningRate);
    EXPECT_EQ(curveForName("lr-SGD")->first, Curve::LearningRate);
    EXPECT_EQ(curveForName("epoch_learning_rate")->first, Curve::LearningRate);
    EXPECT_FALSE(curveForName("grad_norm").has_value());
    EXPECT_FALSE(curveForName("step").has_value());
    // Per step before per epoch.
    EXPECT_LT(curveForName("train_loss_step")->second, curveForName("train_loss_epoch")->second);
}

// Lightning's CSVLogger: one row per log call, blanks where a metric was not logged, validation
// rows at the step the epoch ended, the learning rate from LearningRateMonitor.
TEST(ForeignRuns, LightningCsvWithGapsAndCutLine) {
    const std::string root = test::freshDir("foreign_lightning");
    const std::string dir = root + "/version_0";
    const std::string csv =
        "epoch,lr-SGD,step,train_acc_step,train_loss_epoch,train_loss_step,val_acc,val_loss\n"
        "0,0.1,0,,,,,\n"
        "0,,9,0.25,,2.5,,\n"
        "0,,19,0.5,,1.75,,\n"
        "0,,19,,,,0.625,1.5\n"
        "0,,19,,2.125,,,\n"
        "1,0.05,20,,,,,\n"
        "1,,29,0.75,,abc,,\n"  // a malformed number: only that cell is lost
        "1,,39,0.875,,0.5,,\n"
        "1,,39,,,,0.75,1.25\n"
        "1,,39,,0.75";  // the job is still writing this line
    writeText(dir + "/metrics.csv", csv);
    writeText(dir + "/hparams.yaml", "lr: 0.1\n");
    EXPECT_EQ(foreignRunKind(dir), "lightning-csv");
    const RunData r = loadRun(dir);
    EXPECT_EQ(r.kind, "lightning-csv");
    EXPECT_EQ(r.name, "version_0");
    ASSERT_EQ(r.warnings.size(), 2u);
    EXPECT_EQ(r.warnings[0], "metrics.csv: line 11 cut short (still being written?), ignored");
    EXPECT_EQ(r.warnings[1],
              "metrics.csv: line 8: 'abc' in column 'train_loss_step' is not a number, ignored");
    // The per-step loss is drawn; the per-epoch one is listed as not used.
    EXPECT_EQ(r.unmapped, std::vector<std::string>{"train_loss_epoch"});
    const CurvePoints* loss = curve(r, Curve::Loss);
    ASSERT_NE(loss, nullptr);
    EXPECT_EQ(loss->source, "train_loss_step");
    ASSERT_EQ(loss->points.size(), 3u);
    EXPECT_EQ(loss->points[0], (std::pair<std::int64_t, double>{9, 2.5}));
    EXPECT_EQ(loss->points[2], (std::pair<std::int64_t, double>{39, 0.5}));
    EXPECT_EQ(curve(r, Curve::Accuracy)->points.size(), 4u);
    EXPECT_EQ(curve(r, Curve::TestLoss)->points.size(), 2u);
    EXPECT_EQ(curve(r, Curve::TestAccuracy)->source, "val_acc");
    EXPECT_EQ(curve(r, Curve::LearningRate)->points.size(), 2u);
    // Batches at every step with a training loss or accuracy, the learning rate then in effect.
    ASSERT_EQ(r.batches.size(), 4u);
    EXPECT_EQ(r.batches[0].step, 9);
    EXPECT_EQ(r.batches[0].epoch, 0);
    EXPECT_EQ(r.batches[0].loss, 2.5);
    EXPECT_EQ(r.batches[0].accuracy, 0.25);
    EXPECT_EQ(r.batches[0].lr, 0.1f);
    EXPECT_EQ(r.batches[2].step, 29);
    EXPECT_TRUE(std::isnan(r.batches[2].loss));  // the malformed cell
    EXPECT_EQ(r.batches[2].accuracy, 0.75);
    EXPECT_EQ(r.batches[2].lr, 0.05f);
    EXPECT_EQ(r.batches[3].epoch, 1);
    ASSERT_EQ(r.evals.size(), 2u);
    EXPECT_EQ(r.evals[0].step, 19);
    EXPECT_EQ(r.evals[0].loss, 1.5);
    EXPECT_EQ(r.evals[0].accuracy, 0.625);  // a fraction stays a fraction
    EXPECT_EQ(r.evals[1].accuracy, 0.75);
    const auto curves = runCurves(r);
    ASSERT_EQ(curves.size(), 5u);
    EXPECT_EQ(curves[0].curve, Curve::Loss);
    EXPECT_EQ(curves[0].points.size(), 3u);
    // Never modified: the cut line is still there, nothing was added to the folder.
    std::ifstream in(dir + "/metrics.csv", std::ios::binary);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), csv);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 2);
    EXPECT_THROW(renameRun(dir, "renamed"), DataError);
    EXPECT_THROW(deleteRun(dir), DataError);
    EXPECT_TRUE(std::filesystem::exists(dir + "/metrics.csv"));
}

// Keras' CSVLogger: one row per epoch, its own file name; accuracy written in percent by a
// custom metric is turned into a fraction with a warning.
TEST(ForeignRuns, KerasCsvPerEpoch) {
    const std::string root = test::freshDir("foreign_keras");
    const std::string dir = root + "/keras-mnist";
    writeText(dir + "/training.log",
              "epoch,accuracy,loss,lr,val_accuracy,val_loss\n"
              "0,0.5,1.5,0.001,0.625,1.25\n"
              "1,0.75,0.75,0.001,0.875,0.5\n"
              "2,0.875,nan,0.0005,,0.375\n"
              "x,1,1,1,1,1\n"
              "3,0.9");
    EXPECT_EQ(foreignRunKind(dir), "keras-csv");
    const RunData r = loadRun(dir);
    EXPECT_EQ(r.kind, "keras-csv");
    ASSERT_EQ(r.warnings.size(), 2u) << r.warnings[0];
    EXPECT_EQ(r.warnings[0], "training.log: line 6 cut short (still being written?), ignored");
    EXPECT_EQ(r.warnings[1], "training.log: line 5 is malformed (cell count or epoch), ignored");
    EXPECT_TRUE(r.unmapped.empty());
    ASSERT_EQ(r.epochs.size(), 3u);
    EXPECT_EQ(r.epochs[0].epoch, 1);  // Keras counts from 0, LayerLens from 1
    EXPECT_EQ(r.epochs[0].trainAccuracy, 0.5);
    EXPECT_EQ(r.epochs[1].trainLoss, 0.75);
    EXPECT_EQ(r.epochs[1].testAccuracy, 0.875);
    EXPECT_TRUE(std::isnan(r.epochs[2].trainLoss));     // Keras' "nan": a diverged loss
    EXPECT_TRUE(std::isnan(r.epochs[2].testAccuracy));  // a blank
    EXPECT_EQ(r.epochs[2].testLoss, 0.375);
    // Points at step = Keras' epoch, as TensorBoard draws them.
    ASSERT_EQ(r.batches.size(), 3u);
    EXPECT_EQ(r.batches[1].step, 1);
    EXPECT_EQ(r.batches[1].epoch, 2);
    EXPECT_EQ(r.batches[2].lr, 0.0005f);
    ASSERT_EQ(r.evals.size(), 3u);
    EXPECT_TRUE(std::isnan(r.evals[2].accuracy));
    EXPECT_EQ(curve(r, Curve::TestAccuracy)->points.size(), 2u);

    const std::string pct = root + "/percent";
    writeText(pct + "/log.csv", "epoch,acc,loss\n0,50,1\n1,87.5,0.5\n");
    const RunData p = loadRun(pct);
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_EQ(p.warnings[0], "'acc' reads as a percentage (up to 87.5): divided by 100");
    EXPECT_EQ(p.batches[1].accuracy, 0.875);
}

// The Runs dock and `layerlens runs --list` see foreign folders beside ours; folders that are
// neither are left out; a LayerLens run without its config.json is never taken for a Keras log.
TEST(ForeignRuns, ListedBesideOurRuns) {
    const std::string root = test::freshDir("foreign_list");
    {
        RunLog log = RunLog::create(root, "ours", "{}");
        BatchReport b;
        b.step = 3;
        b.loss = 0.5;
        b.accuracy = 0.25;
        b.lr = 0.125f;
        log.appendBatch(b);
        EvalReport e;
        e.step = 3;
        e.loss = 0.75;
        e.accuracy = std::nan("");  // a run without test labels
        log.appendEval(e);
    }
    writeText(root + "/lightning/metrics.csv", "epoch,step,train_loss\n0,1,0.5\n");
    writeText(root + "/keras/history.csv", "epoch,loss\n0,0.5\n");
    writeText(root + "/notes/readme.csv", "epoch,comment\n0,hello\n");
    writeText(root + "/half-created/epochs.csv",
              "epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s\n");
    writeText(root + "/half-created/batches.csv",
              "step,epoch,batch,loss,accuracy,lr,images_per_s\n");
    writeText(root + "/empty/x.txt", "");
    const auto runs = listRuns(root);
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[0], root + "/keras");
    EXPECT_EQ(runs[1], root + "/lightning");
    EXPECT_EQ(runs[2], root + "/ours");
    EXPECT_THROW(loadRun(root + "/notes"), DataError);
    // Our runs' curves, counted the same way.
    const auto ours = runCurves(loadRun(root + "/ours"));
    ASSERT_EQ(ours.size(), 4u);  // no test accuracy
    EXPECT_EQ(ours[2].curve, Curve::TestLoss);
    EXPECT_EQ(ours[2].source, "evals.csv");
    EXPECT_EQ(ours[2].points, (std::vector<std::pair<std::int64_t, double>>{{3, 0.75}}));
    EXPECT_EQ(ours[3].curve, Curve::LearningRate);
    EXPECT_EQ(ours[3].points[0].second, 0.125);
    // A log folder given itself is listed too.
    EXPECT_EQ(listRuns(root + "/keras"), std::vector<std::string>{root + "/keras"});
}

}  // namespace ll

namespace ll {

// The user's mapping (the Runs dock's dialog) comes before the table: an unknown column becomes
// the loss, the table's own loss column steps aside, and names match whatever their case.
TEST(ForeignRuns, UserMappingComesFirst) {
    const std::string dir = test::freshDir("foreign_mapping");
    writeText(dir + "/metrics.csv",
              "epoch,step,train_loss,My_Objective,top1\n0,1,2.0,1.5,0.25\n0,2,1.0,0.5,0.5\n");
    const RunData plain = loadForeignRun(dir);
    ASSERT_NE(curve(plain, Curve::Loss), nullptr);
    EXPECT_EQ(curve(plain, Curve::Loss)->source, "train_loss");
    EXPECT_EQ(curve(plain, Curve::Accuracy), nullptr);
    const TagMapping mapping{{"my_objective", Curve::Loss}, {"top1", Curve::Accuracy}};
    const RunData mapped = loadForeignRun(dir, mapping);
    ASSERT_NE(curve(mapped, Curve::Loss), nullptr);
    EXPECT_EQ(curve(mapped, Curve::Loss)->source, "My_Objective");
    EXPECT_EQ(curve(mapped, Curve::Loss)->points.back().second, 0.5);
    ASSERT_NE(curve(mapped, Curve::Accuracy), nullptr);
    EXPECT_EQ(curve(mapped, Curve::Accuracy)->points.size(), 2u);
    EXPECT_NE(std::find(mapped.unmapped.begin(), mapped.unmapped.end(), "train_loss"),
              mapped.unmapped.end());
    // The follower applies it too.
    ForeignRunFollower f(dir, mapping);
    EXPECT_EQ(curve(f.run(), Curve::Loss)->source, "My_Objective");
}

}  // namespace ll
