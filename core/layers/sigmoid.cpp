#include "core/layers/sigmoid.h"

#include "core/layer_io.h"

namespace ll {

void Sigmoid::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    float* yp = y.data();
    for (std::int64_t i = 0; i < n; ++i)
        yp[i] = logistic(xp[i]);
}

void Sigmoid::backwardImpl(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx) {
    // σ'(x) = σ(x)(1 − σ(x)), from the cached output.
    if (dx)
        dx->vector() =
            dy.vector().cwiseProduct(y.vector().cwiseProduct((1.0f - y.vector().array()).matrix()));
}

LayerKind Sigmoid::kind() {
    return {"Sigmoid", "sigmoid", &readParameterless<Sigmoid>};
}

}  // namespace ll
