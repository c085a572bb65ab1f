#pragma once
// Net: a directed acyclic graph of layers (nodes) that keeps every node's activation for
// inspection — the desktop app draws them — and back-propagates through them. A node's gradient
// lives only while backward needs it (its buffer then serves a later node's gradient), unless
// the net is asked to retain gradients (retainGradients: Grad-CAM, per-layer profiles).
//
// Nodes are stored in a topological order: a node reads the net's input or nodes before it
// (by default the previous node, so a sequence is a chain graph), and the last node is the
// output. A tensor read by several nodes receives the sum of their gradients (Caffe's split
// layer), so every layer keeps the contract of layer.h: dx overwritten, parameter gradients
// accumulated. Node i's activation is activation(i), whatever its inputs.
//
// Ownership is plain: the Net owns its layers and all activation tensors.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/layer.h"

namespace ll {

struct NamedBuffer {
    std::string name;  // "<layer>.<buffer>", e.g. "bn1.running_mean"
    Tensor* tensor;
};

/// Wall time each node's passes took, summed over the passes run while the net profiles
/// (Net::setProfile; `layerlens bench --per-layer`). Indexed by node; seconds.
struct NodeTimes {
    std::vector<double> forward;   // forward and infer
    std::vector<double> backward;  // backward, including the input gradient when asked
};

class Net {
public:
    /// `inputSample` is the shape of one input without the batch dimension, e.g. (1, 28, 28).
    explicit Net(std::string name = "net", Shape inputSample = {});
    Net(Net&&) noexcept = default;
    Net& operator=(Net&&) noexcept = default;

    /// The name by which nodes refer to the net's input.
    static constexpr const char* kInputName = "input";

    /// Appends a node reading the named nodes (kInputName: the net's input), by default the
    /// previous node. An unnamed layer gets a name like "conv2" or "fc1". Throws ModelError for
    /// a duplicate or unknown name and ShapeError (naming the layer) if the inputs do not fit.
    Layer& add(LayerPtr layer, const std::vector<std::string>& inputs = {});
    template <typename L, typename... Args>
    L& emplace(Args&&... args) {
        return static_cast<L&>(add(std::make_unique<L>(std::forward<Args>(args)...)));
    }

    const std::string& name() const { return m_name; }
    void setName(std::string n) { m_name = std::move(n); }
    const Shape& inputSample() const { return m_inputSample; }
    /// True for a net built inside a ShapesOnlyScope: shapes, counts and costs, but no weights;
    /// forward, backward and resetParameters throw CheckError.
    bool shapesOnly() const { return m_shapesOnly; }
    /// Whether the weights came with the model (an imported ONNX file) rather than from
    /// resetParameters; see resetParameters.
    bool pretrained() const { return m_pretrained; }
    void setPretrained(bool p) { m_pretrained = p; }
    /// The model-file JSON the net was built from (empty for nets built in code); the model
    /// transformations (clone, BN folding, FC→conv) rebuild from it.
    const std::string& modelJson() const { return m_modelJson; }
    void setModelJson(std::string j) { m_modelJson = std::move(j); }
    int size() const { return static_cast<int>(m_layers.size()); }
    Layer& layer(int i) { return *m_layers.at(static_cast<std::size_t>(i)); }
    const Layer& layer(int i) const { return *m_layers.at(static_cast<std::size_t>(i)); }
    /// Index of the layer with that name, or -1.
    int indexOf(const std::string& layerName) const;
    /// The nodes node i reads, in order; −1 is the net's input.
    const std::vector<int>& inputsOf(int i) const {
        return m_inputs.at(static_cast<std::size_t>(i));
    }
    /// The nodes that read node i (−1: the net's input), in order.
    std::vector<int> consumersOf(int i) const;
    /// True when every node reads the one before it (a sequence).
    bool isChain() const;
    /// Throws ModelError when a node other than the last feeds no other node: a graph has one
    /// output, the last node.
    void checkSingleOutput() const;
    /// The k-th input tensor of node i in the last forward pass.
    const Tensor& inputOf(int i, int k = 0) const;
    /// Output shape of each layer for one sample (batch dimension 1).
    std::vector<Shape> outputShapes() const;
    /// Output shape of the whole net for one sample (batch dimension 1).
    Shape outputSample() const;
    /// Output shape for a batched input `in` (the input itself when the net has no layers).
    /// Throws ShapeError naming the first layer that does not fit.
    Shape outputShape(const Shape& in) const;

    /// Draws all parameters from `seed` (each layer gets its own split stream, in order).
    /// Draws initial weights and reseeds every layer's randomness (dropout masks). A pretrained
    /// net (an imported model: setPretrained) keeps its weights and statistics and is only
    /// reseeded, so "start training" fine-tunes what the user brought.
    void resetParameters(std::uint64_t seed);
    void resetParameters(Rng& rng);

