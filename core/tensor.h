#pragma once
// Tensor: one contiguous, owning, row-major float32 buffer plus its shape.
//
// Image batches use NCHW; the element (n, c, h, w) of an (N, C, H, W) tensor lives at
// ((n*C + c)*H + h)*W + w — see Tensor::offset, the one place that formula is written.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <Eigen/StdVector>

#include "core/error.h"

namespace ll {

/// Dimensions of a tensor, outermost first. A Shape with no dimensions describes a scalar.
/// Held inline (at most kMaxRank dimensions, as NumPy), so making and copying shapes never
/// allocates: every layer states its output shape on every pass, and a steady-state training step
/// allocates nothing.
class Shape {
public:
    static constexpr int kMaxRank = 32;  // NumPy's limit (NPY_MAXDIMS): any .npy file fits

    Shape() = default;
    Shape(std::initializer_list<int> dims) { assign(dims.begin(), dims.end()); }
    /// Throws ShapeError for more than kMaxRank dimensions or a negative one.
    explicit Shape(const std::vector<int>& dims) { assign(dims.begin(), dims.end()); }

    int rank() const { return m_rank; }
    /// Dimension i; throws std::out_of_range outside [0, rank).
    int operator[](int i) const;
    /// Product of all dimensions (1 for a scalar shape).
    std::int64_t numel() const;
    std::vector<int> dims() const { return {begin(), end()}; }
    const int* begin() const { return m_dims; }
    const int* end() const { return m_dims + m_rank; }
    /// The same shape with the outermost (batch) dimension replaced by n.
    Shape withBatch(int n) const;
    /// This sample shape with a batch dimension n put in front: (C, H, W) -> (n, C, H, W).
    Shape batched(int n) const;
    /// The shape without its outermost dimension: (N, C, H, W) -> (C, H, W).
    Shape sample() const;
    /// "(16, 1, 28, 28)".
    std::string str() const;

    bool operator==(const Shape& o) const;
    bool operator!=(const Shape& o) const { return !(*this == o); }

private:
    template <typename It>
    void assign(It first, It last) {
        m_rank = 0;
        for (It it = first; it != last; ++it) {
            if (m_rank == kMaxRank) tooManyDimensions(static_cast<int>(last - first));
            m_dims[m_rank++] = *it;
        }
        validate();
    }
    [[noreturn]] static void tooManyDimensions(int rank);
    void validate() const;
    int m_dims[kMaxRank] = {};
    int m_rank = 0;
};

std::ostream& operator<<(std::ostream& os, const Shape& s);

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using VectorMap = Eigen::Map<Eigen::VectorXf>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXf>;

/// Float storage aligned for the widest SIMD loads (64 bytes with AVX-512). Scratch buffers use it
/// too: vectorized reductions start differently on a differently aligned buffer, so results would
/// otherwise change in the last bit with the heap's layout (a run loading its data another way
/// would not repeat another run exactly).
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

class Tensor {
public:
    Tensor() = default;
    /// Zero-filled tensor of the given shape.
    explicit Tensor(const Shape& shape);
    Tensor(const Shape& shape, float value);
    Tensor(const Shape& shape, std::vector<float> values);

    const Shape& shape() const { return m_shape; }
    int rank() const { return m_shape.rank(); }
    int dim(int i) const { return m_shape[i]; }
    std::int64_t numel() const { return static_cast<std::int64_t>(m_data.size()); }
    bool empty() const { return m_data.empty(); }

    float* data() { return m_data.data(); }
    const float* data() const { return m_data.data(); }
    /// A copy of the elements (tests, serialization).
    std::vector<float> values() const { return std::vector<float>(m_data.begin(), m_data.end()); }

    float& operator[](std::int64_t i) { return m_data[static_cast<std::size_t>(i)]; }
    float operator[](std::int64_t i) const { return m_data[static_cast<std::size_t>(i)]; }

    /// Offset of element (n, c, h, w) in an (N, C, H, W) tensor.
    static std::int64_t offset(int n, int c, int h, int w, int C, int H, int W) {
        return ((static_cast<std::int64_t>(n) * C + c) * H + h) * W + w;
    }
    /// Checked 4-D access (tests, analysis; not for hot loops).
    float& at(int n, int c, int h, int w);
    float at(int n, int c, int h, int w) const;

    /// Sets the shape, reusing the buffer's capacity; contents are unspecified afterwards
    /// unless the shape did not change. Never shrinks the allocation (no allocation in hot loops).
    void resize(const Shape& shape);
    /// Elements the buffer holds room for (resize up to this many does not allocate).
    std::size_t capacity() const { return m_data.capacity(); }
    /// Changes the shape without touching the data; the element count must stay the same.
    void reshape(const Shape& shape);
    void fill(float v);
    void setZero() { fill(0.0f); }

    /// Views as a (rows, cols) row-major matrix; rows * cols must equal numel().
    MatrixMap matrix(int rows, int cols);
    ConstMatrixMap matrix(int rows, int cols) const;
    /// Views a tensor of rank >= 1 as (dim 0, rest) matrix.
    MatrixMap matrix2d();
    ConstMatrixMap matrix2d() const;
    VectorMap vector() { return VectorMap(m_data.data(), static_cast<Eigen::Index>(numel())); }
    ConstVectorMap vector() const {
        return ConstVectorMap(m_data.data(), static_cast<Eigen::Index>(numel()));
    }

    /// True when every element is finite.
    bool allFinite() const;
    /// Σ x² in double, split over the threads, the same bits at any thread count; finite exactly
    /// when every element is (sumSquaresParallel).
    double sumSquares() const;
    double norm() const;

private:
    Shape m_shape;
    // Aligned to Eigen's widest packet: Eigen's vectorized reductions peel until the first
    // aligned element, so an arbitrary malloc alignment would change the summation order and
    // make results differ in the last bits from one allocation to the next.
    AlignedFloats m_data;
};

}  // namespace ll
