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

#include <memory>
#include <string>
#include <utility>
#include <vector>

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

class Layer {
public:
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
    /// While frozen, a stochastic layer (Dropout) reuses its last random draw: gradient checks
    /// need f to be a deterministic function between calls.
    virtual void freezeRandomness(bool frozen) { (void)frozen; }
    /// True for element-wise activation functions (ReLU, Sigmoid, Tanh): the analysis counts
    /// their evaluations.
    virtual bool isActivation() const { return false; }

    std::int64_t numParams();

protected:
    virtual void forwardImpl(const Tensor& x, Tensor& y, Mode mode) = 0;
    virtual void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) = 0;

    /// Throws ShapeError: "layer 'fc1' (Linear 400→120): <what>; got input (16, 300)".
    [[noreturn]] void shapeError(const Shape& in, const std::string& what) const;
    /// Checks rank, naming the expected layout (e.g. "(N, C, H, W)").
    void requireRank(const Shape& in, int rank, const char* layout) const;

private:
    std::string m_name;
};

using LayerPtr = std::unique_ptr<Layer>;

}  // namespace ll
