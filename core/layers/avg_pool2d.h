#pragma once

#include "core/layers/pool_common.h"

namespace ll {

/// Average pooling over kh×kw windows. Padding counts as zeros in the average
/// (PyTorch's count_include_pad=True): every output divides by kh·kw.
class AvgPool2d : public Layer {
public:
    explicit AvgPool2d(Window2d window);

    const char* type() const override { return "AvgPool2d"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    std::string describe() const override { return m_win.str(); }
    Shape outputShape(const Shape& in) const override { return poolOutputShape(*this, m_win, in); }
    const Window2d& window() const { return m_win; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    Window2d m_win;
};

}  // namespace ll
