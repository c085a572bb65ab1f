#pragma once
// Checkpoints: weights, batch-norm statistics, optimizer state and progress, in one versioned
// binary file written atomically (temporary file + rename).
//
// Layout: the 16-byte magic "LAYERLENS-CKPT\n\0", a little-endian uint64 header length, a JSON
// header (format version, model name and document, epoch, step, optimizer, tensor directory),
// the float32 tensor data, and a CRC-32 of everything before it.

#include <cmath>
#include <cstdint>
#include <string>

#include "core/net.h"
#include "core/optimizer.h"

namespace ll {

constexpr int kCheckpointVersion = 1;

struct CheckpointInfo {
    int version = kCheckpointVersion;
    std::string model;
    std::string modelJson;
    int epoch = 0;
    std::int64_t step = 0;
    std::string optimizer;  // type of the saved optimizer ("" when none was saved)
    std::int64_t optimizerSteps = 0;
    float optimizerLr = std::nanf("");  // NaN: not saved
    bool optimizerRestored = false;
};

/// Saves the net (and optimizer state when given). Throws DataError if the file cannot be written;
/// an existing file at `path` is replaced only by a complete new one.
void saveCheckpoint(const std::string& path, Net& net, Optimizer* optimizer, int epoch,
                    std::int64_t step, const std::string& modelJson = "");

/// Loads into `net` (and `optimizer` when given and of the same type). Everything is validated
/// before anything is changed: a damaged file, another format version, or tensors whose names or
/// shapes do not fit the model throw (DataError / ModelError) and leave net and optimizer
/// untouched.
CheckpointInfo loadCheckpoint(const std::string& path, Net& net, Optimizer* optimizer = nullptr);

/// Reads only the header (model name, epoch...), validating the file.
CheckpointInfo readCheckpointInfo(const std::string& path);

}  // namespace ll
