#pragma once
// In-memory image classification data. Images stay uint8 (N, C, H, W) — 47 MB for all of MNIST —
// and are converted to float one batch at a time (makeBatch).

#include <cstdint>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"

namespace ll {

struct Dataset {
    std::string name;    // "mnist", "cifar10", ...
    std::string split;   // "train" or "test"
    std::string source;  // where it was read from, for messages
    int channels = 0, height = 0, width = 0;
    std::vector<std::uint8_t> images;  // (N, C, H, W)
    std::vector<std::uint8_t> labels;  // (N); class index
    std::vector<std::string> classNames;
    /// Per-channel mean and standard deviation on the [0, 1] scale used by normalization.
    std::vector<float> mean, stddev;
    /// Problems met while loading that did not stop it (an unreadable file that was skipped).
    std::vector<std::string> warnings;

    int size() const { return static_cast<int>(labels.size()); }
    int numClasses() const { return static_cast<int>(classNames.size()); }
    std::int64_t imageSize() const { return static_cast<std::int64_t>(channels) * height * width; }
    Shape sampleShape() const { return {channels, height, width}; }
    const std::uint8_t* image(int i) const { return images.data() + imageSize() * i; }
};

/// Keeps `count` samples chosen at random (seeded); count >= size keeps all. Order is shuffled.
void takeSubset(Dataset& d, int count, std::uint64_t seed);
/// Replaces the labels of round(p·N) samples, chosen at random, with labels drawn uniformly from
/// all classes (which may coincide with the true one), as in Zhang et al. 2017. Returns how many
/// labels actually changed. p must be in [0, 1].
int applyLabelNoise(Dataset& d, double p, std::uint64_t seed);
/// Keeps only classes a and b and relabels them 0 and 1 (a two-class task, e.g. digits 4 vs 9).
void filterTwoClasses(Dataset& d, int a, int b);

/// How a batch is turned into tensors.
struct BatchOptions {
    bool normalize = true;      // (x/255 − mean) / std per channel; else x/255
    bool rawPixels = false;     // x as stored, 0..255 (overrides normalize; course notebooks)
    bool augment = false;       // random 4-pixel-padded crop and horizontal flip (CIFAR)
    bool signedLabels = false;  // labels 0/1 → −1/+1 (one-output models)
};

/// x (count, C, H, W) and y (count) from samples order[start .. start+count). Reuses the tensors'
/// storage. `rng` is needed only when augmenting.
void makeBatch(const Dataset& d, const std::vector<int>& order, int start, int count, Tensor& x,
               Tensor& y, const BatchOptions& options, Rng* rng = nullptr);

}  // namespace ll
