#pragma once
// Trainer: epochs of shuffled mini-batches, evaluation, metrics, and control from another thread.
//
// It knows nothing of Qt: the desktop app runs it in a worker thread, passes a TrainControl
// (stop, pause, resume, single step, learning-rate change — all thread-safe) and receives value
// snapshots through a TrainObserver, called on the training thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/loss.h"
#include "core/lr_schedule.h"
#include "core/model_file.h"
#include "core/net.h"
#include "core/optimizer.h"

namespace ll {

struct TrainConfig {
    std::string optimizer = "sgd";
    OptimizerOptions opt;  // opt.lr: the base rate, which the schedule multiplies
    LrSchedule lrSchedule;
    std::string loss = "cross_entropy";
    int epochs = 1;
    int batch = 64;
    std::uint64_t seed = 1;
    int evalEvery = 0;  // also evaluate on the test set every N batches (0: at epoch ends only)
    int evalBatch = 500;
    BatchOptions batchOptions;
    bool layerNorms = true;  // per-layer weight and gradient norms in every BatchReport
};

struct LayerNorms {
    std::string layer;
    double weightNorm = 0, gradNorm = 0;
};

struct BatchReport {
    int epoch = 0;  // 1-based
    int batch = 0;  // 1-based, within the epoch
    int batchesPerEpoch = 0;
    std::int64_t step = 0;  // batches since the start of training
    double loss = 0, accuracy = 0;
    float lr = 0;
    double imagesPerSecond = 0;  // over the epoch so far
    std::vector<LayerNorms> norms;
};

struct EvalReport {
    int epoch = 0;
    std::int64_t step = 0;
    double loss = 0, accuracy = 0;
    int samples = 0;
};

struct EpochReport {
    int epoch = 0;
    double trainLoss = 0, trainAccuracy = 0;
    double testLoss = 0, testAccuracy = 0;  // NaN without a test set
    double seconds = 0, imagesPerSecond = 0;
};

class TrainObserver {
public:
    virtual ~TrainObserver() = default;
    virtual void onBatch(const BatchReport&) {}
    virtual void onEval(const EvalReport&) {}
    virtual void onEpoch(const EpochReport&) {}
};

/// Thread-safe controls. The trainer checks them between batches.
class TrainControl {
public:
    void requestStop();
    void pause();
    void resume();
    /// While paused, lets n more batches run, then pauses again.
    void step(int n = 1);
    /// Applied before the next batch. Under a schedule it is the new base rate: the rate used is
    /// lr times the current epoch's factor.
    void setLearningRate(float lr);
    bool stopRequested() const { return m_stop.load(); }
    bool paused() const;

    // Used by the trainer: blocks while paused (unless a step is granted or stop requested).
    // Returns false when training must stop.
    bool waitForPermission();
    /// Called on the training thread about every 30 ms while training is paused (the desktop
    /// app serves inspection requests from it: the net is only touched on that thread).
    void setIdleHook(std::function<void()> hook);
    /// Wakes a paused trainer so the idle hook runs now.
    void poke();
    /// Back to running, no stop, step or learning rate pending (before a new run).
    void reset();
    /// Returns the pending learning rate, if any (consumes it).
    bool takeLearningRate(float& lr);

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::atomic<bool> m_stop{false};
    bool m_paused = false;
    int m_steps = 0;
    bool m_hasLr = false;
    float m_lr = 0;
    std::function<void()> m_idle;
};

enum class TrainStatus { Completed, Stopped };

class Trainer {
public:
    /// The net must fit the data's sample shape. `test` may be null.
    Trainer(Net& net, const Dataset& train, const Dataset* test, TrainConfig config);

    Optimizer& optimizer() { return *m_optimizer; }
    Loss& loss() { return *m_loss; }
    const TrainConfig& config() const { return m_config; }
    /// Epochs already done (set when resuming from a checkpoint).
    int epochsDone() const { return m_epochsDone; }
    void setEpochsDone(int e) { m_epochsDone = e; }
    std::int64_t steps() const { return m_step; }
    void setSteps(std::int64_t s) { m_step = s; }

    /// Trains from epochsDone()+1 to config.epochs. Throws NumericError (model left as before the
    /// bad step) when the loss or a gradient is not finite.
    TrainStatus run(TrainControl* control = nullptr, TrainObserver* observer = nullptr);
    /// Loss and accuracy on a data set, Eval mode.
    EvalReport evaluate(const Dataset& data);

private:
    void trainBatch(const std::vector<int>& order, int start, int count, double& loss,
                    int& correct);
    std::string diagnoseNonFinite(bool inBackward) const;
    /// The base rate times the schedule's factor for `epoch`.
    float scheduledLr(int epoch) const;

    Net& m_net;
    const Dataset& m_train;
    const Dataset* m_test;
    TrainConfig m_config;
    std::unique_ptr<Optimizer> m_optimizer;
    std::unique_ptr<Loss> m_loss;
    Rng m_augmentRng;
    int m_epochsDone = 0;
    std::int64_t m_step = 0;
    double m_baseLr = 0;                 // what the schedule multiplies (TrainControl sets it)
    Tensor m_x, m_y, m_dz;               // batch buffers, reused
    std::vector<Tensor> m_bufferBackup;  // batch-norm statistics before the current step
    std::vector<double> m_gradSquares;   // each layer's sum of squared gradients, this step
};

/// A model's training defaults as a TrainConfig: optimizer, loss, learning rate and schedule,
/// momentum, weight decay, batch, epochs, raw pixels, and ±1 labels when the loss wants them.
TrainConfig trainConfigFromDefaults(const ModelDefaults& defaults);

/// Per-layer weight and gradient norms of the layers that have parameters. gradSquares, when
/// given, holds each layer's sum of squared gradients (indexed by layer), already summed.
std::vector<LayerNorms> layerNorms(Net& net, const std::vector<double>* gradSquares = nullptr);

}  // namespace ll
