// `layerlens train`: headless training with the same engine the desktop app drives.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fstream>
#include <functional>
#include <memory>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "app/data_options.h"
#include "core/analysis/cost.h"
#include "core/checkpoint.h"
#include "core/data/file_io.h"
#include "core/model_file.h"
#include "core/parallel.h"
#include "core/runs.h"
#include "core/tensorboard_log.h"
#include "core/trainer.h"

namespace ll::cli {

namespace {

std::string timestamp() {
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
    return buf;
}

// Prints a progress bar on a terminal and one line per epoch; appends metrics.csv as it goes,
// so a crash loses at most the epoch in progress.
class ConsoleObserver : public TrainObserver {
public:
    ConsoleObserver(std::ostream& out, const std::string& csvPath, int epochs, bool bar)
        : m_out(out), m_csv(csvPath, std::ios::app), m_epochs(epochs), m_bar(bar) {
        if (!m_csv) throw DataError(strCat("cannot write '", csvPath, "'"));
        if (m_csv.tellp() == 0)
            m_csv << "epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s\n"
                  << std::flush;  // a run killed in its first epoch still has a readable file
    }
    void onBatch(const BatchReport& r) override {
        if (!m_bar) return;
        const auto now = std::chrono::steady_clock::now();
        if (r.batch != r.batchesPerEpoch && now - m_lastDraw < std::chrono::milliseconds(100))
            return;
        m_lastDraw = now;
        const int width = 30, filled = width * r.batch / r.batchesPerEpoch;
        std::fprintf(stderr, "\r  epoch %d/%d [%s%s] %3d%%  loss %.4f  %6.0f img/s ", r.epoch,
                     m_epochs, std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                     100 * r.batch / r.batchesPerEpoch, r.loss, r.imagesPerSecond);
        std::fflush(stderr);
    }
    void onEpoch(const EpochReport& e) override {
        if (m_bar) std::fprintf(stderr, "\r%90s\r", "");
        char line[256];
        if (std::isnan(e.testAccuracy)) {
            std::snprintf(line, sizeof line,
                          "epoch %2d/%d  train loss %.4f  acc %6.2f%%  %6.1f s  %7.0f img/s\n",
                          e.epoch, m_epochs, e.trainLoss, 100 * e.trainAccuracy, e.seconds,
                          e.imagesPerSecond);
        } else {
            std::snprintf(line, sizeof line,
                          "epoch %2d/%d  train loss %.4f  acc %6.2f%%  test loss %.4f  acc %6.2f%% "
                          " %6.1f s  %7.0f img/s\n",
                          e.epoch, m_epochs, e.trainLoss, 100 * e.trainAccuracy, e.testLoss,
                          100 * e.testAccuracy, e.seconds, e.imagesPerSecond);
        }
        m_out << line << std::flush;
        m_csv << e.epoch << "," << e.trainLoss << "," << e.trainAccuracy << "," << e.testLoss << ","
              << e.testAccuracy << "," << e.seconds << "," << e.imagesPerSecond << "\n"
              << std::flush;
        m_last = e;
    }
    const EpochReport& last() const { return m_last; }

private:
    std::ostream& m_out;
    std::ofstream m_csv;
    int m_epochs;
    bool m_bar;
    EpochReport m_last;
    std::chrono::steady_clock::time_point m_lastDraw{};
};

}  // namespace

Command trainCommand() {
    Command c;
    c.name = "train";
    c.synopsis = "--model NAME|FILE [OPTIONS]";
    c.summary = "train a model on MNIST or CIFAR-10 headless (writes metrics.csv and a checkpoint)";
    c.description =
        "Trains with the engine the window drives; the output folder is a saved run.\n"
        "Defaults come from the model preset; --data defaults to $LAYERLENS_DATA.\n";
    c.options = {
        {"model", "NAME|FILE", "a preset (see 'layerlens models') or a model file"},
        {"input-size", "HxW", "height and width of an ONNX model whose input size is dynamic"},
        {"dataset", "D",
         "mnist, cifar10, synthetic-digits, synthetic-shapes or\nimages (a folder per class)"},
        {"data", "DIR", "the data folder (default: $LAYERLENS_DATA, else searched)"},
        {"epochs", "N", "epochs to train"},
        {"batch", "B", "batch size"},
        {"optimizer", "NAME", "sgd, momentum, momentum_form1, nesterov or adam"},
        {"lr", "X", "learning rate"},
        {"lr-schedule", "S",
         "constant, step (x0.1 after 1/2 and 3/4 of the epochs), step:F1,F2,...[:FACTOR]\n"
         "or cosine (default: the model's)"},
        {"momentum", "X", "momentum"},
        {"weight-decay", "X", "weight decay (L2 unless --decoupled)"},
        {"decoupled", "", "shrink the weights before the update instead (AdamW)"},
        {"loss", "NAME", "cross_entropy, mse, logistic or non_ce"},
        {"label-noise", "P", "give a fraction P of the training labels a random class"},
        {"train-subset", "N|FRACTION", "the first N training images, or a fraction of them"},
        {"test-subset", "N", "the first N test images"},
        {"classes", "A,B", "keep classes A and B only, relabelled 0 and 1"},
        {"augment", "", "random 4-pixel-padded crops and horizontal flips"},
        {"no-augment", "", "no augmentation even where the model's defaults ask for it"},
        {"no-normalize", "", "pixels x/255 instead of normalized per channel"},
        {"raw-pixels", "", "pixels as stored, 0..255"},
        {"eval-every", "N", "evaluate on the test set every N batches too"},
        {"threads", "T", "threads (default 0: all cores)"},
        kernelsOption(),
        {"seed", "S", "seed of the weights and the data order (default 1)"},
        {"out", "DIR", "the run folder (default runs/MODEL-TIME)"},
        {"checkpoint", "FILE", "where to save the weights (default DIR/checkpoint.llck)"},
        {"tensorboard", "DIR",
         "also write a TensorBoard event file in DIR: per batch loss, accuracy,\n"
         "learning rate and per-layer weight and gradient norms; test loss and\n"
         "accuracy; per epoch mean loss and accuracy and each layer's weight and\n"
         "gradient histograms"},
        {"resume", "FILE", "continue from a checkpoint"},
        {"no-progress", "", "no progress bar"},
    };
    return c;
}

int train(const Args& args, std::ostream& out) {
    if (!args.has("model"))
        throw UsageError(
            "--model is required (a preset name or a model file; see 'layerlens models')");
    ModelSpec spec;
    Net net = loadModel(args.str("model"), &spec);
    const ModelDefaults& d = spec.defaults;

    setNumThreads(args.integer("threads", 0, 0, 256));
    TrainConfig cfg;
    cfg.optimizer = args.str("optimizer", d.optimizer);
    cfg.loss = args.str("loss", d.loss);
    cfg.epochs = args.integer("epochs", d.epochs, 1, 100000);
    cfg.batch = args.integer("batch", d.batch, 1, 1 << 20);
    cfg.seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
    cfg.evalEvery = args.integer("eval-every", 0, 0, 1 << 30);
    cfg.opt.lr = static_cast<float>(args.number("lr", d.lr, 0, 1e6));
    cfg.lrSchedule =
        args.has("lr-schedule") ? parseLrSchedule(args.str("lr-schedule")) : d.lrSchedule;
    cfg.opt.momentum = static_cast<float>(args.number("momentum", d.momentum, 0, 0.999999));
    cfg.opt.weightDecay = static_cast<float>(args.number("weight-decay", d.weightDecay, 0, 1e6));
    cfg.opt.decayMode = args.has("decoupled") ? WeightDecayMode::Decoupled : WeightDecayMode::L2;
    cfg.batchOptions.normalize = !args.has("no-normalize");
    cfg.batchOptions.rawPixels =
        args.has("raw-pixels") || (d.rawPixels && !args.has("no-normalize"));
    cfg.batchOptions.augment = args.has("augment") || (d.augment && !args.has("no-augment"));
    requireTrainingMemory(net, cfg.batch, cfg.optimizer);  // before any data is read

    DataOptions dopt = dataOptionsFrom(args, d, cfg.seed);
    if (net.inputSample().rank() == 3) {
        dopt.channels = net.inputSample()[0];
        dopt.height = net.inputSample()[1];
        dopt.width = net.inputSample()[2];
    }
    DataPair data = loadData(dopt);
    for (const Dataset* ds : {&data.train, &data.test}) {
        if (ds->warnings.empty()) continue;
        out << ds->split << " images: " << ds->warnings.size() << " file(s) skipped, e.g. "
            << ds->warnings.front() << "\n";
    }
    out << "model " << net.name() << " (" << net.numParams() << " parameters), " << data.train.name
        << ": " << data.train.size() << " training / " << data.test.size() << " test images from "
        << data.train.source << ", " << numThreads() << " threads\n";
    if (cfg.lrSchedule.kind != LrSchedule::Kind::Constant)
        out << "learning rate " << cfg.opt.lr << ", " << cfg.lrSchedule.describe(cfg.epochs)
            << "\n";
    if (dopt.labelNoise > 0)
        out << "label noise " << dopt.labelNoise << ": " << data.noisyLabels << " labels changed\n";

    net.resetParameters(cfg.seed);
    Trainer trainer(net, data.train, data.test.size() ? &data.test : nullptr, cfg);
    if (args.has("resume")) {
        const CheckpointInfo info = loadCheckpoint(args.str("resume"), net, &trainer.optimizer());
        trainer.setEpochsDone(info.epoch);
        trainer.setSteps(info.step);
        out << "resumed from " << args.str("resume") << " after epoch " << info.epoch
            << (info.optimizerRestored ? " (optimizer state restored)"
                                       : " (optimizer state not restored)")
            << "\n";
    }
    // A TensorBoard log too, when asked for: opened before the run folder is made, so a folder
    // that cannot be written stops the command before anything else is written.
    std::unique_ptr<TensorBoardLog> tensorboard;
    if (args.has("tensorboard"))
        tensorboard = std::make_unique<TensorBoardLog>(args.str("tensorboard"), &net);
    const std::string outDir = args.str("out", "runs/" + net.name() + "-" + timestamp());
    std::filesystem::create_directories(outDir);
    const std::string ckpt = args.str("checkpoint", runCheckpointPath(outDir));

    // The output folder is a saved run: its configuration, and metrics appended as they come.
    if (!std::filesystem::exists(outDir + "/config.json")) {
        writeFileAtomic(outDir + "/config.json",
                        runConfigJson(spec.name, spec.json, dopt, cfg, {}, data.train.size()));
    }
    RunLog runLog(outDir);

    struct Saver : ConsoleObserver {
        using ConsoleObserver::ConsoleObserver;
        std::function<void()> save;
        RunLog* log = nullptr;
        TensorBoardLog* tensorboard = nullptr;
        void onBatch(const BatchReport& r) override {
            ConsoleObserver::onBatch(r);
            log->appendBatch(r);
            if (tensorboard) tensorboard->onBatch(r);
        }
        void onEval(const EvalReport& e) override {
            log->appendEval(e);
            if (tensorboard) tensorboard->onEval(e);
        }
        void onEpoch(const EpochReport& e) override {
            ConsoleObserver::onEpoch(e);
            log->appendEpoch(e);
            if (tensorboard) tensorboard->onEpoch(e);
            save();
        }
    } observer(out, outDir + "/metrics.csv", cfg.epochs, !args.has("no-progress") && ::isatty(2));
    observer.log = &runLog;
    observer.tensorboard = tensorboard.get();
    observer.save = [&] {
        saveCheckpoint(ckpt, net, &trainer.optimizer(), trainer.epochsDone(), trainer.steps(),
                       spec.json);
    };
    trainer.run(nullptr, &observer);
    const EpochReport& last = observer.last();
    if (!std::isnan(last.testAccuracy)) {
        char line[128];
        std::snprintf(line, sizeof line, "test accuracy: %.2f%%\n", 100 * last.testAccuracy);
        out << line;
    }
    out << "metrics: " << outDir << "/metrics.csv, checkpoint: " << ckpt << "\n";
    if (tensorboard) out << "TensorBoard log: " << tensorboard->path() << "\n";
    return 0;
}

}  // namespace ll::cli
