#include "core/layer.h"

namespace ll {

namespace {
thread_local bool t_shapesOnly = false;
}  // namespace

ShapesOnlyScope::ShapesOnlyScope() : m_previous(t_shapesOnly) {
    t_shapesOnly = true;
}

ShapesOnlyScope::~ShapesOnlyScope() {
    t_shapesOnly = m_previous;
}

bool buildingShapesOnly() {
    return t_shapesOnly;
}

Tensor stateTensor(const Shape& shape, float value) {
    if (t_shapesOnly) return Tensor();
    return Tensor(shape, value);
}

std::string Layer::label() const {
    std::string s = "layer '" + m_name + "' (" + type();
    const std::string d = describe();
    if (!d.empty()) s += " " + d;
    return s + ")";
}

void Layer::sizeOutput(const Tensor& x, Tensor& y) const {
    LL_CHECK(&x != &y, label(), ": forward needs distinct input and output tensors");
    if (x.rank() >= 1 && x.dim(0) == 0) shapeError(x.shape(), "empty batch");
    y.resize(outputShape(x.shape()));
}

void Layer::forward(const Tensor& x, Tensor& y, Mode mode) {
    sizeOutput(x, y);
    forwardImpl(x, y, mode);
}

void Layer::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
    if (dy.shape() != y.shape()) {
        throw ShapeError(strCat(label(), ": output gradient has shape ", dy.shape(),
                                " but the output has shape ", y.shape()));
    }
    if (dx) dx->resize(x.shape());
    ensureGrads();
    backwardImpl(x, y, dy, dx);
}

Shape Layer::outputShapeMulti(const std::vector<Shape>& in) const {
    if (static_cast<int>(in.size()) < minInputs() || static_cast<int>(in.size()) > maxInputs()) {
        throw ShapeError(strCat(label(), ": takes ",
                                minInputs() == maxInputs()
                                    ? strCat(minInputs())
                                    : strCat(minInputs(), " to ", maxInputs()),
                                " input", maxInputs() == 1 ? "" : "s", ", got ", in.size()));
    }
    return outputShape(in[0]);
}

void Layer::ensureGrads() {
    if (!m_gradParamsKnown) {
        m_gradParams = params();
        m_gradParamsKnown = true;
    }
    for (Param* p : m_gradParams)
        p->ensureGrad();
}

void Layer::forwardMulti(const std::vector<const Tensor*>& xs, Tensor& y, Mode mode) {
    std::vector<Shape>& shapes = m_inputShapes;
    shapes.clear();
    for (const Tensor* x : xs) {
        LL_CHECK(x != &y, label(), ": forward needs distinct input and output tensors");
        if (x->rank() >= 1 && x->dim(0) == 0) shapeError(x->shape(), "empty batch");
        shapes.push_back(x->shape());
    }
    y.resize(outputShapeMulti(shapes));
    forwardMultiImpl(xs, y, mode);
}

void Layer::backwardMulti(const std::vector<const Tensor*>& xs, const Tensor& y, const Tensor& dy,
                          const std::vector<Tensor*>& dxs) {
    LL_CHECK(xs.size() == dxs.size(), label(), ": ", xs.size(), " inputs but ", dxs.size(),
             " input gradients");
    if (dy.shape() != y.shape()) {
        throw ShapeError(strCat(label(), ": output gradient has shape ", dy.shape(),
                                " but the output has shape ", y.shape()));
    }
    for (std::size_t k = 0; k < xs.size(); ++k)
        if (dxs[k]) dxs[k]->resize(xs[k]->shape());
    ensureGrads();
    backwardMultiImpl(xs, y, dy, dxs);
}

std::vector<NamedParam> Layer::namedParams() {
    std::vector<NamedParam> out;
    for (Param* p : params())
        out.push_back({p->name, p});
    return out;
}

Net& Layer::branch(int i) {
    throw CheckError(strCat(label(), " has no branch ", i));
}

const Net& Layer::branch(int i) const {
    throw CheckError(strCat(label(), " has no branch ", i));
}

std::int64_t Layer::numParams() {
    std::int64_t n = 0;
    for (const Param* p : params())
        n += p->numel();
    return n;
}

void Layer::shapeError(const Shape& in, const std::string& what) const {
    throw ShapeError(strCat(label(), ": ", what, "; got input ", in));
}

void Layer::requireRank(const Shape& in, int rank, const char* layout) const {
    if (in.rank() != rank) shapeError(in, strCat("expects input of layout ", layout));
}

}  // namespace ll
