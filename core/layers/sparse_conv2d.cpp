#include "core/layers/sparse_conv2d.h"

#include "core/layer_io.h"

#include <algorithm>
#include <cstring>

#include "core/layers/init.h"

namespace ll {

SparseConv2d::SparseConv2d(int inChannels, int outChannels, Window2d window,
                           std::vector<std::vector<int>> connections, bool bias)
    : Conv2d(inChannels, outChannels, window, bias), m_connections(std::move(connections)) {
    if (static_cast<int>(m_connections.size()) != outChannels) {
        throw ModelError(strCat("SparseConv2d: the connection table has ", m_connections.size(),
                                " rows but there are ", outChannels, " output maps"));
    }
    int total = 0;
    for (std::size_t o = 0; o < m_connections.size(); ++o) {
        auto& row = m_connections[o];
        if (row.empty()) {
            throw ModelError(strCat("SparseConv2d: output map ", o, " is connected to no input"));
        }
        std::vector<int> seen(static_cast<std::size_t>(inChannels), 0);
        for (int c : row) {
            if (c < 0 || c >= inChannels) {
                throw ModelError(strCat("SparseConv2d: output map ", o, " lists input map ", c,
                                        " but there are only ", inChannels, " input maps"));
            }
            if (seen[static_cast<std::size_t>(c)]++) {
                throw ModelError(
                    strCat("SparseConv2d: output map ", o, " lists input map ", c, " twice"));
            }
        }
        total += static_cast<int>(row.size());
    }
    m_sparse.name = "weight";
    m_sparse.allocate({total, window.kh, window.kw});
}

std::vector<std::vector<int>> SparseConv2d::lenetC3Table() {
    return {{0, 1, 2},    {1, 2, 3},    {2, 3, 4},    {3, 4, 5},         {4, 5, 0},    {5, 0, 1},
            {0, 1, 2, 3}, {1, 2, 3, 4}, {2, 3, 4, 5}, {3, 4, 5, 0},      {4, 5, 0, 1}, {5, 0, 1, 2},
            {0, 1, 3, 4}, {1, 2, 4, 5}, {0, 2, 3, 5}, {0, 1, 2, 3, 4, 5}};
}

std::string SparseConv2d::describe() const {
    return Conv2d::describe() +
           strCat(", ", m_sparse.declared[0], " of ", m_cin * m_cout, " maps connected");
}

std::vector<Param*> SparseConv2d::params() {
    if (m_hasBias) return {&m_sparse, &m_bias};
    return {&m_sparse};
}

void SparseConv2d::resetParameters(Rng& rng) {
    // PyTorch has no sparse convolution; like LeCun, the fan-in is that of each output map.
    const int k2 = m_win.kh * m_win.kw;
    std::int64_t offset = 0;
    for (std::size_t o = 0; o < m_connections.size(); ++o) {
        const int fanIn = static_cast<int>(m_connections[o].size()) * k2;
        Tensor w({static_cast<int>(m_connections[o].size()) * k2});
        kaimingUniformA5(w, fanIn, rng);
        std::copy(w.data(), w.data() + w.numel(), m_sparse.value.data() + offset);
        offset += w.numel();
        if (m_hasBias) {
            Tensor b({1});
            fanInUniform(b, fanIn, rng);
            m_bias.value[static_cast<std::int64_t>(o)] = b[0];
        }
    }
}

void SparseConv2d::expand() {
    const int k2 = m_win.kh * m_win.kw;
    m_weight.value.setZero();
    const float* src = m_sparse.value.data();
    for (std::size_t o = 0; o < m_connections.size(); ++o) {
        for (int c : m_connections[o]) {
            float* dst = m_weight.value.data() + (static_cast<std::int64_t>(o) * m_cin + c) * k2;
            std::memcpy(dst, src, sizeof(float) * k2);
            src += k2;
        }
    }
}

void SparseConv2d::forwardImpl(const Tensor& x, Tensor& y, Mode mode) {
    expand();
    Conv2d::forwardImpl(x, y, mode);
}

void SparseConv2d::backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
    expand();               // the parameters may have changed since forward (a step between calls)
    m_weight.ensureGrad();  // the dense kernel is not a parameter: Layer::backward skipped it
    m_weight.grad.setZero();
    Conv2d::backwardImpl(x, y, dy, dx);
    // Gather the connected kernels' gradients; the unconnected ones are not parameters.
    const int k2 = m_win.kh * m_win.kw;
    float* dst = m_sparse.grad.data();
    for (std::size_t o = 0; o < m_connections.size(); ++o) {
        for (int c : m_connections[o]) {
            const float* src =
                m_weight.grad.data() + (static_cast<std::int64_t>(o) * m_cin + c) * k2;
            for (int i = 0; i < k2; ++i)
                dst[i] += src[i];
            dst += k2;
        }
    }
}

LayerCost SparseConv2d::cost(const std::vector<Shape>& in, const Shape& out) const {
    LayerCost c = Conv2d::cost(in, out);
    const std::int64_t hw = static_cast<std::int64_t>(out[2]) * out[3];
    c.weights = 0;
    for (const auto& ins : m_connections)
        c.weights += static_cast<std::int64_t>(ins.size()) * m_win.kh * m_win.kw;
    c.multiplications = c.weights * hw;
    return c;
}

void SparseConv2d::write(json& j) const {
    Conv2d::write(j);
    j["connections"] = m_connections == lenetC3Table() ? json("lenet-c3") : json(m_connections);
}

namespace {
// "connections": "lenet-c3" or a list of input lists, one per output map.
std::vector<std::vector<int>> readConnections(const LayerReader& r) {
    if (!r.has("connections"))
        r.fail("needs \"connections\": \"lenet-c3\" or a list of input lists");
    const json& c = r.raw("connections");
    if (c.is_string()) {
        if (c.get<std::string>() == "lenet-c3") return SparseConv2d::lenetC3Table();
        r.fail("the only named connection table is \"lenet-c3\"");
    }
    std::vector<std::vector<int>> table;
    if (!c.is_array()) r.fail("\"connections\" must be \"lenet-c3\" or a list of input lists");
    for (const json& row : c) {
        if (!row.is_array()) r.fail("each row of \"connections\" must be a list of input maps");
        std::vector<int> ins;
        for (const json& v : row)
            ins.push_back(r.toInt(v, "connections"));
        table.push_back(ins);
    }
    return table;
}

LayerPtr readSparseConv2d(const LayerReader& r) {
    r.allowOnly({"in", "out", "kernel", "stride", "padding", "bias", "connections"});
    const int cin = r.channelsIn();
    const int cout = r.integer("out", 0, true);
    const Window2d w = readWindow(r, false);
    const bool bias = r.boolean("bias", true);
    return std::make_unique<SparseConv2d>(cin, cout, w, readConnections(r), bias);
}
}  // namespace

LayerKind SparseConv2d::kind() {
    return {"SparseConv2d", "conv", &readSparseConv2d};
}

}  // namespace ll
