#include "core/layers/dropout.h"

#include "core/layer_io.h"

namespace ll {

Dropout::Dropout(float p) : m_p(p) {
    if (!(p >= 0.0f && p < 1.0f)) {
        throw ModelError(strCat("Dropout probability must be in [0, 1), got ", p));
    }
}

std::string Dropout::describe() const {
    return strCat("p=", m_p);
}

void Dropout::forwardImpl(const Tensor& x, Tensor& y, Mode mode) {
    m_lastTrain = mode == Mode::Train && m_p > 0.0f;
    if (!m_lastTrain) {
        y.vector() = x.vector();
        return;
    }
    if (!m_frozen || m_mask.shape() != x.shape()) {
        m_mask.resize(x.shape());
        const float keep = 1.0f / (1.0f - m_p);
        for (std::int64_t i = 0; i < m_mask.numel(); ++i) {
            m_mask[i] = m_rng.uniform() < m_p ? 0.0f : keep;
        }
    }
    y.vector() = x.vector().cwiseProduct(m_mask.vector());
}

void Dropout::backwardImpl(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    if (m_lastTrain) {
        dx->vector() = dy.vector().cwiseProduct(m_mask.vector());
    } else {
        dx->vector() = dy.vector();
    }
}

LayerCost Dropout::cost(const std::vector<Shape>&, const Shape&) const {
    return {};  // nothing in inference; training's mask is not counted
}

FieldRule Dropout::fieldRule(const Shape&) const {
    return FieldRule::same();
}

void Dropout::write(json& j) const {
    j["p"] = m_p;
}

namespace {
LayerPtr readDropout(const LayerReader& r) {
    r.allowOnly({"p"});
    return std::make_unique<Dropout>(static_cast<float>(r.number("p", 0.5)));
}
}  // namespace

LayerKind Dropout::kind() {
    return {"Dropout", "dropout", &readDropout};
}

}  // namespace ll
