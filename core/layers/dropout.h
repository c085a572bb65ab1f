#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// Inverted dropout: in Train mode zeroes each element with probability p and scales the
/// survivors by 1/(1−p); identity in Eval mode. Any shape.
class Dropout : public Layer {
public:
    explicit Dropout(float p = 0.5f);

    const char* type() const override { return "Dropout"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    std::string describe() const override;
    Shape outputShape(const Shape& in) const override { return in; }
    void resetParameters(Rng& rng) override { m_rng = rng.split(); }
    void freezeRandomness(bool frozen) override { m_frozen = frozen; }
    float p() const { return m_p; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    float m_p;
    Rng m_rng{0xd20};
    bool m_frozen = false;
    bool m_lastTrain = false;
    Tensor m_mask;  // same shape as x: 0 or 1/(1−p), from the last Train-mode forward
};

}  // namespace ll
