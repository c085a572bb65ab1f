#pragma once
// Loading a training/test pair with the course options (subset, label noise, two-class filter),
// shared by the command line and the desktop app.

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace ll {

/// Size of the built-in synthetic sets unless --train-subset / --test-subset give counts.
constexpr int kSyntheticTrain = 12000, kSyntheticTest = 2000;

struct DataOptions {
    std::string dataset;  // mnist | cifar10 | synthetic-digits | synthetic-shapes | images
    std::string dir;      // unused by the synthetic sets
    /// The model's input (C, H, W): user images ("images") are resized and converted to it.
    int channels = 0, height = 0, width = 0;
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

/// Throws DataError (what is missing and where it looked) or UsageError (bad options).
DataPair loadData(const DataOptions& options);

/// Per-channel mean and standard deviation of pixels on the [0, 1] scale.
struct ChannelStatistics {
    std::vector<float> mean, stddev;
};

/// The statistics training on `options` normalizes its inputs with (the training split's
/// Dataset::mean and stddev), to feed another image the same way: MNIST's and CIFAR-10's usual
/// constants without reading a file; the synthetic sets' and an image folder's from loading the
/// data as loadData does (generated in about a second; the folder's images read). Throws as
/// loadData does.
ChannelStatistics trainingStatistics(const DataOptions& options);

}  // namespace ll
