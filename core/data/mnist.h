#pragma once
// MNIST from the official IDX files (LeCun et al.), gzipped or not, or from Keras' mnist.npz.

#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace ll {

/// The usual MNIST pixel statistics (training set, [0, 1] scale): the mean and stddev of every
/// MNIST Dataset, which normalization uses.
inline constexpr float kMnistMean = 0.1307f, kMnistStd = 0.3081f;

/// Directories searched for the IDX files, in order: dir, dir/MNIST/raw (torchvision),
/// dir/mnist, dir/MNIST.
std::vector<std::string> mnistSearchDirs(const std::string& dir);
/// Loads the "train" (60,000) or "test" (10,000) split from the IDX files, or, when they are
/// not there, from a mnist.npz (Keras) in the same folders. Throws DataError saying which file was
/// missing and where it looked, or what is wrong with a file (magic number, truncation, counts,
/// image size, label range). Never returns a partial data set.
Dataset loadMnist(const std::string& dir, const std::string& split);
/// Where the four MNIST files are (one of mnistSearchDirs(dir)), else the folder holding a
/// mnist.npz, or "" when neither is there. Cheap: looks at file names only.
std::string findMnist(const std::string& dir);
/// The mnist.npz in one of mnistSearchDirs(dir), or "".
std::string findMnistNpz(const std::string& dir);

/// Parses IDX image and label files already in memory (exposed for tests).
Dataset parseMnist(std::vector<std::uint8_t> images, const std::vector<std::uint8_t>& labels,
                   const std::string& imagesName, const std::string& labelsName);

}  // namespace ll
