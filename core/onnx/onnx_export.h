#pragma once
// ONNX export: the reverse of onnx_import.h. A net becomes an ONNX ModelProto (opset 13,
// IR version 7, producer "LayerLens") with its current weights as float32 initializers, so a
// model designed or trained here runs in ONNX Runtime, OpenCV's DNN module, or back in PyTorch.
//
// The graph reads one input "input" of shape (N, sample...) with a dynamic batch "N" and writes
// "output". Every LayerLens node becomes one ONNX node of the same name, or a few when ONNX has
// no single operator for it (SiLU → Sigmoid + Mul, GELU → its erf formula, HardSwish → HardSigmoid
// + Mul: HardSwish only exists from opset 14), the extra ones named "<node>/<step>". A Concat
// module's branches are written inline, their nodes named "<module>.<branch>.<node>" like their
// parameters. The graph describes inference: batch normalization uses its running statistics and
// dropout is the identity. A layer ONNX cannot express exactly is refused (ModelError naming the
// node), never approximated silently; an exact rewrite whose import would differ from the
// original (a sparse convolution made dense) is done with a warning.
//
// The model is built with Debian's ONNX protobuf classes and passed through ONNX's checker
// before it is written.
//
// External data: protobuf cannot write (or read) a message of 2 GB or more, so a model whose
// weights would take it past that writes them to one side file beside the .onnx, as ONNX
// defines it (TensorProto.data_location = EXTERNAL, external_data "location" = the side file's
// name, "offset", "length"), and the .onnx keeps the graph. Each tensor starts at a multiple of
// 4096 bytes (a memory page, so a reader can map a tensor; zeros between), in the order of the
// initializers. Tensors under 1024 bytes (biases, scalars: ONNX's convert_model_to_external_data
// threshold) stay inline. onnx.load(path), onnxruntime and LayerLens' importer read the pair.

#include <cstdint>
#include <string>
#include <vector>

#include "core/net.h"

namespace ll {

/// The opset and IR version written.
constexpr int kOnnxExportOpset = 13;
constexpr int kOnnxExportIrVersion = 7;

/// Protobuf's limit on a serialized message (2 GiB): a ModelProto this size or larger can be
/// neither written nor read.
constexpr std::uint64_t kOnnxProtobufLimit = std::uint64_t{2} << 30;
/// The model size (weights inline) above which the export writes external data by default: the
/// limit less 64 MiB of headroom for readers that add to the model (shape inference's value_info)
/// or count more than the message (onnx.checker compares the Python object's size).
constexpr std::uint64_t kOnnxExternalDataAbove = kOnnxProtobufLimit - (std::uint64_t{64} << 20);

struct OnnxExportOptions {
    /// Written as the metadata "class_names" (a JSON list, as the importer reads it) when given.
    std::vector<std::string> classNames;
    /// Writes the weights as external data whatever the model's size (layerlens export
    /// --external-data).
    bool externalData = false;
    /// The serialized size of the model with every weight inline above which the weights go to
    /// external data anyway. Tests lower it; the default keeps clear of protobuf's limit.
    std::uint64_t externalDataAbove = kOnnxExternalDataAbove;
    /// The side file's name: a file name (no directory), written beside the model file. Empty:
    /// "<model file name>.data" (onnxExternalDataName) for exportOnnx, "model.onnx.data" for
    /// exportOnnxModel, which does not know the file name.
    std::string externalDataName;
    /// Initializers smaller than this (in bytes) stay inline in the model.
    std::uint64_t externalDataMinBytes = 1024;
    /// Offsets in the side file are multiples of this (a power of two, at least 1).
    std::uint64_t externalDataAlign = 4096;
};

struct OnnxExportResult {
    std::string bytes;                  // the serialized ModelProto, checked
    std::vector<std::string> warnings;  // what the user should know about the file
    /// External data: the side file's name (the tensors' "location", relative to the model's
    /// directory) and its contents; both empty when every weight is inline.
    std::string externalName;
    std::string externalBytes;
    int externalTensors = 0;  // how many initializers are in externalBytes
};

/// Builds and checks the ONNX model of `net` (its weights as they are now), in memory; with
/// external data (options.externalData, or a model over options.externalDataAbove) the
/// result's externalBytes hold the side file, and a warning says so when it was not asked for.
/// Throws ModelError naming the node for a layer ONNX cannot express (and for a net built
/// shapes only, one without an input shape, or a graph over protobuf's limit even without its
/// weights), UsageError for an externalDataName that is not a plain file name, and CheckError if
/// the checker refuses the graph (an exporter bug). Non-const: parameters are read through
/// Layer::params.
OnnxExportResult exportOnnxModel(Net& net, const OnnxExportOptions& options = {});

/// "<file name of path>.data": the default side file of a model written to `path`.
std::string onnxExternalDataName(const std::string& path);

/// Writes an exportOnnxModel result to `path`, with its external data (if any) beside it under
/// r.externalName, as one writeFilesAtomic: the side file, then the model. A failure leaves no
/// new file behind (and, unless a rename failed, the old pair as it was). Throws DataError
/// naming both files when they cannot be written, UsageError when the side file's name is the
/// model file's.
void writeOnnxExport(const std::string& path, const OnnxExportResult& r);

/// exportOnnxModel (the side file named onnxExternalDataName(path) unless the options name it)
/// written by writeOnnxExport. Returns the warnings. Throws as those two.
std::vector<std::string> exportOnnx(Net& net, const std::string& path,
                                    const OnnxExportOptions& options = {});

}  // namespace ll
