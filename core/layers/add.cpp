#include "core/layers/add.h"

#include "core/layers/activation.h"

namespace ll {

Shape Add::combinedShape(const std::vector<Shape>& in) const {
    for (const Shape& s : in) {
        if (s != in[0])
            throw ShapeError(
                strCat(label(), ": inputs must have the same shape, got ", shapesText(in)));
    }
    return in[0];
}

void Add::forwardMultiImpl(const std::vector<const Tensor*>& xs, Tensor& y, Mode) {
    y.vector() = xs[0]->vector();
    for (std::size_t k = 1; k < xs.size(); ++k)
        y.vector() += xs[k]->vector();
}

void Add::backwardMultiImpl(const std::vector<const Tensor*>&, const Tensor&, const Tensor& dy,
                            const std::vector<Tensor*>& dxs) {
    for (Tensor* dx : dxs)
        if (dx) dx->vector() = dy.vector();
}

// n − 1 additions per output element.
LayerCost Add::cost(const std::vector<Shape>& in, const Shape& out) const {
    LayerCost c;
    c.elementwise = static_cast<std::int64_t>(in.size() - 1) * out.sample().numel();
    return c;
}

LayerKind Add::kind() {
    return {"Add", "add", &readParameterless<Add>};
}

}  // namespace ll
