#pragma once
// NumPy archives: .npz files (a zip of .npy arrays, stored or deflated, zip64 fields as numpy
// writes them) and .npy arrays, enough to read Keras' cached mnist.npz (x_train, y_train,
// x_test, y_test as uint8). Everything is checked: a damaged archive or an array of another type
// or shape is a DataError naming the file and the member.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace ll {

/// One .npy array: its dtype descriptor ("|u1", "<i8", ...), shape and raw data (C order).
struct NpyArray {
    std::string descr;
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> data;
    std::int64_t count() const;
};

/// Parses a .npy file already in memory; `name` is used in messages.
NpyArray parseNpy(const std::vector<std::uint8_t>& bytes, const std::string& name);

/// The members of a zip archive, by name, uncompressed. Throws DataError.
std::map<std::string, std::vector<std::uint8_t>> readZip(const std::vector<std::uint8_t>& zip,
                                                         const std::string& name);

/// MNIST from Keras' mnist.npz: split "train" or "test". Throws DataError.
Dataset loadMnistNpz(const std::string& path, const std::string& split);

}  // namespace ll
