// The course experiments on the real MNIST files (skipped when ../shared/data is absent):
// short runs whose outcome the coursework states.
#include <gtest/gtest.h>

#include "core/data/mnist.h"
#include "core/model_file.h"
#include "core/trainer.h"
#include "support/data_files.h"

namespace ll {

namespace {

struct LastEpoch : TrainObserver {
    EpochReport last;
    void onEpoch(const EpochReport& e) override { last = e; }
};

EpochReport trainPreset(const std::string& preset, const Dataset& train, const Dataset& test,
                        const std::string& loss, int epochs = 0) {
    ModelSpec spec;
    Net net = loadModel(preset, &spec);
    net.resetParameters(1);
    TrainConfig c = trainConfigFromDefaults(spec.defaults);
    if (epochs > 0) c.epochs = epochs;
    c.loss = loss;
    c.batchOptions.signedLabels = makeLoss(loss)->signedLabels();
    c.layerNorms = false;
    Trainer t(net, train, &test, c);
    LastEpoch rec;
    t.run(nullptr, &rec);
    return rec.last;
}

}  // namespace

// Coursework: logistic regression on 4 vs 9 with plain SGD, 91.2% with cross-entropy and 78.1%
// with the non-CE squared loss. On raw pixels the non-CE loss saturates (its gradient carries a
// factor σ(1−σ)) and learns slower.
TEST(CourseExperiments, LogisticRegressionCrossEntropyBeatsNonCE) {
    const std::string root = test::realDataDir();
    if (root.empty()) GTEST_SKIP() << "../shared/data not found: real-data test skipped";
    Dataset train = loadMnist(root + "/mnist", "train"), test = loadMnist(root + "/mnist", "test");
    filterTwoClasses(train, 4, 9);
    filterTwoClasses(test, 4, 9);
    const EpochReport ce = trainPreset("logreg", train, test, "logistic");
    const EpochReport nonCe = trainPreset("logreg", train, test, "non_ce");
    EXPECT_GT(ce.testAccuracy, 0.90);
    EXPECT_GT(ce.testAccuracy, nonCe.testAccuracy + 0.05)
        << "cross-entropy " << ce.testAccuracy << ", non-CE " << nonCe.testAccuracy;
}

// Zhang et al. 2017: with every label replaced by a random one, the network still fits the
// training set while test accuracy stays at chance.
TEST(CourseExperiments, RandomLabelsAreMemorized) {
    const std::string root = test::realDataDir();
    if (root.empty()) GTEST_SKIP() << "../shared/data not found: real-data test skipped";
    Dataset train = loadMnist(root + "/mnist", "train"), test = loadMnist(root + "/mnist", "test");
    takeSubset(train, 1000, 7);
    takeSubset(test, 2000, 7);
    EXPECT_GT(applyLabelNoise(train, 1.0, 3), 850);  // about 9 in 10 labels change
    const EpochReport e = trainPreset("mlp-mnist", train, test, "cross_entropy", 40);
    EXPECT_GT(e.trainAccuracy, 0.8) << "memorization";
    EXPECT_LT(e.testAccuracy, 0.16) << "chance is 10%";
}

}  // namespace ll
