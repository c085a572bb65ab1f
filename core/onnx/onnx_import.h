#pragma once
// ONNX import: a model trained elsewhere (PyTorch, Keras, ... exported to ONNX) becomes a
// LayerLens model document (core/model_file.h) plus its weights, so every view, the cost table
// and training work on it with the engine's own hand-written backward passes.
//
// The file is parsed with Debian's ONNX library (libonnx-dev: the ModelProto protobuf messages
// and its checker), never by hand. The graph is converted node by node in its topological order:
// each operator maps onto a registered layer type (Conv → Conv2d, Gemm → Linear, ...); shape
// arithmetic (Shape, Gather, Unsqueeze, Concat of constants...) is evaluated while converting;
// Identity and eval-mode no-ops become aliases. Only the nodes the graph's output depends on are
// kept. Anything else is refused as a whole, with one message naming the operator, the node, the
// opset and what is supported — a model is never half-imported.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/model_file.h"
#include "core/net.h"

namespace ll {

/// Whether `path` names an ONNX file (by its extension, ".onnx", any case).
bool isOnnxPath(const std::string& path);

/// The operators (ai.onnx domain) the importer converts, sorted, for messages and the README.
std::vector<std::string> onnxSupportedOps();

/// The training defaults of an imported model: fine-tuning (SGD with momentum, a small step, so
/// the weights it brought are not thrown away in the first steps). Its data set is guessed from
/// its input: MNIST for (1, 28, 28), CIFAR-10 for (3, 32, 32), none otherwise.
ModelDefaults onnxFineTuneDefaults();

/// The height and width given to ONNX models whose input leaves them dynamic ("H", "W"): the
/// command line's --input-size, the window's question. 0, 0 (the default): such a model is
/// refused with OnnxInputSizeError.
void setOnnxInputSize(int height, int width);
/// "224x224" (also "224×224", "224X224", "224*224", "224,224", "224 224"; spaces around) as
/// height and width, each 1 to 16384; nothing for anything else. The command line's
/// --input-size and the window's question read sizes with it.
std::optional<std::pair<int, int>> parseInputSize(const std::string& text);

/// An ONNX model whose input height or width is dynamic, opened without a size to give it: what
/// the window answers by asking for one (and the command line by naming --input-size).
class OnnxInputSizeError : public ModelError {
public:
    using ModelError::ModelError;
};

/// The ONNX opsets the importer reads.
constexpr int kOnnxMinOpset = 9;
constexpr int kOnnxMaxOpset = 17;

class OnnxImport {
public:
    /// The LayerLens model document (JSON): name from the file, input shape, layers with the
    /// ONNX node names (else their output tensor's name), defaults for fine-tuning.
    const std::string& json() const { return m_json; }
    /// What the user should know: dropped outputs, ignored attributes, guessed data set.
    const std::vector<std::string>& warnings() const { return m_warnings; }
    /// Class names from the model's metadata ("class_names"/"labels") or a labels.txt beside the
    /// file; empty when neither is present.
    const std::vector<std::string>& classNames() const { return m_classNames; }
    /// Copies the imported weights into `net`, built from json() (buildNet), and marks it
    /// pretrained. Throws ModelError when a tensor does not fit (a net built from another
    /// document).
    void loadWeights(Net& net) const;

    struct Weights;  // the parsed ModelProto and where each parameter comes from

private:
    friend OnnxImport importOnnx(const std::string& path);
    std::string m_json;
    std::vector<std::string> m_warnings;
    std::vector<std::string> m_classNames;
    std::shared_ptr<const Weights> m_weights;
};

/// Reads and converts an ONNX file. Throws DataError when the file cannot be read or is not an
/// ONNX model (truncated, not protobuf, over 2 GB), and ModelError when the model cannot be
/// converted (an unsupported operator or attribute, a dynamic height or width, inconsistent
/// shapes), naming the node. External data (weights in side files) is read from beside the file.
OnnxImport importOnnx(const std::string& path);

}  // namespace ll
