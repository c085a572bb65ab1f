#include "core/layers/add.h"

#include <cstring>

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

// Both passes split over the threads (parallelRanges), each range summed in input order.
void Add::forwardMultiImpl(const std::vector<const Tensor*>& xs, Tensor& y, Mode) {
    float* yp = y.data();
    parallelRanges(y.numel(), [&](std::int64_t i0, std::int64_t i1) {
        const Eigen::Index len = static_cast<Eigen::Index>(i1 - i0);
        VectorMap out(yp + i0, len);
        // The first two summed in one pass (out = x0, then out += x1 read out back); Add takes
        // at least two inputs.
        out = ConstVectorMap(xs[0]->data() + i0, len) + ConstVectorMap(xs[1]->data() + i0, len);
        for (std::size_t k = 2; k < xs.size(); ++k)
            out += ConstVectorMap(xs[k]->data() + i0, len);
    });
}

void Add::backwardMultiImpl(const std::vector<const Tensor*>&, const Tensor&, const Tensor& dy,
                            const std::vector<Tensor*>& dxs) {
    const float* g = dy.data();
    parallelRanges(dy.numel(), [&](std::int64_t i0, std::int64_t i1) {
        const std::size_t bytes = static_cast<std::size_t>(i1 - i0) * sizeof(float);
        for (Tensor* dx : dxs)
            if (dx && dx->data() != g) std::memcpy(dx->data() + i0, g + i0, bytes);
    });
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
