#include "core/layers/conv2d.h"

#include "core/layer_io.h"

#include <algorithm>

#include "core/layers/init.h"

namespace ll {

std::string Window2d::str() const {
    auto pair = [](int a, int b) { return a == b ? std::to_string(a) : strCat(a, "×", b); };
    return strCat("k", kh, "×", kw, ", s", pair(sh, sw), ", p", pair(ph, pw));
}

namespace {
void validateWindow(const Window2d& w, const char* what) {
    if (w.kh <= 0 || w.kw <= 0 || w.sh <= 0 || w.sw <= 0 || w.ph < 0 || w.pw < 0) {
        throw ModelError(
            strCat(what, ": kernel and stride must be positive and padding >= 0, got ", w.str()));
    }
    // Bounded so that no window arithmetic (H + 2p − k, ...) can overflow an int.
    if (std::max({w.kh, w.kw, w.sh, w.sw, w.ph, w.pw}) > kMaxWindow)
        throw ModelError(strCat(what, ": kernel, stride and padding must be at most ", kMaxWindow,
                                ", got ", w.str()));
}
}  // namespace

Conv2d::Conv2d(int inChannels, int outChannels, Window2d window, bool bias)
    : m_cin(inChannels), m_cout(outChannels), m_win(window), m_hasBias(bias) {
    if (inChannels <= 0 || outChannels <= 0) {
        throw ModelError(
            strCat("Conv2d needs positive channel counts, got ", inChannels, "→", outChannels));
    }
    validateWindow(window, "Conv2d");
    m_weight.name = "weight";
    m_weight.allocate({m_cout, m_cin, m_win.kh, m_win.kw});
    if (bias) {
        m_bias.name = "bias";
        m_bias.allocate({m_cout});
    }
}

std::string Conv2d::describe() const {
    return strCat(m_cin, "→", m_cout, ", ", m_win.str(), m_hasBias ? "" : ", no bias");
}

ConvGeometry Conv2d::geometry(const Shape& in) const {
    ConvGeometry g;
    g.C = in[1];
    g.H = in[2];
    g.W = in[3];
    g.K = m_cout;
    g.kh = m_win.kh;
    g.kw = m_win.kw;
    g.sh = m_win.sh;
    g.sw = m_win.sw;
    g.ph = m_win.ph;
    g.pw = m_win.pw;
    g.Ho = slidingOutputSize(g.H, g.kh, g.sh, g.ph);
    g.Wo = slidingOutputSize(g.W, g.kw, g.sw, g.pw);
    return g;
}

Shape Conv2d::outputShape(const Shape& in) const {
    requireRank(in, 4, "(N, C, H, W)");
    if (in[1] != m_cin) shapeError(in, strCat("expects ", m_cin, " input channels"));
    const ConvGeometry g = geometry(in);
    if (g.Ho <= 0 || g.Wo <= 0) {
        shapeError(
            in, strCat("the ", m_win.kh, "×", m_win.kw, " kernel does not fit the padded input"));
    }
    return {in[0], m_cout, g.Ho, g.Wo};
}

std::vector<Param*> Conv2d::params() {
    if (m_hasBias) return {&m_weight, &m_bias};
    return {&m_weight};
}

void Conv2d::resetParameters(Rng& rng) {
    const int fanIn = m_cin * m_win.kh * m_win.kw;
    kaimingUniformA5(m_weight.value, fanIn, rng);
    if (m_hasBias) fanInUniform(m_bias.value, fanIn, rng);
}

void Conv2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    convForward(geometry(x.shape()), x.dim(0), x.data(), m_weight.value.data(),
                m_hasBias ? m_bias.value.data() : nullptr, y.data());
}

void Conv2d::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    convBackward(geometry(x.shape()), x.dim(0), x.data(), m_weight.value.data(), dy.data(),
                 m_weight.grad.data(), m_hasBias ? m_bias.grad.data() : nullptr,
                 dx ? dx->data() : nullptr, m_ws);
}

LayerCost Conv2d::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    const std::int64_t outElems = out.sample().numel();
    c.weights = static_cast<std::int64_t>(m_cout) * m_cin * m_win.kh * m_win.kw;
    c.multiplications = static_cast<std::int64_t>(m_cin) * m_win.kh * m_win.kw * outElems;
    c.sumOutputs = outElems;
    c.hasBias = m_hasBias;
    c.biases = m_hasBias ? m_cout : 0;
    return c;
}

FieldRule Conv2d::fieldRule(const Shape&) const {
    return FieldRule::window(m_win.kh, m_win.kw, m_win.sh, m_win.sw, m_win.ph, m_win.pw);
}

void Conv2d::write(json& j) const {
    j["out"] = m_cout;
    writeWindow(j, m_win, false);
    if (!m_hasBias) j["bias"] = false;
}

namespace {
LayerPtr readConv2d(const LayerReader& r) {
    r.allowOnly({"in", "out", "kernel", "stride", "padding", "bias"});
    const int cin = r.channelsIn();
    const int cout = r.integer("out", 0, true);
    const Window2d w = readWindow(r, false);
    return std::make_unique<Conv2d>(cin, cout, w, r.boolean("bias", true));
}
}  // namespace

LayerKind Conv2d::kind() {
    return {"Conv2d", "conv", &readConv2d};
}

}  // namespace ll
