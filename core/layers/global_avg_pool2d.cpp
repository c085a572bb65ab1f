#include "core/layers/global_avg_pool2d.h"

#include "core/layers/activation.h"

namespace ll {

Shape GlobalAvgPool2d::outputShape(const Shape& in) const {
    requireRank(in, 4, "(N, C, H, W)");
    return Shape({in[0], in[1], 1, 1});
}

void GlobalAvgPool2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const std::int64_t planes = y.numel(), hw = x.numel() / planes;
    const float* xp = x.data();
    for (std::int64_t p = 0; p < planes; ++p) {
        float s = 0;
        for (std::int64_t i = 0; i < hw; ++i)
            s += xp[p * hw + i];
        y.data()[p] = s / static_cast<float>(hw);
    }
}

void GlobalAvgPool2d::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const std::int64_t planes = dy.numel(), hw = x.numel() / planes;
    for (std::int64_t p = 0; p < planes; ++p) {
        const float g = dy.data()[p] / static_cast<float>(hw);
        for (std::int64_t i = 0; i < hw; ++i)
            dx->data()[p * hw + i] = g;
    }
}

// H·W − 1 additions and one division per output.
LayerCost GlobalAvgPool2d::cost(const std::vector<Shape>& in, const Shape& out) const {
    LayerCost c;
    c.poolOps = static_cast<std::int64_t>(in[0][2]) * in[0][3] * out.sample().numel();
    return c;
}

FieldRule GlobalAvgPool2d::fieldRule(const Shape& in) const {
    if (in.rank() != 4) return FieldRule::same();
    FieldRule r = FieldRule::window(in[2], in[3], 1, 1, 0, 0);
    r.kind = FieldRule::Kind::Whole;
    return r;
}

LayerKind GlobalAvgPool2d::kind() {
    return {"GlobalAvgPool2d", "gap", &readParameterless<GlobalAvgPool2d>};
}

}  // namespace ll
