#pragma once
// Data-set options shared by the train and experiment commands.

#include <string>
#include <vector>

#include "app/args.h"
#include "core/data/load.h"
#include "core/model_file.h"

namespace ll::cli {

/// Reads --dataset, --data (or $LAYERLENS_DATA), --train-subset, --test-subset, --label-noise,
/// --classes, with the model's defaults. Throws UsageError with what to do.
DataOptions dataOptionsFrom(const Args& args, const ModelDefaults& defaults, std::uint64_t seed);

}  // namespace ll::cli
