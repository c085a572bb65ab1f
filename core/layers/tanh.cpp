#include "core/layers/tanh.h"

#include "core/layer_io.h"

namespace ll {

void Tanh::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    y.vector() = x.vector().array().tanh().matrix();
}

void Tanh::backwardImpl(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx) {
    // tanh'(x) = 1 − tanh²(x), from the cached output.
    if (dx) dx->vector() = (dy.vector().array() * (1.0f - y.vector().array().square())).matrix();
}

LayerKind Tanh::kind() {
    return {"Tanh", "tanh", &readParameterless<Tanh>};
}

}  // namespace ll
