#include "core/layers/adaptive_avg_pool2d.h"

#include "core/layer_io.h"
#include "core/parallel.h"

namespace ll {

namespace {

// Bin i of `out` bins over `in` positions: [⌊i·in/out⌋, ⌈(i + 1)·in/out⌉) (in 64 bits: i·in may
// exceed an int).
struct Bin {
    int start, end;
};
Bin bin(int i, int in, int out) {
    const std::int64_t a = std::int64_t{i} * in, b = (std::int64_t{i} + 1) * in;
    return {static_cast<int>(a / out), static_cast<int>((b + out - 1) / out)};
}

// Σ over the bins of their sizes: every position once, plus the positions bins share.
std::int64_t binSizes(int in, int out) {
    std::int64_t s = 0;
    for (int i = 0; i < out; ++i) {
        const Bin b = bin(i, in, out);
        s += b.end - b.start;
    }
    return s;
}

}  // namespace

AdaptiveAvgPool2d::AdaptiveAvgPool2d(int outH, int outW) : m_outH(outH), m_outW(outW) {
    if (outH <= 0 || outW <= 0) {
        throw ModelError(
            strCat("AdaptiveAvgPool2d: the output size must be positive, got ", outH, "×", outW));
    }
}

std::string AdaptiveAvgPool2d::describe() const {
    return strCat("→ ", m_outH, "×", m_outW);
}

Shape AdaptiveAvgPool2d::outputShape(const Shape& in) const {
    requireRank(in, 4, "(N, C, H, W)");
    return {in[0], in[1], m_outH, m_outW};
}

void AdaptiveAvgPool2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int H = x.dim(2), W = x.dim(3), Ho = m_outH, Wo = m_outW;
    const int planes = x.dim(0) * x.dim(1);
    const bool big = x.numel() >= kParallelMinWork;
    parallelFor(planes, big, [&](int p) {
        const float* in = x.data() + static_cast<std::int64_t>(p) * H * W;
        float* out = y.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        for (int oh = 0; oh < Ho; ++oh) {
            const Bin r = bin(oh, H, Ho);
            for (int ow = 0; ow < Wo; ++ow) {
                const Bin c = bin(ow, W, Wo);
                float s = 0.0f;
                for (int h = r.start; h < r.end; ++h)
                    for (int w = c.start; w < c.end; ++w)
                        s += in[static_cast<std::int64_t>(h) * W + w];
                out[static_cast<std::int64_t>(oh) * Wo + ow] =
                    s / static_cast<float>((r.end - r.start) * (c.end - c.start));
            }
        }
    });
}

void AdaptiveAvgPool2d::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const int H = x.dim(2), W = x.dim(3), Ho = m_outH, Wo = m_outW;
    const int planes = x.dim(0) * x.dim(1);
    dx->setZero();
    const bool big = x.numel() >= kParallelMinWork;
    parallelFor(planes, big, [&](int p) {
        float* g = dx->data() + static_cast<std::int64_t>(p) * H * W;
        const float* d = dy.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        for (int oh = 0; oh < Ho; ++oh) {
            const Bin r = bin(oh, H, Ho);
            for (int ow = 0; ow < Wo; ++ow) {
                const Bin c = bin(ow, W, Wo);
                const float v = d[static_cast<std::int64_t>(oh) * Wo + ow] /
                                static_cast<float>((r.end - r.start) * (c.end - c.start));
                for (int h = r.start; h < r.end; ++h)
                    for (int w = c.start; w < c.end; ++w)
                        g[static_cast<std::int64_t>(h) * W + w] += v;
            }
        }
    });
}

// Per output, its bin's size: (size − 1) additions and one division (AvgPool2d's count). Summed
// over the grid that is C·(Σ row-bin sizes)·(Σ column-bin sizes).
LayerCost AdaptiveAvgPool2d::cost(const std::vector<Shape>& in, const Shape&) const {
    LayerCost c;
    const Shape& s = in[0];
    c.poolOps = s[1] * binSizes(s[2], m_outH) * binSizes(s[3], m_outW);
    return c;
}

FieldRule AdaptiveAvgPool2d::fieldRule(const Shape& in) const {
    if (in.rank() != 4) return FieldRule::same();
    const int H = in[2], W = in[3];
    // Uniform bins are the windows of kernel = stride = H/Ho: the exact rule.
    if (H % m_outH == 0 && W % m_outW == 0)
        return FieldRule::window(H / m_outH, W / m_outW, H / m_outH, W / m_outW, 0, 0);
    // Otherwise bins differ in size (by one) and start at irregular steps, which no single window
    // (one size, one jump) describes. "Whole" overstates what a unit sees but never understates
    // it; the cost table notes it.
    FieldRule r = FieldRule::window(H, W, 1, 1, 0, 0);
    r.kind = FieldRule::Kind::Whole;
    return r;
}

void AdaptiveAvgPool2d::write(json& j) const {
    j["output"] = m_outH == m_outW ? json(m_outH) : json::array({m_outH, m_outW});
}

namespace {
LayerPtr readAdaptiveAvgPool2d(const LayerReader& r) {
    r.allowOnly({"output"});
    if (!r.has("output")) r.fail("needs \"output\": an integer or [h, w]");
    const auto [h, w] = r.pair("output", {1, 1});
    return std::make_unique<AdaptiveAvgPool2d>(h, w);
}
}  // namespace

LayerKind AdaptiveAvgPool2d::kind() {
    return {"AdaptiveAvgPool2d", "pool", &readAdaptiveAvgPool2d};
}

}  // namespace ll
