#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/lr_schedule.h"
#include "core/model_file.h"
#include "core/runs.h"
#include "core/trainer.h"
#include "support/blobs.h"

namespace ll {

namespace {

std::vector<double> factors(const LrSchedule& s, int epochs) {
    std::vector<double> f;
    for (int e = 1; e <= epochs; ++e)
        f.push_back(s.factor(e, epochs));
    return f;
}

}  // namespace

// He et al.'s recipe scaled to the run: ×0.1 after half and after three quarters of the epochs.
// The rates are PyTorch's MultiStepLR(milestones=[4, 6], gamma=0.1) stepped once per epoch.
TEST(LrSchedule, StepFallsAfterHalfAndThreeQuarters) {
    const LrSchedule s = parseLrSchedule("step");
    EXPECT_EQ(s.kind, LrSchedule::Kind::Step);
    EXPECT_EQ(s.milestones(8), (std::vector<int>{4, 6}));
    const std::vector<double> f = factors(s, 8);
    const double want[] = {1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01};
    for (int e = 0; e < 8; ++e)
        EXPECT_NEAR(f[e], want[e], 1e-15) << "epoch " << e + 1;
    // The preset's 30 epochs: 15 and 22.5, rounded up to 23.
    EXPECT_EQ(s.milestones(30), (std::vector<int>{15, 23}));
    EXPECT_EQ(s.factor(23, 30), 0.1);
    EXPECT_NEAR(s.factor(24, 30), 0.01, 1e-15);
    EXPECT_EQ(s.describe(30),
              "\xC3\x97"
              "0.1 after epochs 15 and 23 of 30");
    // Own fractions and factor.
    const LrSchedule t = parseLrSchedule("step:0.25,0.5,0.75:0.5");
    EXPECT_EQ(t.milestones(4), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(factors(t, 4), (std::vector<double>{1, 0.5, 0.25, 0.125}));
    // One epoch: a step after half of it falls after epoch 1 (0.5 rounds up), so none applies.
    EXPECT_EQ(s.factor(1, 1), 1.0);
}

TEST(LrSchedule, CosineAndConstant) {
    const LrSchedule c = parseLrSchedule("cosine");
    // PyTorch's CosineAnnealingLR(T_max=4): 1, (1+cos(pi/4))/2, 1/2, (1+cos(3pi/4))/2.
    const std::vector<double> f = factors(c, 4);
    EXPECT_DOUBLE_EQ(f[0], 1.0);
    EXPECT_NEAR(f[1], 0.8535533905932737, 1e-15);
    EXPECT_NEAR(f[2], 0.5, 1e-15);
    EXPECT_NEAR(f[3], 0.14644660940672624, 1e-15);
    EXPECT_EQ(factors(parseLrSchedule("constant"), 3), (std::vector<double>{1, 1, 1}));
    EXPECT_EQ(LrSchedule{}.str(), "constant");
}

TEST(LrSchedule, TextReadsBackAndBadTextIsNamed) {
    for (const char* text : {"constant", "cosine", "step:0.5,0.75", "step:0.3:0.2",
                             "step:0.1,0.333333333333,0.9:0.7"}) {
        const LrSchedule s = parseLrSchedule(text);
        EXPECT_EQ(parseLrSchedule(s.str()), s) << text;
        EXPECT_EQ(s.str(), text);
    }
    EXPECT_EQ(parseLrSchedule("step").str(), "step:0.5,0.75");
    const std::pair<const char*, const char*> bad[] = {
        {"linear", "unknown learning-rate schedule \"linear\""},
        {"", "unknown learning-rate schedule \"\""},
        {"step:0.75,0.5", "the fractions must increase (0.5 after 0.75)"},
        {"step:1.5", "the fraction 1.5 is not between 0 and 1"},
        {"step:0", "the fraction 0 is not between 0 and 1"},
        {"step:0.5,,0.7", "the fraction \"\" is not a number"},
        {"step:half", "the fraction \"half\" is not a number"},
        {"step:0.5:0", "the factor 0 must be in (0, 1]"},
        {"step:0.5:2", "the factor 2 must be in (0, 1]"},
        {"step:0.5:0.1:3", "at most two colons"},
        {"cosine:10", "cosine takes no values"},
        {"step:nan", "the fraction \"nan\" is not a number"},
    };
    for (const auto& [text, message] : bad) {
        try {
            parseLrSchedule(text);
            ADD_FAILURE() << "accepted " << text;
        } catch (const UsageError& e) {
            EXPECT_NE(std::string(e.what()).find(message), std::string::npos)
                << text << ": " << e.what();
        }
    }
}

// The trainer uses base × factor from the first batch of each epoch; a rate set while training
// is the new base (the schedule goes on multiplying it).
TEST(LrSchedule, TrainerFollowsTheScheduleAndAManualRateIsTheNewBase) {
    struct Rates : TrainObserver {
        std::vector<std::pair<int, float>> seen;  // (epoch, lr) per batch
        TrainControl* control = nullptr;
        void onBatch(const BatchReport& r) override {
            seen.emplace_back(r.epoch, r.lr);
            // Halfway through epoch 3, the user types 0.4.
            if (r.epoch == 3 && r.batch == 2) control->setLearningRate(0.4f);
        }
    };
    Net net = buildNet(test::kBlobNet);
    net.resetParameters(1);
    const Dataset train = test::blobs(64, 1);
    TrainConfig c;
    c.optimizer = "momentum";
    c.opt.lr = 0.2f;
    c.lrSchedule = parseLrSchedule("step:0.5");
    c.epochs = 4;
    c.batch = 16;
    Trainer trainer(net, train, nullptr, c);
    TrainControl control;
    Rates rates;
    rates.control = &control;
    ASSERT_EQ(trainer.run(&control, &rates), TrainStatus::Completed);
    ASSERT_EQ(rates.seen.size(), 16u);
    for (int i = 0; i < 16; ++i) {
        const int epoch = rates.seen[i].first, batch = i % 4 + 1;
        const float want = epoch <= 2                 ? 0.2f
                           : epoch == 3 && batch <= 2 ? static_cast<float>(0.2 * 0.1)
                                                      : static_cast<float>(0.4 * 0.1);
        EXPECT_EQ(rates.seen[i].second, want) << "epoch " << epoch << " batch " << batch;
    }
}

// A constant schedule leaves the rate alone: a rate restored from a checkpoint (or set on the
// optimizer) before run() is the one used.
TEST(LrSchedule, ConstantLeavesTheOptimizersRate) {
    Net net = buildNet(test::kBlobNet);
    net.resetParameters(1);
    const Dataset train = test::blobs(32, 1);
    TrainConfig c;
    c.opt.lr = 0.2f;
    c.epochs = 2;
    c.batch = 16;
    Trainer trainer(net, train, nullptr, c);
    trainer.optimizer().setLearningRate(0.05f);
    struct Last : TrainObserver {
        float lr = 0;
        void onBatch(const BatchReport& r) override { lr = r.lr; }
    } last;
    trainer.run(nullptr, &last);
    EXPECT_EQ(last.lr, 0.05f);
}

TEST(LrSchedule, ModelDefaultsAndRunConfigsCarryIt) {
    // He et al.'s ResNets on CIFAR-10 are trained with the step schedule; the course nets are not.
    for (const char* preset : {"resnet20-cifar", "resnet20-cifar-b", "plain20-cifar"})
        EXPECT_EQ(readModelSpec(preset).defaults.lrSchedule.str(), "step:0.5,0.75") << preset;
    EXPECT_EQ(readModelSpec("lenet5").defaults.lrSchedule.kind, LrSchedule::Kind::Constant);
    EXPECT_EQ(trainConfigFromDefaults(readModelSpec("resnet20-cifar").defaults).lrSchedule.str(),
              "step:0.5,0.75");
    // A bad schedule in a model file names the file and the value.
    const std::string doc =
        R"({"name": "m", "input": [2], "defaults": {"lr_schedule": "step:2"},
            "layers": [{"type": "Linear", "out": 2}]})";
    try {
        buildNet(doc, nullptr, "mine.json");
        ADD_FAILURE() << "accepted a fraction of 2";
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("mine.json: \"defaults\": learning-rate schedule "
                                             "\"step:2\": the fraction 2"),
                  std::string::npos)
            << e.what();
    }
    // A run records its schedule; a run from before schedules reads back as constant.
    TrainConfig tc;
    tc.optimizer = "momentum";
    tc.opt.lr = 0.1f;
    tc.lrSchedule = parseLrSchedule("step:0.3,0.6:0.2");
    const RunConfig back = readRunConfig(runConfigJson("resnet20-cifar", "", DataOptions{}, tc));
    ASSERT_TRUE(back.training);
    EXPECT_EQ(back.training->lrSchedule, tc.lrSchedule);
    const RunConfig old = readRunConfig(R"({"model": "lenet5", "optimizer": "sgd", "lr": 0.1})");
    ASSERT_TRUE(old.training);
    EXPECT_EQ(old.training->lrSchedule.kind, LrSchedule::Kind::Constant);
    EXPECT_THROW(readRunConfig(R"({"optimizer": "sgd", "lr": 0.1, "lr_schedule": "wavy"})"),
                 DataError);
}

}  // namespace ll
