#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise x for x > 0, slope·x otherwise. The derivative at 0 is taken as the slope
/// (PyTorch). Any shape; any finite slope.
class LeakyReLU : public Activation {
public:
    static constexpr float kDefaultSlope = 0.01f;  // PyTorch's negative_slope

    explicit LeakyReLU(float slope = kDefaultSlope) : m_slope(slope) {}

    const char* type() const override { return "LeakyReLU"; }
    static LayerKind kind();
    /// "slope=0.01".
    std::string describe() const override;
    /// Writes "slope" unless it is the default.
    void write(nlohmann::json& j) const override;
    float slope() const { return m_slope; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    float m_slope;
};

}  // namespace ll
