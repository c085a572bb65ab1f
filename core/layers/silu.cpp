#include "core/layers/silu.h"

#include "core/layer_io.h"

namespace ll {

void SiLU::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    float* yp = y.data();
    for (std::int64_t i = 0; i < n; ++i)
        yp[i] = xp[i] * logistic(xp[i]);
}

void SiLU::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    const float* g = dy.data();
    float* out = dx->data();
    // d/dx x·σ(x) = σ(x) + x·σ(x)(1 − σ(x)) = σ(x)(1 + x(1 − σ(x))).
    for (std::int64_t i = 0; i < n; ++i) {
        const float s = logistic(xp[i]);
        out[i] = g[i] * s * (1.0f + xp[i] * (1.0f - s));
    }
}

LayerKind SiLU::kind() {
    return {"SiLU", "silu", &readParameterless<SiLU>};
}

}  // namespace ll
