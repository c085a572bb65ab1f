#pragma once

#include <cstdint>
#include <vector>

#include "core/layers/pool_common.h"

namespace ll {

/// Max pooling over kh×kw windows; padding never wins (acts as −∞), like PyTorch. With ceilMode
/// the output sizes round up (PyTorch's ceil_mode; poolOutputShape).
class MaxPool2d : public Layer {
public:
    explicit MaxPool2d(Window2d window, bool ceilMode = false);

    const char* type() const override { return "MaxPool2d"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    std::string describe() const override;
    Shape outputShape(const Shape& in) const override {
        return poolOutputShape(*this, m_win, m_ceilMode, in);
    }
    const Window2d& window() const { return m_win; }
    bool ceilMode() const { return m_ceilMode; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    Window2d m_win;
    bool m_ceilMode;
    std::vector<std::int32_t>
        m_argmax;  // (N, C, Ho, Wo): offset of the max inside its (H, W) plane
    std::vector<std::int32_t> m_starts;  // forward, small maps: each output's first tap
};

}  // namespace ll
