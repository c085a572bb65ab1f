#include "core/layers/hard_swish.h"

#include <algorithm>

#include "core/layer_io.h"

namespace ll {

void HardSwish::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    float* yp = y.data();
    for (std::int64_t i = 0; i < n; ++i)
        yp[i] = xp[i] * std::min(std::max(xp[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
}

void HardSwish::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    const float* g = dy.data();
    float* out = dx->data();
    // d/dx x(x+3)/6 = x/3 + 1/2 on the closed interval [−3, 3]: PyTorch's convention at the kinks.
    for (std::int64_t i = 0; i < n; ++i) {
        const float v = xp[i];
        out[i] = v < -3.0f ? 0.0f : v <= 3.0f ? g[i] * (v / 3.0f + 0.5f) : g[i];
    }
}

LayerKind HardSwish::kind() {
    return {"HardSwish", "hswish", &readParameterless<HardSwish>};
}

}  // namespace ll
