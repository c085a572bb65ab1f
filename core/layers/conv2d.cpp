#include "core/layers/conv2d.h"

#include "core/layer_io.h"

#include <algorithm>

#include "core/layers/depthwise_kernels.h"
#include "core/layers/init.h"

namespace ll {

std::string Window2d::str() const {
    auto pair = [](int a, int b) { return a == b ? std::to_string(a) : strCat(a, "×", b); };
    std::string s = strCat("k", kh, "×", kw, ", s", pair(sh, sw), ", p");
    s += symmetric() ? pair(ph, pw)
                     : strCat("[", ph, ",", pw, ",", padBottom(), ",", padRight(), "]");
    if (dh != 1 || dw != 1) s += ", d" + pair(dh, dw);
    return s;
}

void validateWindow(const Window2d& w, const char* type) {
    if (w.kh <= 0 || w.kw <= 0 || w.sh <= 0 || w.sw <= 0 || w.dh <= 0 || w.dw <= 0) {
        throw ModelError(
            strCat(type, ": kernel, stride and dilation must be positive, got ", w.str()));
    }
    if (std::min({w.ph, w.pw, w.padBottom(), w.padRight()}) < 0)
        throw ModelError(strCat(type, ": padding must be >= 0, got ", w.str()));
    // Bounded so that no window arithmetic (H + p_top + p_bottom − span, ...) can overflow an int.
    const std::int64_t spanH = std::int64_t{w.kh - 1} * w.dh + 1;
    const std::int64_t spanW = std::int64_t{w.kw - 1} * w.dw + 1;
    if (std::max({w.kh, w.kw, w.sh, w.sw, w.ph, w.pw, w.padBottom(), w.padRight(), w.dh, w.dw}) >
            kMaxWindow ||
        std::max(spanH, spanW) > kMaxWindow) {
        throw ModelError(strCat(type,
                                ": kernel, stride, padding, dilation and the span of the dilated "
                                "kernel must be at most ",
                                kMaxWindow, ", got ", w.str()));
    }
}

Conv2d::Conv2d(int inChannels, int outChannels, Window2d window, bool bias, int groups)
    : m_cin(inChannels), m_cout(outChannels), m_win(window), m_hasBias(bias), m_groups(groups) {
    if (inChannels <= 0 || outChannels <= 0) {
        throw ModelError(
            strCat("Conv2d needs positive channel counts, got ", inChannels, "→", outChannels));
    }
    if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0) {
        throw ModelError(strCat("Conv2d: groups (", groups,
                                ") must be positive and divide both the input channels (",
                                inChannels, ") and the output channels (", outChannels, ")"));
    }
    validateWindow(window, "Conv2d");
    m_weight.name = "weight";
    m_weight.allocate({m_cout, m_cin / m_groups, m_win.kh, m_win.kw});
    if (bias) {
        m_bias.name = "bias";
        m_bias.allocate({m_cout});
    }
}

bool Conv2d::isDepthwise() const {
    return m_groups > 1 && m_groups == m_cin;
}

std::string Conv2d::describe() const {
    return strCat(m_cin, "→", m_cout, ", ", m_win.str(),
                  m_groups > 1 ? strCat(", g", m_groups) : "", m_hasBias ? "" : ", no bias");
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
    g.pb = m_win.padBottom();
    g.pr = m_win.padRight();
    g.dh = m_win.dh;
    g.dw = m_win.dw;
    g.groups = m_groups;
    g.Ho = slidingOutputSize(g.H, g.kh, g.sh, g.ph, g.pb, g.dh);
    g.Wo = slidingOutputSize(g.W, g.kw, g.sw, g.pw, g.pr, g.dw);
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
    const int fanIn = m_cin / m_groups * m_win.kh * m_win.kw;  // PyTorch: weight[0].numel()
    kaimingUniformA5(m_weight.value, fanIn, rng);
    if (m_hasBias) fanInUniform(m_bias.value, fanIn, rng);
}

void Conv2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const float* b = m_hasBias ? m_bias.value.data() : nullptr;
    if (isDepthwise()) {
        depthwiseForward(geometry(x.shape()), x.dim(0), x.data(), m_weight.value.data(), b,
                         y.data());
    } else {
        convForward(geometry(x.shape()), x.dim(0), x.data(), m_weight.value.data(), b, y.data());
    }
}

void Conv2d::forwardFused(const Tensor& x, Tensor& y, const ConvEpilogue& e) {
    sizeOutput(x, y);
    const float* b = m_hasBias ? m_bias.value.data() : nullptr;
    const ConvGeometry g = geometry(x.shape());
    if (!isDepthwise()) {
        convForward(g, x.dim(0), x.data(), m_weight.value.data(), b, y.data(), &e);
        return;
    }
    depthwiseForward(g, x.dim(0), x.data(), m_weight.value.data(), b, y.data());
    const int P = g.Ho * g.Wo;
    for (int n = 0; n < x.dim(0); ++n)
        applyEpilogue(e, 0, g.K, P, y.data() + static_cast<std::ptrdiff_t>(n) * g.K * P);
}

void Conv2d::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    float* db = m_hasBias ? m_bias.grad.data() : nullptr;
    float* dxp = dx ? dx->data() : nullptr;
    if (isDepthwise()) {
        depthwiseBackward(geometry(x.shape()), x.dim(0), x.data(), m_weight.value.data(), dy.data(),
                          m_weight.grad.data(), db, dxp, m_ws);
    } else {
        convBackward(geometry(x.shape()), x.dim(0), x.data(), m_weight.value.data(), dy.data(),
                     m_weight.grad.data(), db, dxp, m_ws);
    }
}

// Each output sums (Cin/groups)·kh·kw products.
LayerCost Conv2d::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    const std::int64_t outElems = out.sample().numel();
    const std::int64_t perOutput =
        static_cast<std::int64_t>(m_cin / m_groups) * m_win.kh * m_win.kw;
    c.weights = m_cout * perOutput;
    c.multiplications = perOutput * outElems;
    c.sumOutputs = outElems;
    c.hasBias = m_hasBias;
    c.biases = m_hasBias ? m_cout : 0;
    return c;
}

FieldRule Conv2d::fieldRule(const Shape&) const {
    // The bottom and right padding change how many windows there are, not where they start.
    return FieldRule::window(m_win.kh, m_win.kw, m_win.sh, m_win.sw, m_win.ph, m_win.pw, m_win.dh,
                             m_win.dw);
}

void Conv2d::write(json& j) const {
    j["out"] = m_cout;
    writeWindow(j, m_win, false);
    if (m_groups != 1) j["groups"] = m_groups;
    if (!m_hasBias) j["bias"] = false;
}

namespace {
LayerPtr readConv2d(const LayerReader& r) {
    r.allowOnly({"in", "out", "kernel", "stride", "padding", "dilation", "groups", "bias"});
    const int cin = r.channelsIn();
    const int cout = r.integer("out", 0, true);
    const Window2d w = readWindow(r, false);
    return std::make_unique<Conv2d>(cin, cout, w, r.boolean("bias", true), r.integer("groups", 1));
}
}  // namespace

LayerKind Conv2d::kind() {
    return {"Conv2d", "conv", &readConv2d};
}

}  // namespace ll
