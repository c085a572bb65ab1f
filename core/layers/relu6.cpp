#include "core/layers/relu6.h"

#include "core/layer_io.h"

namespace ll {

void ReLU6::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    y.vector() = x.vector().cwiseMax(0.0f).cwiseMin(6.0f);
}

void ReLU6::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    const float* g = dy.data();
    float* out = dx->data();
    // PyTorch's hardtanh_backward: the gradient passes only strictly inside (0, 6).
    for (std::int64_t i = 0; i < n; ++i)
        out[i] = xp[i] > 0.0f && xp[i] < 6.0f ? g[i] : 0.0f;
}

LayerKind ReLU6::kind() {
    return {"ReLU6", "relu", &readParameterless<ReLU6>};
}

}  // namespace ll
