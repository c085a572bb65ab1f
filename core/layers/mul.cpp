#include "core/layers/mul.h"

#include "core/layers/activation.h"

namespace ll {

namespace {
// Elements of g per element of x: 1 when g has x's shape, H·W when it is (N, C, 1, 1).
bool broadcastGate(const Shape& x, const Shape& g) {
    return x != g;
}
}  // namespace

Shape Mul::combinedShape(const std::vector<Shape>& in) const {
    const Shape& x = in[0];
    const Shape& g = in[1];
    if (x == g) return x;
    if (x.rank() == 4 && g.rank() == 4 && g[0] == x[0] && g[1] == x[1] && g[2] == 1 && g[3] == 1)
        return x;
    throw ShapeError(strCat(label(),
                            ": multiplies a map by a gate of the same shape or (C, 1, 1), got ",
                            shapesText(in)));
}

void Mul::forwardMultiImpl(const std::vector<const Tensor*>& xs, Tensor& y, Mode) {
    const Tensor& x = *xs[0];
    const Tensor& g = *xs[1];
    if (!broadcastGate(x.shape(), g.shape())) {
        y.vector() = x.vector().cwiseProduct(g.vector());
        return;
    }
    const std::int64_t planes = g.numel(), hw = x.numel() / planes;
    const float* xp = x.data();
    const float* gp = g.data();
    float* yp = y.data();
    for (std::int64_t p = 0; p < planes; ++p)
        for (std::int64_t i = 0; i < hw; ++i)
            yp[p * hw + i] = xp[p * hw + i] * gp[p];
}

void Mul::backwardMultiImpl(const std::vector<const Tensor*>& xs, const Tensor&, const Tensor& dy,
                            const std::vector<Tensor*>& dxs) {
    const Tensor& x = *xs[0];
    const Tensor& g = *xs[1];
    if (!broadcastGate(x.shape(), g.shape())) {
        if (dxs[0]) dxs[0]->vector() = dy.vector().cwiseProduct(g.vector());
        if (dxs[1]) dxs[1]->vector() = dy.vector().cwiseProduct(x.vector());
        return;
    }
    const std::int64_t planes = g.numel(), hw = x.numel() / planes;
    const float* xp = x.data();
    const float* gp = g.data();
    const float* d = dy.data();
    for (std::int64_t p = 0; p < planes; ++p) {
        if (dxs[0]) {
            float* dx = dxs[0]->data();
            for (std::int64_t i = 0; i < hw; ++i)
                dx[p * hw + i] = d[p * hw + i] * gp[p];
        }
        if (dxs[1]) {
            double s = 0;  // the gate's gradient sums over the plane
            for (std::int64_t i = 0; i < hw; ++i)
                s += static_cast<double>(d[p * hw + i]) * xp[p * hw + i];
            dxs[1]->data()[p] = static_cast<float>(s);
        }
    }
}

// One product per output element.
LayerCost Mul::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    c.elementwise = out.sample().numel();
    return c;
}

LayerKind Mul::kind() {
    return {"Mul", "mul", &readParameterless<Mul>};
}

}  // namespace ll
