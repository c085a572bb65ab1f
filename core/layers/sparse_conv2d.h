#pragma once

#include <vector>

#include "core/layers/conv2d.h"

namespace ll {

/// A convolution whose output map o sees only the input maps listed in connections[o] — the
/// LeNet-5 C3 connection table (LeCun et al. 1998, Table I). Only connected kernels are
/// parameters: weight has shape (Σ_o |connections[o]|, kh, kw), stored output map by output map,
/// input maps in the listed order. Computed by expanding into a dense kernel with zeros and
/// running the dense convolution; the dense gradient is gathered back.
class SparseConv2d : public Conv2d {
public:
    SparseConv2d(int inChannels, int outChannels, Window2d window,
                 std::vector<std::vector<int>> connections, bool bias = true);

    /// The classic LeNet-5 C3 table: maps 0-5 see 3 contiguous inputs, 6-11 see 4 contiguous,
    /// 12-14 see 4 non-contiguous, 15 sees all 6.
    static std::vector<std::vector<int>> lenetC3Table();

    const char* type() const override { return "SparseConv2d"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    void write(nlohmann::json& j) const override;
    std::string describe() const override;
    std::vector<Param*> params() override;
    void resetParameters(Rng& rng) override;
    const std::vector<std::vector<int>>& connections() const { return m_connections; }
    Param& sparseWeight() { return m_sparse; }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    void expand();  // m_sparse.value → m_weight.value (dense, zeros elsewhere)

    std::vector<std::vector<int>> m_connections;
    Param m_sparse;  // (Σ|connections[o]|, kh, kw)
};

}  // namespace ll
