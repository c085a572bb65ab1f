#include "core/layers/sigmoid.h"

#include "core/layer_io.h"

#include <cmath>

namespace ll {

void Sigmoid::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    float* yp = y.data();
    for (std::int64_t i = 0; i < n; ++i) {
        // Evaluate through exp(−|x|) so neither branch overflows.
        const float e = std::exp(-std::fabs(xp[i]));
        yp[i] = xp[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    }
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
