#pragma once

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

/// Zero padding of the rows and columns of a map (ONNX Pad in "constant" mode with value 0 on
/// the two spatial axes; PyTorch's nn.ZeroPad2d). x (N, C, H, W) → y (N, C, top + H + bottom,
/// left + W + right) with y[n, c, top + h, left + w] = x[n, c, h, w] and zeros around.
/// Backward crops: dx = dy[:, :, top : top + H, left : left + W]. No parameters.
/// The order is the model files' (convolution padding): [top, left, bottom, right]. PyTorch's
/// nn.ZeroPad2d takes (left, right, top, bottom); ONNX's pads for (N, C, H, W) are
/// [0, 0, top, left, 0, 0, bottom, right].
class ZeroPad2d : public Layer {
public:
    /// Throws ModelError unless every side is in [0, kMaxWindow].
    ZeroPad2d(int top, int left, int bottom, int right);
    /// The same padding on all four sides.
    explicit ZeroPad2d(int padding) : ZeroPad2d(padding, padding, padding, padding) {}

    const char* type() const override { return "ZeroPad2d"; }
    static LayerKind kind();
    /// "p1", "p1×2" ([h, w]) or "p[0,1,2,3]" ([top, left, bottom, right]), as Window2d::str.
    std::string describe() const override;
    Shape outputShape(const Shape& in) const override;
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    /// Writes "padding" as an integer, [h, w] or [top, left, bottom, right], the shortest that
    /// says it.
    void write(nlohmann::json& j) const override;
    bool takesSeed() const override { return false; }

    int top() const { return m_top; }
    int left() const { return m_left; }
    int bottom() const { return m_bottom; }
    int right() const { return m_right; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    int m_top, m_left, m_bottom, m_right;
};

}  // namespace ll
