#include "core/layers/channel_pad.h"

#include "core/layer_io.h"

#include <algorithm>

#include "core/parallel.h"

namespace ll {

ChannelPad::ChannelPad(int inChannels, int outChannels, int stride)
    : m_cin(inChannels), m_cout(outChannels), m_stride(stride) {
    if (inChannels <= 0 || outChannels < inChannels || stride <= 0 || stride > kMaxWindow)
        throw ModelError(
            strCat("ChannelPad needs 0 < in ≤ out channels and a positive stride, got ", inChannels,
                   "→", outChannels, ", stride ", stride));
}

std::string ChannelPad::describe() const {
    return strCat(m_cin, "→", m_cout, ", s", m_stride);
}

Shape ChannelPad::outputShape(const Shape& in) const {
    requireRank(in, 4, "(N, C, H, W)");
    if (in[1] != m_cin) shapeError(in, strCat("expects ", m_cin, " channels"));
    return Shape(
        {in[0], m_cout, (in[2] + m_stride - 1) / m_stride, (in[3] + m_stride - 1) / m_stride});
}

// Sample by sample on the threads (ResNet-20's two pads took 1.8 ms of its 35 ms inference on
// one): each sample's padding channels zeroed, its channels subsampled into the rest.
void ChannelPad::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int N = x.dim(0), H = x.dim(2), W = x.dim(3), Ho = y.dim(2), Wo = y.dim(3);
    const std::int64_t plane = static_cast<std::int64_t>(Ho) * Wo;
    parallelFor(N, y.numel() >= kParallelMinWork, [&](int n) {
        float* yn = y.data() + static_cast<std::int64_t>(n) * m_cout * plane;
        std::fill(yn, yn + before() * plane, 0.0f);
        std::fill(yn + (before() + m_cin) * plane, yn + m_cout * plane, 0.0f);
        for (int c = 0; c < m_cin; ++c) {
            const float* xp = x.data() + (static_cast<std::int64_t>(n) * m_cin + c) * H * W;
            float* yp = yn + (before() + c) * plane;
            for (int i = 0; i < Ho; ++i)
                for (int j = 0; j < Wo; ++j)
                    yp[i * Wo + j] = xp[(i * m_stride) * W + j * m_stride];
        }
    });
}

void ChannelPad::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const int N = x.dim(0), H = x.dim(2), W = x.dim(3), Ho = dy.dim(2), Wo = dy.dim(3);
    const std::int64_t plane = static_cast<std::int64_t>(H) * W;
    parallelFor(N, dx->numel() >= kParallelMinWork, [&](int n) {
        float* dn = dx->data() + static_cast<std::int64_t>(n) * m_cin * plane;
        if (m_stride > 1) std::fill(dn, dn + m_cin * plane, 0.0f);  // inputs no output reads
        for (int c = 0; c < m_cin; ++c) {
            float* dp = dn + c * plane;
            const float* g =
                dy.data() + (static_cast<std::int64_t>(n) * m_cout + before() + c) * Ho * Wo;
            for (int i = 0; i < Ho; ++i)
                for (int j = 0; j < Wo; ++j)
                    dp[(i * m_stride) * W + j * m_stride] = g[i * Wo + j];
        }
    });
}

LayerCost ChannelPad::cost(const std::vector<Shape>&, const Shape&) const {
    return {};  // a copy: no arithmetic
}

// A 1×1 window of stride s.
FieldRule ChannelPad::fieldRule(const Shape&) const {
    return FieldRule::window(1, 1, m_stride, m_stride, 0, 0);
}

void ChannelPad::write(json& j) const {
    j["out"] = m_cout;
    if (m_stride != 1) j["stride"] = m_stride;
}

namespace {
LayerPtr readChannelPad(const LayerReader& r) {
    r.allowOnly({"in", "out", "stride"});
    const int cin = r.channelsIn();
    return std::make_unique<ChannelPad>(cin, r.integer("out", 0, true), r.integer("stride", 1));
}
}  // namespace

LayerKind ChannelPad::kind() {
    return {"ChannelPad", "pad", &readChannelPad};
}

}  // namespace ll
