#include "core/layers/relu6.h"

#include "core/layer_io.h"
#include "core/parallel.h"

namespace ll {

void ReLU6::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const float* xp = x.data();
    float* yp = y.data();
    parallelRanges(x.numel(), [&](std::int64_t i0, std::int64_t i1) {
        const Eigen::Index len = static_cast<Eigen::Index>(i1 - i0);
        VectorMap(yp + i0, len) = ConstVectorMap(xp + i0, len).cwiseMax(0.0f).cwiseMin(6.0f);
    });
}

// PyTorch's hardtanh_backward: the gradient passes only strictly inside (0, 6).
void ReLU6::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    chainElements(x, dy, dx, [](float v, float g) { return v > 0.0f && v < 6.0f ? g : 0.0f; });
}

LayerKind ReLU6::kind() {
    return {"ReLU6", "relu", &readParameterless<ReLU6>};
}

}  // namespace ll
