#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// Fully connected layer: y = x Wᵀ + b, x (N, in), W (out, in), b (out), y (N, out).
class Linear : public Layer {
public:
    Linear(int in, int out, bool bias = true);

    const char* type() const override { return "Linear"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    std::string describe() const override;
    Shape outputShape(const Shape& in) const override;
    std::vector<Param*> params() override;
    void resetParameters(Rng& rng) override;

    int inFeatures() const { return m_in; }
    int outFeatures() const { return m_out; }
    bool hasBias() const { return m_hasBias; }
    Param& weight() { return m_weight; }
    Param& bias() { return m_bias; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    int m_in, m_out;
    bool m_hasBias;
    Param m_weight;  // (out, in)
    Param m_bias;    // (out)
};

}  // namespace ll
