#include "core/layers/zero_pad2d.h"

#include <algorithm>
#include <limits>

#include "core/layer_io.h"

namespace ll {

namespace {

// The padding as a 1×1 window of stride 1: the model files' reader and writer of "padding",
// its printing and its checks are the convolutions'.
Window2d paddingWindow(int top, int left, int bottom, int right) {
    Window2d w;
    w.ph = top, w.pw = left, w.pb = bottom, w.pr = right;
    return w;
}

std::string paddingStr(const Window2d& w) {
    const std::string s = w.str();  // "k1×1, s1, p…"
    return s.substr(s.find(", p") + 2);
}

}  // namespace

ZeroPad2d::ZeroPad2d(int top, int left, int bottom, int right)
    : m_top(top), m_left(left), m_bottom(bottom), m_right(right) {
    const Window2d w = paddingWindow(top, left, bottom, right);
    if (std::min({top, left, bottom, right}) < 0 ||
        std::max({top, left, bottom, right}) > kMaxWindow)
        throw ModelError(strCat("ZeroPad2d: padding must be in [0, ", kMaxWindow, "], got ",
                                paddingStr(w), " (negative padding, a crop, is not supported)"));
}

std::string ZeroPad2d::describe() const {
    return paddingStr(paddingWindow(m_top, m_left, m_bottom, m_right));
}

Shape ZeroPad2d::outputShape(const Shape& in) const {
    requireRank(in, 4, "(N, C, H, W)");
    const std::int64_t H = std::int64_t{in[2]} + m_top + m_bottom;
    const std::int64_t W = std::int64_t{in[3]} + m_left + m_right;
    if (std::max(H, W) > std::numeric_limits<int>::max())
        shapeError(in, strCat("the padded map (", H, ", ", W, ") is too large"));
    return Shape({in[0], in[1], static_cast<int>(H), static_cast<int>(W)});
}

void ZeroPad2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const std::int64_t planes = std::int64_t{x.dim(0)} * x.dim(1);
    const int H = x.dim(2), W = x.dim(3), Wo = y.dim(3);
    const std::int64_t Ho = y.dim(2);
    y.setZero();
    for (std::int64_t p = 0; p < planes; ++p) {
        const float* in = x.data() + p * H * W;
        float* out = y.data() + (p * Ho + m_top) * Wo + m_left;
        for (int h = 0; h < H; ++h)
            std::copy(in + std::int64_t{h} * W, in + std::int64_t{h + 1} * W,
                      out + std::int64_t{h} * Wo);
    }
}

// y is x moved by (top, left) with zeros around: the gradient of x is dy cropped back.
void ZeroPad2d::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const std::int64_t planes = std::int64_t{x.dim(0)} * x.dim(1);
    const int H = x.dim(2), W = x.dim(3), Wo = dy.dim(3);
    const std::int64_t Ho = dy.dim(2);
    for (std::int64_t p = 0; p < planes; ++p) {
        const float* g = dy.data() + (p * Ho + m_top) * Wo + m_left;
        float* out = dx->data() + p * H * W;
        for (int h = 0; h < H; ++h)
            std::copy(g + std::int64_t{h} * Wo, g + std::int64_t{h} * Wo + W,
                      out + std::int64_t{h} * W);
    }
}

LayerCost ZeroPad2d::cost(const std::vector<Shape>&, const Shape&) const {
    return {};  // a copy: no arithmetic
}

// A 1×1 window of stride 1 whose first unit sits `top` rows and `left` columns before the input:
// the field keeps its size and jump, and its start moves by −top·jump (−left·jump), as a
// convolution's padding moves it. The bottom and right padding add units at the end only.
FieldRule ZeroPad2d::fieldRule(const Shape&) const {
    return FieldRule::window(1, 1, 1, 1, m_top, m_left);
}

void ZeroPad2d::write(json& j) const {
    writePadding(j, paddingWindow(m_top, m_left, m_bottom, m_right));
    if (!j.contains("padding")) j["padding"] = 0;  // "padding" is required
}

namespace {
LayerPtr readZeroPad2d(const LayerReader& r) {
    r.allowOnly({"padding"});
    if (!r.has("padding"))
        r.fail("needs \"padding\": an integer, [h, w] or [top, left, bottom, right]");
    Window2d w;
    readPadding(r, w);
    return std::make_unique<ZeroPad2d>(w.ph, w.pw, w.padBottom(), w.padRight());
}
}  // namespace

LayerKind ZeroPad2d::kind() {
    return {"ZeroPad2d", "pad", &readZeroPad2d};
}

}  // namespace ll
