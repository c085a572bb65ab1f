#include "core/layers/max_pool2d.h"

#include "core/layer_io.h"

#include <algorithm>
#include <limits>

#include "core/parallel.h"

namespace ll {

MaxPool2d::MaxPool2d(Window2d window, bool ceilMode) : m_win(window), m_ceilMode(ceilMode) {
    validatePoolWindow(window, "MaxPool2d");
}

std::string MaxPool2d::describe() const {
    return m_win.str() + (m_ceilMode ? ", ceil" : "");
}

void MaxPool2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const int Ho = y.dim(2), Wo = y.dim(3);
    m_argmax.resize(static_cast<std::size_t>(y.numel()));
    const int planes = N * C;
    const Window2d& k = m_win;
    const bool big = y.numel() * k.kh * k.kw >= kParallelMinWork;
    parallelFor(planes, big, [&](int p) {
        const float* in = x.data() + static_cast<std::int64_t>(p) * H * W;
        float* out = y.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        std::int32_t* arg = m_argmax.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        for (int oh = 0; oh < Ho; ++oh) {
            const auto [hs, he, hPadded] = poolSpan(oh, k.kh, k.sh, k.ph, k.padBottom(), H);
            for (int ow = 0; ow < Wo; ++ow) {
                const auto [ws, we, wPadded] = poolSpan(ow, k.kw, k.sw, k.pw, k.padRight(), W);
                float best = -std::numeric_limits<float>::infinity();
                int bestAt = hs * W + ws;
                bool nan = false;
                // Branch-free scan (selects compile to blends); the first maximum wins.
                for (int h = hs; h < he; ++h) {
                    for (int w = ws; w < we; ++w) {
                        const float v = in[h * W + w];
                        const bool greater = v > best;
                        best = greater ? v : best;
                        bestAt = greater ? h * W + w : bestAt;
                        nan |= v != v;
                    }
                }
                if (nan) {  // NaN propagates like PyTorch: the first NaN is the result
                    for (int h = hs; h < he && !(best != best); ++h)
                        for (int w = ws; w < we; ++w)
                            if (in[h * W + w] != in[h * W + w]) {
                                best = in[h * W + w];
                                bestAt = h * W + w;
                                break;
                            }
                }
                out[oh * Wo + ow] = best;
                arg[oh * Wo + ow] = bestAt;
            }
        }
    });
}

void MaxPool2d::backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const int H = x.dim(2), W = x.dim(3);
    const int HoWo = y.dim(2) * y.dim(3);
    const int planes = x.dim(0) * x.dim(1);
    dx->setZero();
    parallelFor(planes, dy.numel() >= kParallelMinWork, [&](int p) {
        float* g = dx->data() + static_cast<std::int64_t>(p) * H * W;
        const float* d = dy.data() + static_cast<std::int64_t>(p) * HoWo;
        const std::int32_t* arg = m_argmax.data() + static_cast<std::int64_t>(p) * HoWo;
        for (int i = 0; i < HoWo; ++i)
            g[arg[i]] += d[i];
    });
}

LayerCost MaxPool2d::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    // kh·kw − 1 comparisons per output.
    c.poolOps = (static_cast<std::int64_t>(m_win.kh) * m_win.kw - 1) * out.sample().numel();
    return c;
}

FieldRule MaxPool2d::fieldRule(const Shape&) const {
    return FieldRule::window(m_win.kh, m_win.kw, m_win.sh, m_win.sw, m_win.ph, m_win.pw);
}

void MaxPool2d::write(json& j) const {
    writeWindow(j, m_win, true);
    if (m_ceilMode) j["ceil_mode"] = true;
}

namespace {
LayerPtr readMaxPool2d(const LayerReader& r) {
    r.allowOnly({"kernel", "stride", "padding", "ceil_mode"});
    return std::make_unique<MaxPool2d>(readWindow(r, true), r.boolean("ceil_mode", false));
}
}  // namespace

LayerKind MaxPool2d::kind() {
    return {"MaxPool2d", "pool", &readMaxPool2d};
}

}  // namespace ll
