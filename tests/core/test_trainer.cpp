#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "core/layers/flatten.h"
#include "core/layers/linear.h"
#include "core/model_file.h"
#include "core/trainer.h"
#include "support/blobs.h"

namespace ll {

namespace {

struct Recorder : TrainObserver {
    std::atomic<int> batches{0};
    std::vector<BatchReport> reports;
    std::vector<EpochReport> epochs;
    std::mutex mutex;
    void onBatch(const BatchReport& r) override {
        std::lock_guard<std::mutex> lock(mutex);
        reports.push_back(r);
        ++batches;
    }
    void onEpoch(const EpochReport& e) override { epochs.push_back(e); }
};

bool waitFor(const std::function<bool()>& cond, int ms = 5000) {
    for (int i = 0; i < ms; ++i) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return cond();
}

TrainConfig blobConfig() {
    TrainConfig c;
    c.optimizer = "adam";
    c.opt.lr = 0.01f;
    c.epochs = 3;
    c.batch = 16;
    return c;
}

// The parameters and buffers of `net` after each batch the trainer reports, and how many it
// reported.
struct ModelAfterEachBatch : TrainObserver {
    explicit ModelAfterEachBatch(Net& n) : net(n) {}
    Net& net;
    std::vector<std::vector<float>> params, buffers;
    int batches = 0;
    void onBatch(const BatchReport&) override {
        ++batches;
        params.clear();
        buffers.clear();
        for (Param* p : net.params())
            params.push_back(p->value.values());
        for (auto& b : net.namedBuffers())
            buffers.push_back(b.tensor->values());
    }
};

// The message of the NumericError `trainer.run` stops with ("" and a failure if it does not).
std::string numericErrorOf(Trainer& trainer, TrainObserver& observer) {
    try {
        trainer.run(nullptr, &observer);
    } catch (const NumericError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected NumericError";
    return "";
}

}  // namespace

TEST(Trainer, LearnsAndReportsMetrics) {
    Net net = buildNet(test::kBlobNet);
    net.resetParameters(1);
    const Dataset train = test::blobs(400, 1), testSet = test::blobs(200, 2);
    Trainer trainer(net, train, &testSet, blobConfig());
    Recorder rec;
    EXPECT_EQ(trainer.run(nullptr, &rec), TrainStatus::Completed);
    ASSERT_EQ(rec.epochs.size(), 3u);
    EXPECT_EQ(rec.reports.size(), 3u * 25);
    EXPECT_GT(rec.epochs.back().testAccuracy, 0.95);
    EXPECT_LT(rec.epochs.back().trainLoss, rec.epochs.front().trainLoss);
    const BatchReport& r = rec.reports.back();
    EXPECT_EQ(r.batch, 25);
    EXPECT_EQ(r.batchesPerEpoch, 25);
    EXPECT_EQ(r.step, 75);
    EXPECT_GT(r.imagesPerSecond, 0);
    ASSERT_EQ(r.norms.size(), 2u);  // conv1 and fc1
    EXPECT_EQ(r.norms[0].layer, "conv1");
    EXPECT_GT(r.norms[0].gradNorm, 0);
    EXPECT_NEAR(r.norms[1].weightNorm,
                std::sqrt(net.layer(4).params()[0]->value.sumSquares() +
                          net.layer(4).params()[1]->value.sumSquares()),
                1e-6);
}

TEST(Trainer, EvaluatesEveryNBatchesAndAtEpochEnds) {
    Net net = buildNet(test::kBlobNet);
    net.resetParameters(1);
    const Dataset train = test::blobs(400, 1), testSet = test::blobs(200, 2);
    TrainConfig c = blobConfig();
    c.epochs = 2;
    c.evalEvery = 10;  // 25 batches per epoch: after batches 10 and 20, then at the epoch end
    struct Evals : TrainObserver {
        std::vector<EvalReport> evals;
        void onEval(const EvalReport& e) override { evals.push_back(e); }
    } rec;
    Trainer trainer(net, train, &testSet, c);
    trainer.run(nullptr, &rec);
    ASSERT_EQ(rec.evals.size(), 6u);
    const std::vector<std::int64_t> steps{10, 20, 25, 35, 45, 50};
    for (std::size_t i = 0; i < steps.size(); ++i) {
        EXPECT_EQ(rec.evals[i].step, steps[i]) << i;
        EXPECT_EQ(rec.evals[i].samples, 200);
        EXPECT_EQ(rec.evals[i].epoch, i < 3 ? 1 : 2);
    }
}

TEST(Trainer, SameSeedSameRun) {
    auto once = [] {
        Net net = buildNet(test::kBlobNet);
        net.resetParameters(5);
        const Dataset train = test::blobs(100, 1);
        TrainConfig c = blobConfig();
        c.epochs = 1;
        Trainer t(net, train, nullptr, c);
        Recorder rec;
        t.run(nullptr, &rec);
        return rec.reports.back().loss;
    };
    EXPECT_EQ(once(), once());
}

TEST(Trainer, PauseStepLearningRateAndStopFromAnotherThread) {
    Net net = buildNet(test::kBlobNet);
    net.resetParameters(1);
    const Dataset train = test::blobs(400, 1);
    TrainConfig c = blobConfig();
    c.epochs = 1000;
    Trainer trainer(net, train, nullptr, c);
    TrainControl control;
    control.pause();
    Recorder rec;
    TrainStatus status = TrainStatus::Completed;
    std::thread worker([&] { status = trainer.run(&control, &rec); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(rec.batches.load(), 0);  // paused before the first batch
    control.step(3);
    ASSERT_TRUE(waitFor([&] { return rec.batches.load() == 3; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(rec.batches.load(), 3);  // exactly three single steps
    control.setLearningRate(0.5f);
    control.step(1);
    ASSERT_TRUE(waitFor([&] { return rec.batches.load() == 4; }));
    {
        std::lock_guard<std::mutex> lock(rec.mutex);
        EXPECT_FLOAT_EQ(rec.reports.back().lr, 0.5f);
        EXPECT_FLOAT_EQ(rec.reports[2].lr, 0.01f);
    }
    control.resume();
    ASSERT_TRUE(waitFor([&] { return rec.batches.load() > 20; }));
    const auto t0 = std::chrono::steady_clock::now();
    control.requestStop();
    worker.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));  // within one batch
    EXPECT_EQ(status, TrainStatus::Stopped);
}

TEST(Trainer, IdleHookRunsOnTheTrainingThreadWhilePaused) {
    Net net = buildNet(test::kBlobNet);
    net.resetParameters(1);
    const Dataset train = test::blobs(400, 1);
    TrainConfig c = blobConfig();
    c.epochs = 50;
    Trainer trainer(net, train, nullptr, c);
    TrainControl control;
    std::atomic<int> idleCalls{0};
    std::thread::id hookThread;
    control.setIdleHook([&] {
        hookThread = std::this_thread::get_id();
        ++idleCalls;
    });
    control.pause();
    std::thread::id trainThread;
    std::thread t([&] {
        trainThread = std::this_thread::get_id();
        trainer.run(&control, nullptr);
    });
    ASSERT_TRUE(waitFor([&] { return idleCalls.load() >= 3; }));  // about every 30 ms
    const int before = idleCalls.load();
    control.poke();
    EXPECT_TRUE(waitFor([&] { return idleCalls.load() > before; }, 1000));
    control.requestStop();
    t.join();
    EXPECT_EQ(hookThread, trainThread);
    EXPECT_EQ(trainer.steps(), 0);  // paused from the start: no batch ran
}

TEST(Trainer, StopWhilePausedEndsPromptly) {
    Net net = buildNet(test::kBlobNet);
    const Dataset train = test::blobs(64, 1);
    Trainer trainer(net, train, nullptr, blobConfig());
    TrainControl control;
    control.pause();
    std::thread worker([&] { EXPECT_EQ(trainer.run(&control), TrainStatus::Stopped); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    control.requestStop();
    worker.join();
}

TEST(Trainer, NonFiniteLossStopsWithDiagnosisAndLeavesModelAsBefore) {
    Net net = buildNet(R"({"name": "bn-net", "input": [1, 8, 8], "layers": [{"type": "Flatten"},
        {"type": "Linear", "out": 8}, {"type": "BatchNorm1d"}, {"type": "Linear", "out": 4}]})");
    net.resetParameters(1);
    const Dataset train = test::blobs(64, 1);
    TrainConfig c = blobConfig();
    c.optimizer = "sgd";
    c.opt.lr = 1e30f;  // the first step explodes the weights; the second step's loss overflows
    Trainer trainer(net, train, nullptr, c);
    ModelAfterEachBatch snap(net);
    const std::string msg = numericErrorOf(trainer, snap);
    EXPECT_NE(msg.find("step 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("layer '"), std::string::npos) << msg;  // names the first bad layer
    EXPECT_NE(msg.find("smaller learning rate"), std::string::npos) << msg;
    ASSERT_FALSE(snap.params.empty());
    std::size_t i = 0;
    for (Param* p : net.params())
        EXPECT_EQ(p->value.values(), snap.params[i++]);
    i = 0;
    for (auto& b : net.namedBuffers())
        EXPECT_EQ(b.tensor->values(), snap.buffers[i++]);
}

// A gradient that goes non-finite while the loss stays finite (the last layer's backward poisons
// one element of its own weight gradient at step 2): the step stops with a NumericError naming
// that layer, before any update, and the model is as after step 1.
TEST(Trainer, NonFiniteGradientStopsBeforeTheUpdateAndNamesTheLayer) {
    struct PoisonedLinear : Linear {
        using Linear::Linear;
        int calls = 0;
        void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override {
            Linear::backwardImpl(x, y, dy, dx);
            if (++calls == 2) params()[0]->grad[5] = std::numeric_limits<float>::infinity();
        }
    };
    Net net("poisoned", Shape{1, 8, 8});
    net.add(std::make_unique<Flatten>());
    net.add(std::make_unique<Linear>(64, 8));
    net.add(std::make_unique<PoisonedLinear>(8, 4));
    net.resetParameters(1);
    const Dataset train = test::blobs(64, 1);
    TrainConfig c = blobConfig();
    c.optimizer = "sgd";
    Trainer trainer(net, train, nullptr, c);
    ModelAfterEachBatch snap(net);
    const std::string msg = numericErrorOf(trainer, snap);
    EXPECT_NE(msg.find("non-finite gradient at step 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(layer 2)"), std::string::npos) << msg;
    EXPECT_EQ(snap.batches, 1);
    ASSERT_EQ(snap.params.size(), 4u);
    std::size_t i = 0;
    for (Param* p : net.params())
        EXPECT_EQ(p->value.values(), snap.params[i++]);
}

TEST(Trainer, MismatchedModelAndDataAreClearErrors) {
    Net lenet = loadModel("lenet5");
    const Dataset train = test::blobs(10, 1);
    EXPECT_THROW(Trainer(lenet, train, nullptr, blobConfig()), ShapeError);
    Net net = buildNet(test::kBlobNet);
    TrainConfig c = blobConfig();
    c.loss = "non_ce";
    EXPECT_THROW(Trainer(net, train, nullptr, c), ShapeError);  // needs one output
    c = blobConfig();
    c.batch = 0;
    EXPECT_THROW(Trainer(net, train, nullptr, c), UsageError);
}

}  // namespace ll
