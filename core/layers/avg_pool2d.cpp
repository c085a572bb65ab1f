#include "core/layers/avg_pool2d.h"

#include "core/layer_io.h"

#include <algorithm>

#include "core/parallel.h"

namespace ll {

AvgPool2d::AvgPool2d(Window2d window, bool ceilMode, bool countIncludePad)
    : m_win(window), m_ceilMode(ceilMode), m_countIncludePad(countIncludePad) {
    validatePoolWindow(window, "AvgPool2d");
}

std::string AvgPool2d::describe() const {
    return m_win.str() + (m_ceilMode ? ", ceil" : "") +
           (m_countIncludePad ? "" : ", padding not counted");
}

float AvgPool2d::scale(const PoolSpan& rows, const PoolSpan& cols) const {
    // A window inside the padded input counts kh·kw positions: the scale is then the same float
    // for every window, 1/(kh·kw), as it was before the options existed.
    const int count = m_countIncludePad ? rows.padded * cols.padded
                                        : (rows.end - rows.start) * (cols.end - cols.start);
    return 1.0f / static_cast<float>(std::max(count, 1));
}

void AvgPool2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int H = x.dim(2), W = x.dim(3), Ho = y.dim(2), Wo = y.dim(3);
    const int planes = x.dim(0) * x.dim(1);
    const Window2d& k = m_win;
    const bool big = y.numel() * k.kh * k.kw >= kParallelMinWork;
    parallelFor(planes, big, [&](int p) {
        const float* in = x.data() + static_cast<std::int64_t>(p) * H * W;
        float* out = y.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        for (int oh = 0; oh < Ho; ++oh) {
            const PoolSpan rows = poolSpan(oh, k.kh, k.sh, k.ph, k.padBottom(), H);
            for (int ow = 0; ow < Wo; ++ow) {
                const PoolSpan cols = poolSpan(ow, k.kw, k.sw, k.pw, k.padRight(), W);
                float s = 0.0f;
                for (int h = rows.start; h < rows.end; ++h) {
                    for (int w = cols.start; w < cols.end; ++w)
                        s += in[h * W + w];
                }
                out[oh * Wo + ow] = s * scale(rows, cols);
            }
        }
    });
}

void AvgPool2d::backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const int H = x.dim(2), W = x.dim(3), Ho = y.dim(2), Wo = y.dim(3);
    const int planes = x.dim(0) * x.dim(1);
    const Window2d& k = m_win;
    dx->setZero();
    const bool big = x.numel() * k.kh * k.kw >= kParallelMinWork;
    parallelFor(planes, big, [&](int p) {
        float* g = dx->data() + static_cast<std::int64_t>(p) * H * W;
        const float* d = dy.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        for (int oh = 0; oh < Ho; ++oh) {
            const PoolSpan rows = poolSpan(oh, k.kh, k.sh, k.ph, k.padBottom(), H);
            for (int ow = 0; ow < Wo; ++ow) {
                const PoolSpan cols = poolSpan(ow, k.kw, k.sw, k.pw, k.padRight(), W);
                const float v = d[oh * Wo + ow] * scale(rows, cols);
                for (int h = rows.start; h < rows.end; ++h) {
                    for (int w = cols.start; w < cols.end; ++w)
                        g[h * W + w] += v;
                }
            }
        }
    });
}

LayerCost AvgPool2d::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    // kh·kw − 1 additions and one division per output (of a full window).
    c.poolOps = static_cast<std::int64_t>(m_win.kh) * m_win.kw * out.sample().numel();
    return c;
}

FieldRule AvgPool2d::fieldRule(const Shape&) const {
    return FieldRule::window(m_win.kh, m_win.kw, m_win.sh, m_win.sw, m_win.ph, m_win.pw);
}

void AvgPool2d::write(json& j) const {
    writeWindow(j, m_win, true);
    if (m_ceilMode) j["ceil_mode"] = true;
    if (!m_countIncludePad) j["count_include_pad"] = false;
}

namespace {
LayerPtr readAvgPool2d(const LayerReader& r) {
    r.allowOnly({"kernel", "stride", "padding", "ceil_mode", "count_include_pad"});
    return std::make_unique<AvgPool2d>(readWindow(r, true), r.boolean("ceil_mode", false),
                                       r.boolean("count_include_pad", true));
}
}  // namespace

LayerKind AvgPool2d::kind() {
    return {"AvgPool2d", "pool", &readAvgPool2d};
}

}  // namespace ll
