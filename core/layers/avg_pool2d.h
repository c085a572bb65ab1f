#pragma once

#include "core/layers/pool_common.h"

namespace ll {

/// Average pooling over kh×kw windows, with PyTorch's options:
///  - countIncludePad (default): padding counts as zeros in the average, so a window inside the
///    padded input divides by kh·kw; otherwise it divides by the input positions it covers;
///  - ceilMode: the output sizes round up (poolOutputShape); a last window hanging over the
///    padded end divides by the positions of the padded input it covers (PyTorch's rule).
class AvgPool2d : public Layer {
public:
    explicit AvgPool2d(Window2d window, bool ceilMode = false, bool countIncludePad = true);

    const char* type() const override { return "AvgPool2d"; }
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
    bool countIncludePad() const { return m_countIncludePad; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    /// 1 / the divisor of output (oh, ow)'s window, whose spans along the axes are given.
    float scale(const PoolSpan& rows, const PoolSpan& cols) const;

    Window2d m_win;
    bool m_ceilMode, m_countIncludePad;
};

}  // namespace ll
