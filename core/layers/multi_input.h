#pragma once
// Base of the layers that read several inputs (Add, Mul, Concat over named inputs). They are
// driven through Layer::forwardMulti/backwardMulti; the one-input entry points refuse them.

#include "core/layer.h"

namespace ll {

class MultiInputLayer : public Layer {
public:
    Shape outputShape(const Shape& in) const override { return outputShapeMulti({in}); }
    Shape outputShapeMulti(const std::vector<Shape>& in) const override;
    bool takesSeed() const override { return false; }

protected:
    /// The shape rule once the input count is checked.
    virtual Shape combinedShape(const std::vector<Shape>& in) const = 0;
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
    /// "(N, C, H, W) and (N, C, 1, 1)" for messages.
    static std::string shapesText(const std::vector<Shape>& in);
};

}  // namespace ll
