#include "core/layers/avg_pool2d.h"

#include "core/layer_io.h"

#include <algorithm>

#include "core/parallel.h"

namespace ll {

AvgPool2d::AvgPool2d(Window2d window) : m_win(window) {
    validatePoolWindow(window, "AvgPool2d");
}

void AvgPool2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int H = x.dim(2), W = x.dim(3), Ho = y.dim(2), Wo = y.dim(3);
    const int planes = x.dim(0) * x.dim(1);
    const float scale = 1.0f / static_cast<float>(m_win.kh * m_win.kw);
    const bool big = y.numel() * m_win.kh * m_win.kw >= kParallelMinWork;
#pragma omp parallel for schedule(static) if (big)
    for (int p = 0; p < planes; ++p) {
        const float* in = x.data() + static_cast<std::int64_t>(p) * H * W;
        float* out = y.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        for (int oh = 0; oh < Ho; ++oh) {
            const int h0 = oh * m_win.sh - m_win.ph;
            const int hs = std::max(h0, 0), he = std::min(h0 + m_win.kh, H);
            for (int ow = 0; ow < Wo; ++ow) {
                const int w0 = ow * m_win.sw - m_win.pw;
                const int ws = std::max(w0, 0), we = std::min(w0 + m_win.kw, W);
                float s = 0.0f;
                for (int h = hs; h < he; ++h) {
                    for (int w = ws; w < we; ++w)
                        s += in[h * W + w];
                }
                out[oh * Wo + ow] = s * scale;
            }
        }
    }
}

void AvgPool2d::backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const int H = x.dim(2), W = x.dim(3), Ho = y.dim(2), Wo = y.dim(3);
    const int planes = x.dim(0) * x.dim(1);
    const float scale = 1.0f / static_cast<float>(m_win.kh * m_win.kw);
    dx->setZero();
    const bool big = x.numel() * m_win.kh * m_win.kw >= kParallelMinWork;
#pragma omp parallel for schedule(static) if (big)
    for (int p = 0; p < planes; ++p) {
        float* g = dx->data() + static_cast<std::int64_t>(p) * H * W;
        const float* d = dy.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        for (int oh = 0; oh < Ho; ++oh) {
            const int h0 = oh * m_win.sh - m_win.ph;
            const int hs = std::max(h0, 0), he = std::min(h0 + m_win.kh, H);
            for (int ow = 0; ow < Wo; ++ow) {
                const int w0 = ow * m_win.sw - m_win.pw;
                const int ws = std::max(w0, 0), we = std::min(w0 + m_win.kw, W);
                const float v = d[oh * Wo + ow] * scale;
                for (int h = hs; h < he; ++h) {
                    for (int w = ws; w < we; ++w)
                        g[h * W + w] += v;
                }
            }
        }
    }
}

LayerCost AvgPool2d::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    // kh·kw − 1 additions and one division per output.
    c.poolOps = static_cast<std::int64_t>(m_win.kh) * m_win.kw * out.sample().numel();
    return c;
}

FieldRule AvgPool2d::fieldRule(const Shape&) const {
    return FieldRule::window(m_win.kh, m_win.kw, m_win.sh, m_win.sw, m_win.ph, m_win.pw);
}

void AvgPool2d::write(json& j) const {
    writeWindow(j, m_win, true);
}

namespace {
LayerPtr readAvgPool2d(const LayerReader& r) {
    r.allowOnly({"kernel", "stride", "padding"});
    return std::make_unique<AvgPool2d>(readWindow(r, true));
}
}  // namespace

LayerKind AvgPool2d::kind() {
    return {"AvgPool2d", "pool", &readAvgPool2d};
}

}  // namespace ll
