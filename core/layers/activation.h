#pragma once
// Element-wise activation functions share their shape, cost and receptive-field rules: the
// output has the input's shape, each output costs one evaluation, the field is unchanged.

#include <cmath>

#include "core/layer.h"
#include "core/layer_io.h"
#include "core/layers/registry.h"
#include "core/parallel.h"

namespace ll {

class Activation : public Layer {
public:
    Shape outputShape(const Shape& in) const override { return in; }
    bool isActivation() const override { return true; }
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape&) const override { return FieldRule::same(); }
    void write(nlohmann::json&) const override {}
};

/// σ(x) = 1/(1+e^(−x)), evaluated through e^(−|x|) so neither branch overflows (Sigmoid, SiLU).
inline float logistic(float x) {
    const float e = std::exp(-std::fabs(x));
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

/// y[i] = f(x[i]) over the whole tensor (split over the threads: parallelRanges).
template <typename F>
void mapElements(const Tensor& x, Tensor& y, F f) {
    const float* xp = x.data();
    float* yp = y.data();
    parallelRanges(x.numel(), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
            yp[i] = f(xp[i]);
    });
}

/// The chain rule of an element-wise function: dx[i] = grad(x[i], dy[i]), which returns
/// dy·f'(x) (written out by each layer, so a kink's convention is its own). Nothing when dx is
/// null.
template <typename G>
void chainElements(const Tensor& x, const Tensor& dy, Tensor* dx, G grad) {
    if (!dx) return;
    const float* xp = x.data();
    const float* g = dy.data();
    float* out = dx->data();
    parallelRanges(x.numel(), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
            out[i] = grad(xp[i], g[i]);
    });
}

/// The reader of a layer type without hyper-parameters: refuses any key.
template <typename L>
LayerPtr readParameterless(const LayerReader& r) {
    r.allowOnly({});
    return std::make_unique<L>();
}

}  // namespace ll
