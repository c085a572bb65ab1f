#include "core/layers/lrn.h"

#include <algorithm>
#include <cmath>

#include "core/layer_io.h"
#include "core/parallel.h"

namespace ll {

LRN::LRN(int size, float alpha, float beta, float k, Align align)
    : m_size(size),
      m_before(align == Align::PyTorch ? size / 2 : (size - 1) / 2),
      m_alpha(alpha),
      m_beta(beta),
      m_k(k) {
    if (size < 1 || size > kMaxWindow)
        throw ModelError(strCat("LRN: size must be in [1, ", kMaxWindow, "], got ", size));
    if (!std::isfinite(alpha) || !std::isfinite(beta) || !std::isfinite(k) || alpha < 0.0f ||
        k <= 0.0f) {
        // d = k + α/n·Σx² must stay positive for d^β (and y) to be finite.
        throw ModelError(strCat("LRN needs alpha >= 0, k > 0 and a finite beta, got alpha ", alpha,
                                ", beta ", beta, ", k ", k));
    }
}

std::string LRN::describe() const {
    return strCat("size ", m_size, ", α=", m_alpha, ", β=", m_beta, ", k=", m_k,
                  m_before == m_size / 2 ? "" : ", onnx window");
}

Shape LRN::outputShape(const Shape& in) const {
    if (in.rank() < 2) shapeError(in, "expects input (N, C, ...) of rank 2 or more");
    return in;
}

void LRN::divisors(const float* xn, std::int64_t C, std::int64_t S, float* d) const {
    const float scale = m_alpha / static_cast<float>(m_size);
    for (std::int64_t c = 0; c < C; ++c) {
        float* dc = d + c * S;
        std::fill(dc, dc + S, 0.0f);
        // Σ x² over the window, clipped to the channels there are (PyTorch pads with zeros).
        const std::int64_t lo = std::max<std::int64_t>(0, c - m_before);
        const std::int64_t hi = std::min<std::int64_t>(C - 1, c + after());
        for (std::int64_t c2 = lo; c2 <= hi; ++c2) {
            const float* xc = xn + c2 * S;
            for (std::int64_t s = 0; s < S; ++s)
                dc[s] += xc[s] * xc[s];
        }
        for (std::int64_t s = 0; s < S; ++s)
            dc[s] = m_k + scale * dc[s];
    }
}

void LRN::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int N = x.dim(0);
    const std::int64_t C = x.dim(1), S = N * C == 0 ? 0 : x.numel() / (N * C);
    const bool big = x.numel() * m_size >= kParallelMinWork;
    parallelFor(N, big, [&](int n) {
        const float* xn = x.data() + n * C * S;
        float* yn = y.data() + n * C * S;
        divisors(xn, C, S, yn);  // y holds d until it is replaced by x / d^β
        for (std::int64_t i = 0; i < C * S; ++i)
            yn[i] = xn[i] / std::pow(yn[i], m_beta);
    });
}

// y_c = x_c·d_c^(−β) with d_c = k + (α/n)·Σ_{c'∈W(c)} x_{c'}², so
//   ∂y_c/∂x_j = [c = j]·d_c^(−β) − β·x_c·d_c^(−β−1)·(α/n)·2x_j·[j ∈ W(c)],
// and j ∈ W(c) ⟺ c ∈ [j − after, j + before]: the window mirrored.
void LRN::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    m_terms.resize(x.shape());
    const int N = x.dim(0);
    const std::int64_t C = x.dim(1), S = N * C == 0 ? 0 : x.numel() / (N * C);
    const float coef = 2.0f * m_alpha * m_beta / static_cast<float>(m_size);
    const bool big = x.numel() * m_size >= kParallelMinWork;
    parallelFor(N, big, [&](int n) {
        const float* xn = x.data() + n * C * S;
        const float* gn = dy.data() + n * C * S;
        float* dn = dx->data() + n * C * S;
        float* tn = m_terms.data() + n * C * S;
        divisors(xn, C, S, dn);  // dx holds d until the direct term replaces it
        for (std::int64_t i = 0; i < C * S; ++i) {
            const float q = std::pow(dn[i], m_beta);  // d^β
            tn[i] = gn[i] * xn[i] / (q * dn[i]);      // dy·x·d^(−β−1)
            dn[i] = gn[i] / q;                        // dy·d^(−β)
        }
        for (std::int64_t j = 0; j < C; ++j) {
            const std::int64_t lo = std::max<std::int64_t>(0, j - after());
            const std::int64_t hi = std::min<std::int64_t>(C - 1, j + m_before);
            const float* xj = xn + j * S;
            float* dj = dn + j * S;
            for (std::int64_t s = 0; s < S; ++s) {
                float t = 0.0f;
                for (std::int64_t c = lo; c <= hi; ++c)
                    t += tn[c * S + s];
                dj[s] -= coef * xj[s] * t;
            }
        }
    });
}

// Per output element, as forwardImpl computes it: n squares and n − 1 additions for the
// window's sum (a full window; windows clipped at the first and last channels do fewer), one
// multiplication by α/n, one addition of k, one power and one division: 2n + 3 operations.
// Counted with the normalization operations (the "bn ops" column, folded into FLOPs by "+bn").
LayerCost LRN::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    c.normOps = (2 * std::int64_t{m_size} + 3) * out.sample().numel();
    return c;
}

// LRN mixes channels at each position, never positions: the spatial field is unchanged.
FieldRule LRN::fieldRule(const Shape&) const {
    return FieldRule::same();
}

void LRN::write(json& j) const {
    j["size"] = m_size;
    if (m_alpha != kDefaultAlpha) j["alpha"] = m_alpha;
    if (m_beta != kDefaultBeta) j["beta"] = m_beta;
    if (m_k != kDefaultK) j["k"] = m_k;
    if (m_before != m_size / 2) j["window"] = "onnx";
}

namespace {
LayerPtr readLRN(const LayerReader& r) {
    r.allowOnly({"size", "alpha", "beta", "k", "window"});
    LRN::Align align = LRN::Align::PyTorch;
    if (r.has("window")) {
        const json& w = r.raw("window");
        if (!w.is_string() || (w != "pytorch" && w != "onnx"))
            r.fail(strCat("\"window\" must be \"pytorch\" or \"onnx\", got ", w.dump()));
        if (w == "onnx") align = LRN::Align::Onnx;
    }
    return std::make_unique<LRN>(r.integer("size", 0, true),
                                 static_cast<float>(r.number("alpha", LRN::kDefaultAlpha)),
                                 static_cast<float>(r.number("beta", LRN::kDefaultBeta)),
                                 static_cast<float>(r.number("k", LRN::kDefaultK)), align);
}
}  // namespace

LayerKind LRN::kind() {
    return {"LRN", "lrn", &readLRN};
}

}  // namespace ll
