#include <gtest/gtest.h>

#include <algorithm>

#include "core/data/load.h"
#include "core/data/synthetic.h"
#include "core/model_file.h"
#include "core/trainer.h"

namespace ll {

TEST(Synthetic, DeterministicBySeedAndIndependentOfCount) {
    const Dataset a = makeSyntheticDigits(200, 5, "train");
    const Dataset b = makeSyntheticDigits(200, 5, "train");
    EXPECT_EQ(a.images, b.images);
    EXPECT_EQ(a.labels, b.labels);
    // Image i depends only on (seed, split, i): a smaller set is a prefix of a larger one.
    const Dataset prefix = makeSyntheticDigits(50, 5, "train");
    EXPECT_TRUE(std::equal(prefix.images.begin(), prefix.images.end(), a.images.begin()));
    EXPECT_NE(makeSyntheticDigits(200, 6, "train").images, a.images);
    EXPECT_NE(makeSyntheticDigits(200, 5, "test").images, a.images);
    const Dataset s1 = makeSyntheticShapes(64, 2, "train"),
                  s2 = makeSyntheticShapes(64, 2, "train");
    EXPECT_EQ(s1.images, s2.images);
    EXPECT_EQ(s1.channels, 3);
    EXPECT_EQ(s1.height, 32);
}

TEST(Synthetic, ShapesLabelsAndStatistics) {
    const Dataset d = makeSyntheticDigits(2000, 1, "train");
    ASSERT_EQ(d.size(), 2000);
    EXPECT_EQ(d.sampleShape(), Shape({1, 28, 28}));
    EXPECT_EQ(d.numClasses(), 10);
    std::vector<int> counts(10, 0);
    for (auto l : d.labels)
        ++counts.at(l);
    for (int c : counts)
        EXPECT_NEAR(c, 200, 60);  // uniform labels
    // Dark background, bright strokes, like MNIST (mean 0.13, std 0.31).
    EXPECT_GT(d.mean[0], 0.05f);
    EXPECT_LT(d.mean[0], 0.35f);
    EXPECT_GT(d.stddev[0], 0.15f);
    // No blank images: every digit has ink.
    for (int i = 0; i < d.size(); ++i) {
        const std::uint8_t* p = d.image(i);
        EXPECT_GT(*std::max_element(p, p + 784), 200) << i;
    }
    EXPECT_THROW(makeSyntheticShapes(-1, 1, "train"), UsageError);
}

TEST(Synthetic, LoadDataNeedsNoDirectory) {
    DataOptions o;
    o.dataset = "synthetic-shapes";
    o.trainSubset = 300;
    o.testSubset = 100;
    const DataPair p = loadData(o);
    EXPECT_EQ(p.train.size(), 300);
    EXPECT_EQ(p.test.size(), 100);
    EXPECT_EQ(p.train.classNames[2], "triangle");
    o.dataset = "synthetic-letters";
    EXPECT_THROW(loadData(o), UsageError);
}

// The offline default: LeNet-5 learns the synthetic digits above 95% in a short run.
TEST(Synthetic, LeNet5LearnsTheDigits) {
    DataOptions o;
    o.dataset = "synthetic-digits";
    o.trainSubset = 8000;
    o.testSubset = 1000;
    const DataPair p = loadData(o);
    Net net = loadModel("lenet5");
    net.resetParameters(1);
    TrainConfig c;
    c.opt.lr = 0.1f;
    c.batch = 100;
    c.epochs = 4;
    c.layerNorms = false;
    struct Last : TrainObserver {
        EpochReport e;
        void onEpoch(const EpochReport& r) override { e = r; }
    } last;
    Trainer t(net, p.train, &p.test, c);
    t.run(nullptr, &last);
    EXPECT_GT(last.e.testAccuracy, 0.95);
}

}  // namespace ll
