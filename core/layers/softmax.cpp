#include "core/layers/softmax.h"

#include <algorithm>
#include <cmath>

#include "core/layers/activation.h"

namespace ll {

namespace {
// (N, C, rest...) seen as (N, C, S), S the product of the trailing dimensions (1 for (N, K)):
// element (n, c, s) is at (n·C + c)·S + s.
struct Slices {
    std::int64_t N, C, S;
};
Slices slicesOf(const Shape& s) {
    const std::int64_t N = s[0], C = s[1];
    return {N, C, N * C == 0 ? 0 : s.numel() / (N * C)};
}
}  // namespace

Shape Softmax::outputShape(const Shape& in) const {
    if (in.rank() < 2) shapeError(in, "expects input (N, C, ...) of rank 2 or more");
    return in;
}

void Softmax::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const Slices d = slicesOf(x.shape());
    const float* xp = x.data();
    float* yp = y.data();
    for (std::int64_t n = 0; n < d.N; ++n) {
        for (std::int64_t s = 0; s < d.S; ++s) {
            const std::int64_t base = n * d.C * d.S + s;  // element (n, 0, s); c strides by S
            // Subtract the maximum: every exponent is ≤ 0, the largest is exactly 1.
            float m = xp[base];
            for (std::int64_t c = 1; c < d.C; ++c)
                m = std::max(m, xp[base + c * d.S]);
            double sum = 0.0;
            for (std::int64_t c = 0; c < d.C; ++c) {
                const float e = std::exp(xp[base + c * d.S] - m);
                yp[base + c * d.S] = e;
                sum += e;
            }
            const float inv = static_cast<float>(1.0 / sum);
            for (std::int64_t c = 0; c < d.C; ++c)
                yp[base + c * d.S] *= inv;
        }
    }
}

void Softmax::backwardImpl(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const Slices d = slicesOf(y.shape());
    const float* yp = y.data();
    const float* g = dy.data();
    float* out = dx->data();
    // ∂y_c/∂x_k = y_c(δ_ck − y_k), so dx_k = Σ_c dy_c·y_c(δ_ck − y_k) = y_k(dy_k − Σ_c dy_c·y_c).
    for (std::int64_t n = 0; n < d.N; ++n) {
        for (std::int64_t s = 0; s < d.S; ++s) {
            const std::int64_t base = n * d.C * d.S + s;
            double dot = 0.0;
            for (std::int64_t c = 0; c < d.C; ++c)
                dot += static_cast<double>(g[base + c * d.S]) * yp[base + c * d.S];
            for (std::int64_t c = 0; c < d.C; ++c) {
                const std::int64_t i = base + c * d.S;
                out[i] = yp[i] * static_cast<float>(g[i] - dot);
            }
        }
    }
}

// Counted as activation evaluations, one per output element (an exponential and a division
// each; the maximum and the sum over dimension 1 are not counted), as the element-wise
// activations are: the "act evals" column, in FLOPs only with a "+act" convention.
LayerCost Softmax::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    c.activations = out.sample().numel();
    return c;
}

// Softmax mixes dimension 1 (channels) at each position, never positions: the spatial
// receptive field is unchanged.
FieldRule Softmax::fieldRule(const Shape&) const {
    return FieldRule::same();
}

LayerKind Softmax::kind() {
    return {"Softmax", "softmax", &readParameterless<Softmax>};
}

}  // namespace ll
