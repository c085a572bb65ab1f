#pragma once
// Layer: the unit of computation of a network.
//
// Gradient contract (Caffe, dlib): backward() OVERWRITES the input gradient dx and ACCUMULATES
// (+=) into every parameter gradient. The trainer zeroes parameter gradients at the start of
// each step (Net::zeroGrad), so several backward passes may be summed on purpose.
//
// A layer states its output shape from its input shape (outputShape), which throws ShapeError
// naming the layer when the input does not fit. forward()/backward() are non-virtual: they
// validate shapes, size the output, then call the *Impl hooks. Tensors are resized with
// Tensor::resize, which keeps capacity, so steady-state steps do not allocate.
// Constructors hold hyper-parameters only; resetParameters() draws initial weights.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/random.h"
#include "core/tensor.h"

namespace ll {

enum class Mode { Train, Eval };

/// While a ShapesOnlyScope lives on a thread, the layers built there declare their parameters
/// and state tensors without allocating them. Such a net states shapes, parameter counts, costs
/// and receptive fields in constant memory whatever its size (a model file of 10 billion
/// parameters gets its cost table), but cannot run: Net::forward refuses it.
class ShapesOnlyScope {
public:
    ShapesOnlyScope();
    ~ShapesOnlyScope();
    ShapesOnlyScope(const ShapesOnlyScope&) = delete;
    ShapesOnlyScope& operator=(const ShapesOnlyScope&) = delete;

private:
    bool m_previous;
};
/// Whether a ShapesOnlyScope is alive on this thread.
bool buildingShapesOnly();
/// A tensor of `shape` filled with `value` — or, while building shapes only, an empty one. For a
/// layer's state tensors (batch-norm running statistics).
Tensor stateTensor(const Shape& shape, float value = 0.0f);

/// A trainable tensor and its gradient.
struct Param {
    std::string name;  // "weight", "bias", ...
    Tensor value;      // of shape `declared`, unless the net was built shapes only
    Tensor grad;       // same shape as value, once a backward pass or an optimizer needs it
    Shape declared;    // the shape the layer gave allocate()

