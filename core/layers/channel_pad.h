#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// ResNet's option-A shortcut (He et al. 2016, §3.3 and §4.2): y = x[:, :, ::s, ::s] with zero
/// channels added, (Cout − Cin)/2 before the input's and the rest after (as the common CIFAR
/// ResNet code pads: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes/4, planes/4))).
/// x (N, Cin, H, W) → y (N, Cout, ⌈H/s⌉, ⌈W/s⌉). No parameters.
class ChannelPad : public Layer {
public:
    ChannelPad(int inChannels, int outChannels, int stride);

    const char* type() const override { return "ChannelPad"; }
    static LayerKind kind();
    std::string describe() const override;
    Shape outputShape(const Shape& in) const override;
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    bool takesSeed() const override { return false; }
    int inChannels() const { return m_cin; }
    int outChannels() const { return m_cout; }
    int stride() const { return m_stride; }
    int before() const { return (m_cout - m_cin) / 2; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    int m_cin, m_cout, m_stride;
};

}  // namespace ll
