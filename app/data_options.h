#pragma once
// Data-set options shared by the train and experiment commands.

#include <string>
#include <vector>

#include "app/args.h"
#include "core/data/dataset.h"
#include "core/model_file.h"

namespace ll::cli {

struct DataOptions {
    std::string dataset;  // mnist | cifar10
    std::string dir;
    double trainSubset = 0;  // 0: all; < 1: fraction; >= 1: count
    int testSubset = 0;      // 0: all
    double labelNoise = 0;
    std::vector<int> classes;  // two classes, or empty
    std::uint64_t seed = 1;
};

struct DataPair {
    Dataset train, test;
    int noisyLabels = 0;
};

/// Reads --dataset, --data (or $LAYERLENS_DATA), --train-subset, --test-subset, --label-noise,
/// --classes, with the model's defaults. Throws UsageError with what to do.
DataOptions dataOptionsFrom(const Args& args, const ModelDefaults& defaults, std::uint64_t seed);
DataPair loadData(const DataOptions& options);

}  // namespace ll::cli
