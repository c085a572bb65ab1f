#include "core/layers/hard_sigmoid.h"

#include <algorithm>

#include "core/layer_io.h"

namespace ll {

void HardSigmoid::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    float* yp = y.data();
    for (std::int64_t i = 0; i < n; ++i)
        yp[i] = std::min(std::max(xp[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
}

void HardSigmoid::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    const float* g = dy.data();
    float* out = dx->data();
    // PyTorch's hardsigmoid_backward: 1/6 strictly inside (−3, 3), 0 at ±3 and beyond.
    for (std::int64_t i = 0; i < n; ++i)
        out[i] = xp[i] > -3.0f && xp[i] < 3.0f ? g[i] / 6.0f : 0.0f;
}

LayerKind HardSigmoid::kind() {
    return {"HardSigmoid", "hsig", &readParameterless<HardSigmoid>};
}

}  // namespace ll
