// layerlens experiment NAME: the course experiments, headless, each a set of saved runs from the
// same start (same seed: the same initial weights and the same data order), with a summary.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "app/data_options.h"
#include "core/analysis/transforms.h"
#include "core/data/file_io.h"
#include "core/experiments.h"
#include "core/model_file.h"
#include "core/parallel.h"
#include "core/runs.h"
#include "core/trainer.h"

namespace ll::cli {

namespace {

struct Outcome {
    EpochReport last;
    double seconds = 0;
    std::vector<double> firstLosses;  // every batch loss (same-start comparisons)
    std::vector<LayerNorms> norms;    // of the last batch
};

struct Recorder : TrainObserver {
    RunLog* log;
    Outcome* o;
    void onBatch(const BatchReport& r) override {
        log->appendBatch(r);
        o->firstLosses.push_back(r.loss);
        o->norms = r.norms;
    }
    void onEval(const EvalReport& e) override { log->appendEval(e); }
    void onEpoch(const EpochReport& e) override {
        log->appendEpoch(e);
        o->last = e;
    }
};

}  // namespace

int experiment(const std::vector<std::string>& argv, std::ostream& out) {
    Args args(
        argv,
        {"dataset", "data", "out", "epochs", "train-subset", "test-subset", "seed", "threads"},
        {"help"});
    if (args.has("help") || args.positional().size() != 1) {
        out << "usage: layerlens experiment optimizers|loss-functions|random-labels|"
               "vanishing-gradients|batchnorm\n"
               "  [--dataset D] [--data DIR] [--out DIR] [--epochs N] [--train-subset N|F]\n"
               "  [--test-subset N] [--seed S] [--threads T]\n"
               "Every variant starts from the same weights and data order (same seed) and is "
               "saved as a run under --out.\n";
        return args.has("help") ? 0 : 2;
    }
    const std::string name = args.positional()[0];
    std::string explain;
    const std::vector<ExperimentVariant> variants = experimentVariants(name, explain);
    setNumThreads(args.integer("threads", 0, 0, 256));
    const std::string root = args.str("out", "runs/experiment-" + name);
    out << name << ": " << explain << "\n";
    std::vector<std::pair<std::string, Outcome>> results;
    for (const ExperimentVariant& v : variants) {
        ModelSpec spec;
        Net net =
            v.modelJson.empty() ? loadModel(v.model, &spec) : buildNet(v.modelJson, &spec, v.name);
        const ModelDefaults& d = spec.defaults;
        TrainConfig c = trainConfigFromDefaults(d);
        c.epochs = args.integer("epochs", d.epochs, 1, 100000);
        c.seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
        DataOptions dopt = dataOptionsFrom(args, d, c.seed);
        if (v.adjust) v.adjust(c, dopt);
        c.batchOptions.signedLabels = makeLoss(c.loss)->signedLabels();
        const DataPair data = loadData(dopt);
        net.resetParameters(c.seed);  // the same start for every variant of a model
        std::filesystem::remove_all(std::filesystem::path(root) / v.name);
        RunLog log = RunLog::create(root, v.name,
                                    runConfigJson(spec.name, spec.json, dopt, c,
                                                  {{"experiment", name}, {"variant", v.name}}));
        Outcome o;
        Recorder rec;
        rec.log = &log;
        rec.o = &o;
        const auto t0 = std::chrono::steady_clock::now();
        Trainer t(net, data.train, data.test.size() ? &data.test : nullptr, c);
        t.run(nullptr, &rec);
        o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        char line[160];
        std::snprintf(line, sizeof line,
                      "  %-16s train loss %.4f  acc %6.2f%%  test acc %6.2f%%  %6.1f s\n",
                      v.name.c_str(), o.last.trainLoss, 100 * o.last.trainAccuracy,
                      100 * o.last.testAccuracy, o.seconds);
        out << line << std::flush;
        results.emplace_back(v.name, o);
    }
    // Summary table (Markdown, so it pastes into a report).
    out << "\n| variant | train loss | train acc | test acc | test error | seconds |";
    const bool norms = name == "vanishing-gradients";
    if (norms) out << " ‖g‖ first / last layer |";
    out << "\n|---|---:|---:|---:|---:|---:|" << (norms ? "---:|" : "") << "\n";
    for (const auto& [vname, o] : results) {
        char row[200];
        std::snprintf(row, sizeof row, "| %s | %.4f | %.2f%% | %.2f%% | %.2f%% | %.1f |",
                      vname.c_str(), o.last.trainLoss, 100 * o.last.trainAccuracy,
                      100 * o.last.testAccuracy, 100 * (1 - o.last.testAccuracy), o.seconds);
        out << row;
        if (norms && o.norms.size() >= 2) {
            char r2[40];
            std::snprintf(r2, sizeof r2, " %.3g |",
                          o.norms.front().gradNorm / o.norms.back().gradNorm);
            out << r2;
        }
        out << "\n";
    }
    if (name == "optimizers") {
        const auto& a = results[1].second.firstLosses;
        const auto& b = results[2].second.firstLosses;
        double diff = 0;
        for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
            diff = std::max(diff, std::fabs(a[i] - b[i]));
        char l[120];
        std::snprintf(
            l, sizeof l,
            "momentum form I vs form II: largest batch-loss difference %.2g over %zu batches\n",
            diff, std::min(a.size(), b.size()));
        out << l;
    }
    out << "runs saved in " << root << "\n";
    return 0;
}

}  // namespace ll::cli