    /// The value only: the gradient comes with the first backward pass (Layer::backward) or the
    /// optimizer, so nets built only to be looked at (cost tables, inference, the window's
    /// previews) do not pay for it — 244 MB for AlexNet. Nothing while building shapes only.
    void allocate(const Shape& shape) {
        declared = shape;
        value = stateTensor(shape);
        grad = Tensor();
    }
    /// Elements of the parameter (its declared size when the value was not allocated).
    std::int64_t numel() const { return value.empty() ? declared.numel() : value.numel(); }
    /// A zero gradient of the value's shape unless there is one already.
    void ensureGrad() {
        if (grad.shape() != value.shape()) grad = Tensor(value.shape());
    }
};

/// A named non-trainable state tensor (batch-norm running statistics), saved in checkpoints.
struct Buffer {
    std::string name;
    Tensor* tensor;
};

/// A parameter with its path inside a layer ("weight"; "b3x3.conv1.weight" inside a module).
struct NamedParam {
    std::string name;
    Param* param;
};

class Net;

/// What one sample costs through a layer, before a counting convention is applied
/// (core/analysis/cost.h applies it). Every layer type states its own: a missing rule does not
/// compile (Layer::cost is pure virtual).
struct LayerCost {
    std::int64_t weights = 0, biases = 0;  // trainable (batch norm: γ as weight, β as bias)
    std::int64_t multiplications = 0;      // of weighted sums (convolutions, linear): one MAC each
    std::int64_t sumOutputs = 0;           // outputs of those sums: one bias addition each
    bool hasBias = false;
    std::int64_t poolOps = 0;      // comparisons (max) or additions + divisions (average)
    std::int64_t normOps = 0;      // batch-norm operations
    std::int64_t activations = 0;  // activation-function evaluations
    std::int64_t elementwise = 0;  // additions and products of Add and Mul nodes
};

/// How a layer maps the receptive field of its input (core/analysis/receptive_field.h; Araujo et
/// al. 2019). Every layer type states its own (Layer::fieldRule is pure virtual).
struct FieldRule {
    enum class Kind {
        Same,    // element-wise, normalization, dropout, identity: the field is unchanged
        Window,  // a kernel: size += (k − 1)·d·jump, jump ·= s, start −= p·jump
        Whole,   // every output sees the whole input (Flatten of a map, global pooling)
        NotFlat  // needs a flat input (Linear after a map without Flatten): invalid
    };
    Kind kind = Kind::Same;
    int kh = 1, kw = 1, sh = 1, sw = 1;
    int ph = 0, pw = 0;  // padding at the top and the left
    int dh = 1, dw = 1;  // dilation
    static FieldRule same() { return {}; }
    static FieldRule window(int kh, int kw, int sh, int sw, int ph, int pw, int dh = 1,
                            int dw = 1) {
        FieldRule r;
        r.kind = Kind::Window;
        r.kh = kh, r.kw = kw, r.sh = sh, r.sw = sw, r.ph = ph, r.pw = pw, r.dh = dh, r.dw = dw;
        return r;
    }
    static FieldRule whole() {
        FieldRule r;
        r.kind = Kind::Whole;
        return r;
    }
};

class Layer {
public:
    Layer() = default;
    // Not copyable; a moved-to layer takes the name and group, not the cache of pointers to the
    // original's parameters (ensureGrads).
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;
    Layer(Layer&& o) noexcept : m_name(std::move(o.m_name)), m_group(std::move(o.m_group)) {}
    Layer& operator=(Layer&& o) noexcept {
        m_name = std::move(o.m_name);
        m_group = std::move(o.m_group);
        m_gradParams.clear();
        m_gradParamsKnown = false;
        return *this;
    }
    virtual ~Layer() = default;

    /// Class name as used in model files and tables: "Conv2d", "Linear", ...
    virtual const char* type() const = 0;
    /// Short human description of the hyper-parameters, e.g. "6→16, k5×5, s1, p0".
    virtual std::string describe() const { return {}; }

    const std::string& name() const { return m_name; }
    void setName(std::string name) { m_name = std::move(name); }
    /// "'conv1' (Conv2d 1→6, k5×5, s1, p2)" for error messages.
    std::string label() const;

    /// Output shape (batch dimension included) for an input of shape `in`.
    /// Throws ShapeError naming this layer if `in` does not fit.
    virtual Shape outputShape(const Shape& in) const = 0;

    /// How many inputs a node of this type reads: 1 for most layers; Add, Mul and Concat over
    /// named inputs read several (core/layers/multi_input.h).
    virtual int minInputs() const { return 1; }
    virtual int maxInputs() const { return 1; }
    /// Output shape for the shapes of all inputs (batched). The default takes exactly one.
    virtual Shape outputShapeMulti(const std::vector<Shape>& in) const;
    /// y = f(x1, ..., xn). The one-input forward() is this with one input.
    void forwardMulti(const std::vector<const Tensor*>& xs, Tensor& y, Mode mode);
    /// Overwrites *dxs[k] with dL/dx_k (skipped where dxs[k] is null), accumulates dL/dθ.
    void backwardMulti(const std::vector<const Tensor*>& xs, const Tensor& y, const Tensor& dy,
                       const std::vector<Tensor*>& dxs);

    /// Cost of one sample for input shapes `in` (batched, N = 1) and output shape `out`.
    virtual LayerCost cost(const std::vector<Shape>& in, const Shape& out) const = 0;
    /// How the layer maps a receptive field, for an input of (batched) shape `in`.
    virtual FieldRule fieldRule(const Shape& in) const = 0;
    /// Writes the hyper-parameters into the layer's model-file object (type, name, inputs and
    /// group are written by the net). Reading is the layer kind's (core/layers/registry.h).
    virtual void write(nlohmann::json& j) const = 0;
    /// The block the layer belongs to ("s1b1"), for cost subtotals; empty for none.
    const std::string& group() const { return m_group; }
    void setGroup(std::string g) { m_group = std::move(g); }

