#pragma once
// The course experiments as data: for each, its explanation and its variants (a model and how
// the training and data settings differ). Every variant of an experiment starts from the same
// seed, so from the same weights and data order. Used by `layerlens experiment` and the window.

#include <functional>
#include <string>
#include <vector>

#include "core/data/load.h"
#include "core/model_file.h"
#include "core/runs.h"
#include "core/trainer.h"

namespace ll {

struct ExperimentVariant {
    std::string name;       // run folder and table row
    std::string model;      // preset name
    std::string modelJson;  // used instead of the preset when not empty
    std::function<void(TrainConfig&, DataOptions&)> adjust;  // may be empty
};

/// The names of the experiments, in menu order.
std::vector<std::string> experimentNames();
/// Epochs the experiment needs to show what it is about (random labels: 30, long enough for
/// the net to memorize noise); 0 when the model's default will do. Used unless the user says
/// otherwise (--epochs).
int experimentEpochs(const std::string& name);
/// The variants of experiment `name` and, in `explain`, what it shows. Throws UsageError for an
/// unknown name.
std::vector<ExperimentVariant> experimentVariants(const std::string& name, std::string& explain);

/// One run of an experiment, planned: the variant's model and the settings it trains with.
struct PlannedRun {
    std::string variant;    // ExperimentVariant::name
    std::string model;      // a preset name, or empty when modelJson is the model
    std::string modelJson;  // the variant's own document
    ModelSpec spec;         // the model's (its defaults)
    TrainConfig config;     // the model's defaults, the variant's changes, the user's epochs/seed
    DataOptions data;
};

/// What an experiment's runs take from the user rather than from the variant's model. The
/// command line and the window differ only here.
struct ExperimentBase {
    std::uint64_t seed = 1;
    /// Epochs the user asked for: they win (0: not asked). Otherwise the experiment's
    /// (experimentEpochs), else `fallbackEpochs`, else the model's default.
    int epochs = 0;
    int fallbackEpochs = 0;
    /// The data settings for a model with these defaults (the user's folder, data set and
    /// subsets); the variant's adjustment comes after.
    std::function<DataOptions(const ModelDefaults&)> data;
};

/// Every run of experiment `name`, in order, each from the same seed; `explain` as in
/// experimentVariants. Throws UsageError for an unknown name, ModelError for a broken variant.
std::vector<PlannedRun> planExperiment(const std::string& name, const ExperimentBase& base,
                                       std::string& explain);

/// Per layer, the mean weight and gradient norm over the batches of `epoch` (0: the last epoch
/// with norms) of a saved run; empty when the run has no norms.
std::vector<LayerNorms> meanLayerNorms(const RunData& run, int epoch = 0);

/// The largest |difference| between the batch losses of two runs at the same step, over the
/// steps both logged (their count in `compared`).
double maxBatchLossDifference(const RunData& a, const RunData& b, std::size_t* compared = nullptr);

/// What experiment `name` shows beyond its table, computed from its saved runs (variant name,
/// run), as sentences: momentum form I against form II for the optimizers, the first-to-last
/// layer gradient-norm ratio for vanishing gradients. Variants that are missing are skipped.
std::vector<std::string> experimentFindings(
    const std::string& name, const std::vector<std::pair<std::string, RunData>>& runs);

}  // namespace ll
