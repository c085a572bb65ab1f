#include "core/layers/leaky_relu.h"

#include "core/layer_io.h"

namespace ll {

std::string LeakyReLU::describe() const {
    return strCat("slope=", m_slope);
}

void LeakyReLU::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const float slope = m_slope;
    mapElements(x, y, [slope](float v) { return v > 0.0f ? v : slope * v; });
}

void LeakyReLU::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    const float slope = m_slope;
    chainElements(x, dy, dx, [slope](float v, float g) { return v > 0.0f ? g : slope * g; });
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
