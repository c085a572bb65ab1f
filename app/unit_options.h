#pragma once
// What `layerlens topk` and `layerlens maximize` share: the model and its weights, the node and
// how a channel's positions are reduced, how pixels are scaled, and the test images.

#include <string>
#include <vector>

#include "app/args.h"
#include "core/analysis/unit_visualization.h"
#include "core/data/load.h"
#include "core/model_file.h"

namespace ll::cli {

/// The options both commands take (model, checkpoint, layer, reduction, data, scaling, seed).
std::vector<Option> unitOptions();

struct UnitSetup {
    ModelSpec spec;
    Net net;
    std::string weights;  // one line: where the weights come from (a warning when untrained)
    int node = -1;
    UnitSpec unit;       // from --reduce and --unit
    BatchOptions batch;  // how training scaled the pixels
};

/// Reads --model/--checkpoint (weights loaded), --layer, --reduce (default `reduce`) and --unit,
/// --no-normalize and --raw-pixels. Throws UsageError with what to do for an unknown layer, a bad
/// reduction or a unit outside the layer's output; the checkpoint's own errors otherwise.
UnitSetup unitSetup(const Args& args, UnitReduce reduce);

/// The data the model trains on (--dataset, --data), converted to its input shape; DataError or
/// UsageError when it is not found.
DataPair unitData(const Args& args, const UnitSetup& setup);

/// A node's name as a file name: characters outside [A-Za-z0-9._-] become '_', no leading '.'.
std::string fileSafe(const std::string& name);

/// `path` with "-SUFFIX" put before its extension: img.png → img-c3.png.
std::string withSuffix(const std::string& path, const std::string& suffix);

/// Writes `image` as a PNG to `path`, creating its folder.
void writeRgbPng(const std::string& path, const RgbImage& image);

}  // namespace ll::cli
