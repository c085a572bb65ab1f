#pragma once
// NumPy archives: .npz files (a zip of .npy arrays, stored or deflated, zip64 fields as numpy
// writes them) and .npy arrays, enough to read Keras' cached mnist.npz (x_train, y_train,
// x_test, y_test as uint8) and the arrays `layerlens infer` is given. Everything is checked: a
// damaged archive or an array of another type or shape is a DataError naming the file and the
// member. Tensors are written as float32 .npy files the way np.save writes them.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/tensor.h"

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

/// The array as a float32 tensor of the same shape: '<f4' as stored, '<f8' rounded to float32,
/// uint8 ('|u1') converted value by value (0..255, not scaled). Throws DataError naming `name`
/// for another dtype or a dimension beyond what a Shape holds (2^31 - 1).
Tensor npyToTensor(const NpyArray& array, const std::string& name);

/// The .npy file of `t` as np.save writes it: format version 1.0, dtype '<f4' (little-endian
/// float32), C order, shape t.shape() ("()" for a scalar); the header dict is followed by
/// numpy's growth room (spaces) and padded with spaces and a '\n' so the data starts at a
/// multiple of 64 bytes. np.load gives back the same values bit for bit.
std::string npyBytes(const Tensor& t);

/// Writes npyBytes(t) to `path` atomically (writeFileAtomic: the old file or the new one, never a
/// part). Throws DataError when the file cannot be written.
void writeNpy(const std::string& path, const Tensor& t);

/// The members of a zip archive, by name, uncompressed. Throws DataError.
std::map<std::string, std::vector<std::uint8_t>> readZip(const std::vector<std::uint8_t>& zip,
                                                         const std::string& name);

/// MNIST from Keras' mnist.npz: split "train" or "test". Throws DataError.
Dataset loadMnistNpz(const std::string& path, const std::string& split);

}  // namespace ll
