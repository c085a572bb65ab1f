#include "core/layers/multi_input.h"

namespace ll {

Shape MultiInputLayer::outputShapeMulti(const std::vector<Shape>& in) const {
    if (static_cast<int>(in.size()) < minInputs() || static_cast<int>(in.size()) > maxInputs()) {
        throw ShapeError(strCat(label(), ": takes ", minInputs(),
                                maxInputs() > minInputs() ? " or more" : "", " inputs, got ",
                                in.size(), " — name them with \"inputs\": [...]"));
    }
    return combinedShape(in);
}

void MultiInputLayer::forwardImpl(const Tensor& x, Tensor& y, Mode mode) {
    forwardMultiImpl({&x}, y, mode);
}

void MultiInputLayer::backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
    backwardMultiImpl({&x}, y, dy, {dx});
}

std::string MultiInputLayer::shapesText(const std::vector<Shape>& in) {
    std::string s;
    for (std::size_t k = 0; k < in.size(); ++k)
        s += strCat(k == 0 ? "" : (k + 1 == in.size() ? " and " : ", "), in[k].sample());
    return s;
}

}  // namespace ll