    /// y = f(x). Resizes y to outputShape(x.shape()). `x` and `y` must be distinct tensors.
    void forward(const Tensor& x, Tensor& y, Mode mode);
    /// Given x, y = f(x) from the last forward and dy = dL/dy, overwrites *dx with dL/dx
    /// (skipped when dx is null) and accumulates dL/dθ into every Param::grad.
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx);

    /// Trainable parameters (stable order); empty for parameter-free layers.
    virtual std::vector<Param*> params() { return {}; }
    /// params() with names unique within the layer (a module prefixes its branches' names).
    virtual std::vector<NamedParam> namedParams();
    virtual std::vector<Buffer> buffers() { return {}; }
    /// Modules (Concat) hold parallel branches, each a Net; leaf layers have none.
    virtual int numBranches() const { return 0; }
    virtual Net& branch(int i);
    virtual const Net& branch(int i) const;
    bool isModule() const { return numBranches() > 0; }
    /// Draws initial parameters (PyTorch defaults) and reseeds any internal randomness.
    virtual void resetParameters(Rng& rng) { (void)rng; }
    /// Whether Net::resetParameters gives this layer its own random stream. The node types of
    /// graphs that hold no parameters and no randomness (Add, Mul, ChannelPad, Concat over
    /// inputs, GlobalAvgPool2d, Identity) take none, so a net and its twin with shortcuts draw
    /// the same weights (the shortcuts experiment); the older layer types keep theirs, so every
    /// older model draws the weights it always drew.
    virtual bool takesSeed() const { return true; }
    /// While frozen, a stochastic layer (Dropout) reuses its last random draw: gradient checks
    /// need f to be a deterministic function between calls.
    virtual void freezeRandomness(bool frozen) { (void)frozen; }
    /// True for element-wise activation functions (ReLU, Sigmoid, Tanh): the analysis counts
    /// their evaluations.
    virtual bool isActivation() const { return false; }

    std::int64_t numParams();

protected:
    /// What forward does before forwardImpl: checks x (distinct from y, a non-empty batch) and
    /// sizes y to outputShape. For layers with a forward of their own (Conv2d::forwardFused).
    void sizeOutput(const Tensor& x, Tensor& y) const;
    virtual void forwardImpl(const Tensor& x, Tensor& y, Mode mode) = 0;
    virtual void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) = 0;
    /// Several-input layers override these; the defaults call the one-input hooks.
    virtual void forwardMultiImpl(const std::vector<const Tensor*>& xs, Tensor& y, Mode mode) {
        forwardImpl(*xs[0], y, mode);
    }
    virtual void backwardMultiImpl(const std::vector<const Tensor*>& xs, const Tensor& y,
                                   const Tensor& dy, const std::vector<Tensor*>& dxs) {
        backwardImpl(*xs[0], y, dy, dxs[0]);
    }

    /// Throws ShapeError: "layer 'fc1' (Linear 400→120): <what>; got input (16, 300)".
    [[noreturn]] void shapeError(const Shape& in, const std::string& what) const;
    /// Checks rank, naming the expected layout (e.g. "(N, C, H, W)").
    void requireRank(const Shape& in, int rank, const char* layout) const;

private:
    // Gives every parameter its gradient (the first backward pass allocates them); the list is
    // taken once, so later passes allocate nothing.
    void ensureGrads();

    std::string m_name;
    std::string m_group;
    std::vector<Param*> m_gradParams;  // params(), once ensureGrads has run
    bool m_gradParamsKnown = false;
    std::vector<Shape> m_inputShapes;  // forwardMulti's scratch
};

using LayerPtr = std::unique_ptr<Layer>;

}  // namespace ll
