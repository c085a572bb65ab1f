#include "core/layers/silu.h"

#include "core/layer_io.h"

namespace ll {

void SiLU::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    mapElements(x, y, [](float v) { return v * logistic(v); });
}

// d/dx x·σ(x) = σ(x) + x·σ(x)(1 − σ(x)) = σ(x)(1 + x(1 − σ(x))).
void SiLU::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    chainElements(x, dy, dx, [](float v, float g) {
        const float s = logistic(v);
        return g * (s * (1.0f + v * (1.0f - s)));
    });
}

LayerKind SiLU::kind() {
    return {"SiLU", "silu", &readParameterless<SiLU>};
}

}  // namespace ll
