#include "core/layers/gelu.h"

#include <cmath>

#include "core/layer_io.h"

namespace ll {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;    // 1/√2
constexpr float kInvSqrt2Pi = 0.39894228040143268f;  // 1/√(2π)

// Φ(x) = (1 + erf(x/√2))/2, written as erfc(−x/√2)/2: the same value, but without the
// cancellation of 1 + erf in the left tail (Φ(−10) ≈ 7.6e−24 instead of 0).
float normalCdf(float x) {
    return 0.5f * std::erfc(-x * kInvSqrt2);
}
}  // namespace

void GELU::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    mapElements(x, y, [](float v) { return v * normalCdf(v); });
}

// d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π) the standard normal density.
void GELU::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    chainElements(x, dy, dx, [](float v, float g) {
        return g * (normalCdf(v) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v));
    });
}

LayerKind GELU::kind() {
    return {"GELU", "gelu", &readParameterless<GELU>};
}

}  // namespace ll
