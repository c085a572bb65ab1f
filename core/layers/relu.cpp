#include "core/layers/relu.h"

#include "core/layer_io.h"
#include "core/parallel.h"

namespace ll {

void ReLU::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const float* xp = x.data();
    float* yp = y.data();
    parallelRanges(x.numel(), [&](std::int64_t i0, std::int64_t i1) {
        const Eigen::Index len = static_cast<Eigen::Index>(i1 - i0);
        VectorMap(yp + i0, len) = ConstVectorMap(xp + i0, len).cwiseMax(0.0f);
    });
}

void ReLU::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const float* xp = x.data();
    const float* g = dy.data();
    float* out = dx->data();
    // g[i] read whatever x[i] is: a conditional read vectorizes only with masked loads
    // (AVX-512); this select vectorizes on any x86-64 (the portable build's ReLU backward was 14×
    // slower with it).
    parallelRanges(x.numel(), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) {
            const float gi = g[i];
            out[i] = xp[i] > 0.0f ? gi : 0.0f;
        }
    });
}

LayerKind ReLU::kind() {
    return {"ReLU", "relu", &readParameterless<ReLU>};
}

}  // namespace ll
