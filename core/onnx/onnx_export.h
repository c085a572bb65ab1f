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

#include <string>
#include <vector>

#include "core/net.h"

namespace ll {

/// The opset and IR version written.
constexpr int kOnnxExportOpset = 13;
constexpr int kOnnxExportIrVersion = 7;

struct OnnxExportOptions {
    /// Written as the metadata "class_names" (a JSON list, as the importer reads it) when given.
    std::vector<std::string> classNames;
};

struct OnnxExportResult {
    std::string bytes;                  // the serialized ModelProto, checked
    std::vector<std::string> warnings;  // what the user should know about the file
};

/// Builds and checks the ONNX model of `net` (its weights as they are now). Throws ModelError
/// naming the node for a layer ONNX cannot express (and for a net built shapes only, or one
/// without an input shape), and CheckError if the checker refuses the graph (an exporter bug).
/// Non-const: parameters are read through Layer::params.
OnnxExportResult exportOnnxModel(Net& net, const OnnxExportOptions& options = {});

/// exportOnnxModel written to `path` atomically (writeFileAtomic). Returns the warnings. Throws
/// as exportOnnxModel, and DataError when the file cannot be written.
std::vector<std::string> exportOnnx(Net& net, const std::string& path,
                                    const OnnxExportOptions& options = {});

}  // namespace ll
