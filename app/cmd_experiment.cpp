// layerlens experiment NAME: the course experiments, headless, each a set of saved runs from the
// same start (same seed: the same initial weights and the same data order), with a summary.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "app/data_options.h"
#include "core/analysis/transforms.h"
#include "core/checkpoint.h"
#include "core/data/file_io.h"
#include "core/experiments.h"
#include "core/model_file.h"
#include "core/parallel.h"
#include "core/runs.h"
#include "core/tensorboard_log.h"
#include "core/trainer.h"

namespace ll::cli {

namespace {

struct Outcome {
    EpochReport last;
    double seconds = 0;
};

struct Recorder : TrainObserver {
    RunLog* log;
    Outcome* o;
    TensorBoardLog* tensorboard = nullptr;  // with --tensorboard
    void onBatch(const BatchReport& r) override {
        log->appendBatch(r);
        if (tensorboard) tensorboard->onBatch(r);
    }
    void onEval(const EvalReport& e) override {
        log->appendEval(e);
        if (tensorboard) tensorboard->onEval(e);
    }
    void onEpoch(const EpochReport& e) override {
        log->appendEpoch(e);
        if (tensorboard) tensorboard->onEpoch(e);
        o->last = e;
    }
};

}  // namespace

Command experimentCommand() {
    Command c;
    c.name = "experiment";
    c.synopsis =
        "optimizers|loss-functions|random-labels|vanishing-gradients|batchnorm|shortcuts "
        "[OPTIONS]";
    c.summary = "the course experiments headless (optimizers, loss-functions, random-labels, ...)";
    c.description =
        "Every variant starts from the same weights and data order (same seed) and is "
        "saved as a run\nunder --out; a Markdown table sums them up.\n";
    c.options = {
        {"dataset", "D", "mnist, cifar10, synthetic-digits, synthetic-shapes or images"},
        {"data", "DIR", "the data folder (default: $LAYERLENS_DATA, else searched)"},
        {"out", "DIR", "where the runs go (default runs/experiment-NAME)"},
        {"epochs", "N", "epochs per variant (default: the experiment's)"},
        {"train-subset", "N|F", "the first N training images, or a fraction F of them"},
        {"test-subset", "N", "the first N test images"},
        {"seed", "S", "seed of the weights and the data order (default 1)"},
        {"threads", "T", "threads (default 0: all cores)"},
        kernelsOption(),
        {"tensorboard", "DIR",
         "also write a TensorBoard log per variant in DIR/VARIANT (as 'train\n"
         "--tensorboard' does: per batch loss, accuracy, learning rate and per-layer\n"
         "weight and gradient norms; test loss and accuracy; per epoch mean loss and\n"
         "accuracy and each layer's weight and gradient histograms); event files\n"
         "already there are kept"},
    };
    c.minOperands = c.maxOperands = 1;
    c.operands =
        "an experiment: optimizers, loss-functions, random-labels, vanishing-gradients, batchnorm "
        "or shortcuts";
    return c;
}

int experiment(const Args& args, std::ostream& out) {
    const std::string name = args.positional()[0];
    std::string explain;
    ExperimentBase base;
    base.seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
    base.epochs = args.has("epochs") ? args.integer("epochs", 1, 1, 100000) : 0;
    base.data = [&](const ModelDefaults& d) { return dataOptionsFrom(args, d, base.seed); };
    const std::vector<PlannedRun> plan = planExperiment(name, base, explain);
    setNumThreads(args.integer("threads", 0, 0, 256));
    const std::string root = args.str("out", "runs/experiment-" + name);
    out << name << ": " << explain << "\n";
    std::vector<std::pair<std::string, Outcome>> results;
    std::vector<std::pair<std::string, RunData>> runs;
    std::vector<std::string> foldLines;
    for (const PlannedRun& v : plan) {
        ModelSpec spec;
        Net net = v.modelJson.empty() ? loadModel(v.model, &spec)
                                      : buildNet(v.modelJson, &spec, v.variant);
        const TrainConfig& c = v.config;
        const DataOptions& dopt = v.data;
        const DataPair data = loadData(dopt);
        net.resetParameters(c.seed);  // the same start for every variant of a model
        // Its TensorBoard log first: a folder that cannot be written stops the experiment before
        // the variant's run folder is replaced. Only our run folders are removed, never a log.
        std::unique_ptr<TensorBoardLog> tensorboard;
        if (args.has("tensorboard"))
            tensorboard = std::make_unique<TensorBoardLog>(
                (std::filesystem::path(args.str("tensorboard")) / v.variant).string(), &net);
        std::filesystem::remove_all(std::filesystem::path(root) / v.variant);
        RunLog log = RunLog::create(
            root, v.variant,
            runConfigJson(spec.name, spec.json, dopt, c,
                          {{"experiment", name}, {"variant", v.variant}}, data.train.size()));
        Outcome o;
        Recorder rec;
        rec.log = &log;
        rec.o = &o;
        rec.tensorboard = tensorboard.get();
        const auto t0 = std::chrono::steady_clock::now();
        Trainer t(net, data.train, data.test.size() ? &data.test : nullptr, c);
        t.run(nullptr, &rec);
        o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        saveCheckpoint(runCheckpointPath(log.dir()), net, &t.optimizer(), t.epochsDone(), t.steps(),
                       spec.json);
        runs.emplace_back(v.variant, loadRun(log.dir()));
        if (name == "batchnorm" && data.test.size() > 0) {
            try {  // the variant without batch norm has nothing to fold
                for (const std::string& l :
                     describe(checkBatchNormFold(net, data.test, c.batchOptions)))
                    foldLines.push_back(strCat(v.variant, ": ", l));
            } catch (const UsageError&) {
            }
        }
        char line[160];
        std::snprintf(line, sizeof line,
                      "  %-16s train loss %.4f  acc %6.2f%%  test acc %6.2f%%  %6.1f s\n",
                      v.variant.c_str(), o.last.trainLoss, 100 * o.last.trainAccuracy,
                      100 * o.last.testAccuracy, o.seconds);
        out << line << std::flush;
        results.emplace_back(v.variant, o);
    }
    // Summary table (Markdown, so it pastes into a report).
    out << "\n| variant | train loss | train acc | test acc | test error | seconds |";
    const bool norms = name == "vanishing-gradients" || name == "shortcuts";
    if (norms) out << " ‖g‖ first / last layer |";
    out << "\n|---|---:|---:|---:|---:|---:|" << (norms ? "---:|" : "") << "\n";
    for (std::size_t k = 0; k < results.size(); ++k) {
        const auto& [vname, o] = results[k];
        char row[200];
        std::snprintf(row, sizeof row, "| %s | %.4f | %.2f%% | %.2f%% | %.2f%% | %.1f |",
                      vname.c_str(), o.last.trainLoss, 100 * o.last.trainAccuracy,
                      100 * o.last.testAccuracy, 100 * (1 - o.last.testAccuracy), o.seconds);
        out << row;
        const std::vector<LayerNorms> m = meanLayerNorms(runs[k].second);
        if (norms && m.size() >= 2) {
            char r2[40];
            std::snprintf(r2, sizeof r2, " %.3g |", m.front().gradNorm / m.back().gradNorm);
            out << r2;
        }
        out << "\n";
    }
    for (const std::string& l : experimentFindings(name, runs))
        out << l << "\n";
    for (const std::string& l : foldLines)
        out << l << "\n";
    out << "runs saved in " << root << "\n";
    if (args.has("tensorboard"))
        out << "TensorBoard logs in " << args.str("tensorboard") << " (a folder per variant)\n";
    return 0;
}

}  // namespace ll::cli