    /// Runs every layer; returns the last activation (valid until the next forward).
    const Tensor& forward(const Tensor& x, Mode mode);
    /// Inference only (Mode::Eval): the same output as forward(x, Mode::Eval), bit for bit, but
    /// a node's activation is released as soon as its last reader has run and its buffer is
    /// reused by a later node of the same output size, so the memory is that of the widest cut
    /// of the graph (per size) rather than of every activation. The nodes in `keep` (indices) and
    /// the output keep theirs; the others' activation(i) are empty afterwards, and backward refuses
    /// to run until the next forward. A Conv2d read only by a BatchNorm2d (itself read only by a
    /// ReLU) runs as one step that applies the batch norm (and ReLU) to each block of the
    /// convolution's output while it is in cache (ConvEpilogue): the same float operations, so the
    /// same bits, one pass less over memory each. Nodes in `keep` are never fused away.
    const Tensor& infer(const Tensor& x, const std::vector<int>& keep = {});
    /// The largest number of activation bytes the last infer() held at once.
    std::int64_t inferPeakBytes() const { return m_inferPeak; }
    /// Back-propagates dL/d(output) through the activations of the last forward. Parameter
    /// gradients accumulate; activation gradients are overwritten. The gradient with respect to
    /// the input is computed only when wantInputGrad (saliency, effective receptive fields).
    void backward(const Tensor& dOut, bool wantInputGrad = false);
    /// Back-propagates dL/d(output of layer `last`) down from that layer (effective receptive
    /// fields, saliency of inner units). Gradients of later layers are left as they were.
    void backwardFrom(int last, const Tensor& dAct, bool wantInputGrad = false);
    /// Whether backward keeps every node's gradient for activationGrad (true) or hands a node's
    /// gradient buffer on as soon as the node's own backward has read it (false, the default,
    /// as PyTorch frees non-leaf gradients): training then holds the gradients of the widest cut
    /// of the graph, not of every node. The values are the same either way, bit for bit.
    void retainGradients(bool retain) { m_retainGrads = retain; }
    bool retainsGradients() const { return m_retainGrads; }
    /// Bytes the activation-gradient buffers hold now, in use or spare (not the parameters').
    std::int64_t gradientBytes() const;

    const Tensor& input() const { return m_input; }
    const Tensor& activation(int i) const { return m_acts.at(static_cast<std::size_t>(i)); }
    /// dL/d(activation i) of the last backward; empty unless the net retains gradients.
    const Tensor& activationGrad(int i) const { return m_grads.at(static_cast<std::size_t>(i)); }
    const Tensor& inputGrad() const { return m_inputGrad; }
    const Tensor& output() const;

    std::vector<Param*> params();
    /// "<layer>.<param>", e.g. "conv1.weight" ("incep.b2.conv1.weight" inside a module).
    std::vector<NamedParam> namedParams();
    std::vector<NamedBuffer> namedBuffers();
    void zeroGrad();
    std::int64_t numParams();
    void freezeRandomness(bool frozen);

    /// While `times` is set (not null), every node's forward and backward time is added to it;
    /// it is sized to the nodes here. The caller owns it; nullptr stops profiling.
    void setProfile(NodeTimes* times);

    /// One line per layer: name, type, description, output shape, parameter count.
    std::string summary();

private:
    // infer(): node i (a Conv2d) computes the batch norm `bn` and the ReLU `relu` too (-1: none).
    struct InferFusion {
        int bn = -1, relu = -1;
    };
    // infer()'s working lists, kept between passes so that a pass allocates nothing.
    struct InferScratch {
        std::vector<char> kept, fused;
        std::vector<int> readers, reader;  // how often each node is read; its last reader
        std::vector<InferFusion> plan;
        std::vector<float> scale, shift;
    };
    // Fills m_inferScratch.plan for the nodes in m_inferScratch.kept.
    void planInferFusions();
    Shape batchOfOne() const;            // (1, input sample...)
    void beginForward(const Tensor& x);  // checks x and copies it into m_input
    void forwardNode(std::size_t i, Mode mode, std::vector<const Tensor*>& xs);
    void takeGrad(std::int64_t numel, Tensor& t);  // a spare buffer of that size, if any
    void releaseGrad(Tensor& t);                   // moves a gradient buffer, if any, to the pool

    std::string m_name;
    Shape m_inputSample;
    std::string m_modelJson;
    bool m_shapesOnly = false;
    bool m_pretrained = false;
    bool m_lean = false;  // the last pass was infer(): activations were released
    bool m_retainGrads = false;
    std::int64_t m_inferPeak = 0;
    NodeTimes* m_profile = nullptr;
    InferScratch m_inferScratch;
    std::vector<const Tensor*> m_xs;        // a node's inputs (forward, infer, backward)
    std::vector<Tensor*> m_dxs, m_targets;  // backward: a node's input gradients and their sums
    std::vector<Param*> m_paramCache;       // zeroGrad's params(), for m_paramCacheLayers layers
    std::size_t m_paramCacheLayers = static_cast<std::size_t>(-1);
    std::vector<Tensor> m_inferPool;  // buffers infer() released, for the next infer()
    std::vector<LayerPtr> m_layers;
    std::vector<std::vector<int>> m_inputs;  // m_inputs[i]: nodes node i reads (−1: the input)
    std::vector<Shape> m_sampleShapes;       // output of each node for a batch of one
    std::vector<char> m_reached;             // backward: node's gradient written in this pass
    std::vector<Tensor> m_split;             // backward: a second reader's gradient, summed in
    std::vector<Tensor> m_gradPool;          // backward: gradient buffers no node holds now
    std::vector<std::int64_t> m_passSizes;   // infer, backward: buffer sizes the pass asked for
    Tensor m_input;                          // copy of the last input, (N, ...)
    std::vector<Tensor> m_acts;              // m_acts[i]: output of layer i
    std::vector<Tensor> m_grads;             // m_grads[i]: dL/d(output of layer i)
    Tensor m_inputGrad;                      // dL/d(input), when requested
};

}  // namespace ll
