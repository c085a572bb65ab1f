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

namespace {

// Every window lies inside the input, whole: no padding, and the last window ends inside (a
// ceil-mode window hanging over the end is not whole). Each window then sums kh·kw inputs and
// scales by 1/(kh·kw).
bool wholeWindows(const Window2d& k, int H, int W, int Ho, int Wo) {
    return k.ph == 0 && k.pw == 0 && k.padBottom() == 0 && k.padRight() == 0 &&
           (Ho - 1) * k.sh + k.kh <= H && (Wo - 1) * k.sw + k.kw <= W;
}

// One plane's windows when they are whole: the same additions per output, in the same order, as
// the general loop (0, then the window's inputs row by row), so the same floats; the outputs of a
// row are summed side by side, which vectorizes.
void forwardWhole(const float* in, float* out, int W, int Ho, int Wo, const Window2d& k,
                  float scale) {
    if (k.kh == 2 && k.kw == 2 && k.sh == 2 && k.sw == 2) {
        // LeNet's subsampling: the general loop's four additions written out, which the
        // compiler turns into vector loads and a pairwise shuffle.
        for (int oh = 0; oh < Ho; ++oh) {
            const float* __restrict a = in + static_cast<std::ptrdiff_t>(2 * oh) * W;
            const float* __restrict b = a + W;
            float* __restrict o = out + static_cast<std::ptrdiff_t>(oh) * Wo;
            for (int ow = 0; ow < Wo; ++ow)
                o[ow] =
                    ((((0.0f + a[2 * ow]) + a[2 * ow + 1]) + b[2 * ow]) + b[2 * ow + 1]) * scale;
        }
        return;
    }
    for (int oh = 0; oh < Ho; ++oh) {
        float* o = out + static_cast<std::ptrdiff_t>(oh) * Wo;
        for (int ow = 0; ow < Wo; ++ow)
            o[ow] = 0.0f;
        for (int h = 0; h < k.kh; ++h) {
            const float* row = in + static_cast<std::ptrdiff_t>(oh * k.sh + h) * W;
            for (int w = 0; w < k.kw; ++w) {
                const float* r = row + w;
                if (k.sw == 2) {
                    for (int ow = 0; ow < Wo; ++ow)
                        o[ow] += r[2 * ow];
                } else {
                    for (int ow = 0; ow < Wo; ++ow)
                        o[ow] += r[ow * k.sw];
                }
            }
        }
        for (int ow = 0; ow < Wo; ++ow)
            o[ow] *= scale;
    }
}

// One plane's gradient when the windows are whole and do not overlap (stride >= kernel): each
// input receives at most one window's share, so the order of the general loop does not matter.
// g must hold zeros where no window lies (anywhere, for windows other than 2×2 stride 2).
void backwardWhole(const float* d, float* g, int W, int Ho, int Wo, const Window2d& k,
                   float scale) {
    if (k.kh == 2 && k.kw == 2 && k.sh == 2 && k.sw == 2) {
        for (int oh = 0; oh < Ho; ++oh) {
            const float* __restrict dr = d + static_cast<std::ptrdiff_t>(oh) * Wo;
            float* __restrict a = g + static_cast<std::ptrdiff_t>(2 * oh) * W;
            float* __restrict b = a + W;
            for (int ow = 0; ow < Wo; ++ow) {
                // Written, not added: each input has one window; 0 + v is the sum the general
                // loop makes (and +0 where v is -0), and the inputs no window covers keep the
                // zeros the caller put there.
                const float v = 0.0f + dr[ow] * scale;
                a[2 * ow] = v;
                a[2 * ow + 1] = v;
                b[2 * ow] = v;
                b[2 * ow + 1] = v;
            }
        }
        return;
    }
    for (int oh = 0; oh < Ho; ++oh) {
        const float* dr = d + static_cast<std::ptrdiff_t>(oh) * Wo;
        for (int h = 0; h < k.kh; ++h) {
            float* row = g + static_cast<std::ptrdiff_t>(oh * k.sh + h) * W;
            for (int w = 0; w < k.kw; ++w) {
                float* r = row + w;
                if (k.sw == 2) {
                    for (int ow = 0; ow < Wo; ++ow)
                        r[2 * ow] += dr[ow] * scale;
                } else {
                    for (int ow = 0; ow < Wo; ++ow)
                        r[ow * k.sw] += dr[ow] * scale;
                }
            }
        }
    }
}

}  // namespace

void AvgPool2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int H = x.dim(2), W = x.dim(3), Ho = y.dim(2), Wo = y.dim(3);
    const int planes = x.dim(0) * x.dim(1);
    const Window2d& k = m_win;
    const bool big = y.numel() * k.kh * k.kw >= kParallelMinWork;
    if (wholeWindows(k, H, W, Ho, Wo)) {
        const float s = scale({0, k.kh, k.kh}, {0, k.kw, k.kw});
        parallelFor(planes, big, [&](int p) {
            forwardWhole(x.data() + static_cast<std::int64_t>(p) * H * W,
                         y.data() + static_cast<std::int64_t>(p) * Ho * Wo, W, Ho, Wo, k, s);
        });
        return;
    }
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
    const bool big = x.numel() * k.kh * k.kw >= kParallelMinWork;
    const bool whole = wholeWindows(k, H, W, Ho, Wo);
    // 2×2 windows, stride 2, tiling the input: backwardWhole writes every input.
    const bool tiles =
        whole && k.kh == 2 && k.kw == 2 && k.sh == 2 && k.sw == 2 && H == 2 * Ho && W == 2 * Wo;
    if (!tiles) dx->setZero();
    if (whole && k.sh >= k.kh && k.sw >= k.kw) {
        const float s = scale({0, k.kh, k.kh}, {0, k.kw, k.kw});
        parallelFor(planes, big, [&](int p) {
            backwardWhole(dy.data() + static_cast<std::int64_t>(p) * Ho * Wo,
                          dx->data() + static_cast<std::int64_t>(p) * H * W, W, Ho, Wo, k, s);
        });
        return;
    }
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
