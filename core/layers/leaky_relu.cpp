#include "core/layers/leaky_relu.h"

#include "core/layer_io.h"

namespace ll {

std::string LeakyReLU::describe() const {
    return strCat("slope=", m_slope);
}

void LeakyReLU::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    float* yp = y.data();
    for (std::int64_t i = 0; i < n; ++i)
        yp[i] = xp[i] > 0.0f ? xp[i] : m_slope * xp[i];
}

void LeakyReLU::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const std::int64_t n = x.numel();
    const float* xp = x.data();
    const float* g = dy.data();
    float* out = dx->data();
    for (std::int64_t i = 0; i < n; ++i)
        out[i] = xp[i] > 0.0f ? g[i] : m_slope * g[i];
}

void LeakyReLU::write(json& j) const {
    if (m_slope != kDefaultSlope) j["slope"] = m_slope;
}

namespace {
LayerPtr readLeakyReLU(const LayerReader& r) {
    r.allowOnly({"slope"});
    return std::make_unique<LeakyReLU>(
        static_cast<float>(r.number("slope", LeakyReLU::kDefaultSlope)));
}
}  // namespace

LayerKind LeakyReLU::kind() {
    return {"LeakyReLU", "lrelu", &readLeakyReLU};
}

}  // namespace ll
