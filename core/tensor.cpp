#include "core/tensor.h"

#include <algorithm>
#include <stdexcept>

#include <cmath>
#include <ostream>

#include "core/parallel.h"

namespace ll {

void Shape::tooManyDimensions(int rank) {
    throw ShapeError(
        strCat("a shape of ", rank, " dimensions; at most ", kMaxRank, " are supported"));
}

int Shape::operator[](int i) const {
    if (i < 0 || i >= m_rank) throw std::out_of_range(strCat("dimension ", i, " of shape ", str()));
    return m_dims[i];
}

bool Shape::operator==(const Shape& o) const {
    return m_rank == o.m_rank && std::equal(begin(), end(), o.begin());
}

void Shape::validate() const {
    // numel() must not overflow: a shape declared by a file may be anything.
    std::int64_t n = 1;
    for (int d : *this) {
        if (d < 0) throw ShapeError(strCat("negative dimension in shape ", str()));
        if (d > 0 && n > (std::int64_t{1} << 62) / d)
            throw ShapeError(strCat("shape ", str(), " has too many elements"));
        n *= d == 0 ? 1 : d;
    }
}

std::int64_t Shape::numel() const {
    std::int64_t n = 1;
    for (int d : *this)
        n *= d;
    return n;
}

Shape Shape::withBatch(int n) const {
    LL_CHECK(rank() >= 1, "withBatch on a scalar shape");
    Shape s = *this;
    s.m_dims[0] = n;
    s.validate();
    return s;
}

Shape Shape::batched(int n) const {
    if (m_rank == kMaxRank) tooManyDimensions(m_rank + 1);
    Shape s;
    s.m_dims[0] = n;
    std::copy(begin(), end(), s.m_dims + 1);
    s.m_rank = m_rank + 1;
    s.validate();
    return s;
}

Shape Shape::sample() const {
    LL_CHECK(rank() >= 1, "sample() of a scalar shape");
    Shape s;
    std::copy(begin() + 1, end(), s.m_dims);
    s.m_rank = m_rank - 1;
    return s;
}

std::string Shape::str() const {
    std::string s = "(";
    for (int i = 0; i < m_rank; ++i) {
        if (i) s += ", ";
        s += std::to_string(m_dims[i]);
    }
    return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Shape& s) {
    return os << s.str();
}

Tensor::Tensor(const Shape& shape)
    : m_shape(shape), m_data(static_cast<std::size_t>(shape.numel())) {}

Tensor::Tensor(const Shape& shape, float value)
    : m_shape(shape), m_data(static_cast<std::size_t>(shape.numel()), value) {}

Tensor::Tensor(const Shape& shape, std::vector<float> values)
    : m_shape(shape), m_data(values.begin(), values.end()) {
    if (static_cast<std::int64_t>(m_data.size()) != shape.numel()) {
        throw ShapeError(strCat("tensor of shape ", shape, " needs ", shape.numel(),
                                " values, got ", m_data.size()));
    }
}

float& Tensor::at(int n, int c, int h, int w) {
    LL_CHECK(rank() == 4, "at(n,c,h,w) on tensor of shape ", m_shape);
    LL_CHECK(n >= 0 && n < dim(0) && c >= 0 && c < dim(1) && h >= 0 && h < dim(2) && w >= 0 &&
                 w < dim(3),
             "index (", n, ", ", c, ", ", h, ", ", w, ") out of range for ", m_shape);
    return m_data[static_cast<std::size_t>(offset(n, c, h, w, dim(1), dim(2), dim(3)))];
}

float Tensor::at(int n, int c, int h, int w) const {
    return const_cast<Tensor*>(this)->at(n, c, h, w);
}

void Tensor::resize(const Shape& shape) {
    m_shape = shape;
    m_data.resize(static_cast<std::size_t>(shape.numel()));
}

void Tensor::reshape(const Shape& shape) {
    if (shape.numel() != numel()) {
        throw ShapeError(strCat("cannot reshape ", m_shape, " (", numel(), " elements) to ", shape,
                                " (", shape.numel(), " elements)"));
    }
    m_shape = shape;
}

void Tensor::fill(float v) {
    std::fill(m_data.begin(), m_data.end(), v);
}

MatrixMap Tensor::matrix(int rows, int cols) {
    LL_CHECK(static_cast<std::int64_t>(rows) * cols == numel(), "matrix(", rows, ", ", cols,
             ") view of tensor ", m_shape);
    return MatrixMap(m_data.data(), rows, cols);
}

ConstMatrixMap Tensor::matrix(int rows, int cols) const {
    LL_CHECK(static_cast<std::int64_t>(rows) * cols == numel(), "matrix(", rows, ", ", cols,
             ") view of tensor ", m_shape);
    return ConstMatrixMap(m_data.data(), rows, cols);
}

MatrixMap Tensor::matrix2d() {
    LL_CHECK(rank() >= 1, "matrix2d of a scalar");
    const int rows = dim(0);
    return matrix(rows, rows ? static_cast<int>(numel() / rows) : 0);
}

ConstMatrixMap Tensor::matrix2d() const {
    LL_CHECK(rank() >= 1, "matrix2d of a scalar");
    const int rows = dim(0);
    return matrix(rows, rows ? static_cast<int>(numel() / rows) : 0);
}

bool Tensor::allFinite() const {
    for (float v : m_data) {
        if (!std::isfinite(v)) return false;
    }
    return true;
}

double Tensor::sumSquares() const {
    return sumSquaresParallel(m_data.data(), numel());
}

double Tensor::norm() const {
    return std::sqrt(sumSquares());
}

}  // namespace ll
