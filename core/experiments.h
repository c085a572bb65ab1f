#pragma once
// The course experiments as data: for each, its explanation and its variants (a model and how
// the training and data settings differ). Every variant of an experiment starts from the same
// seed, so from the same weights and data order. Used by `layerlens experiment` and the window.

#include <functional>
#include <string>
#include <vector>

#include "core/data/load.h"
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
/// The variants of experiment `name` and, in `explain`, what it shows. Throws UsageError for an
/// unknown name.
std::vector<ExperimentVariant> experimentVariants(const std::string& name, std::string& explain);

}  // namespace ll
