#include "core/layers/concat.h"

#include <algorithm>
#include <cstring>

namespace ll {

Concat::Concat(std::vector<Net> branches) : m_branches(std::move(branches)) {
    LL_CHECK(!m_branches.empty(), "Concat needs at least one branch");
    m_dySlices.resize(m_branches.size());
}

std::string Concat::describe() const {
    return strCat(m_branches.size(), " branches");
}

Shape Concat::outputShape(const Shape& in) const {
    if (in.rank() < 2) shapeError(in, "expects input of layout (N, C, ...)");
    std::vector<int> out;
    std::size_t first = 0;
    for (std::size_t b = 0; b < m_branches.size(); ++b) {
        const Shape s = m_branches[b].outputShape(in);
        if (b == 0) {
            out = s.dims();
            continue;
        }
        bool agree = s.rank() == static_cast<int>(out.size());
        for (int d = 0; agree && d < s.rank(); ++d)
            agree = d == 1 || s[d] == out[static_cast<std::size_t>(d)];
        if (!agree) {
            shapeError(in,
                       strCat("branches are not aligned: '", m_branches[first].name(), "' gives ",
                              Shape(out).sample(), " but '", m_branches[b].name(), "' gives ",
                              s.sample(), "; branch outputs may differ only in channels"));
        }
        out[1] += s[1];
    }
    return Shape(out);
}

std::vector<Param*> Concat::params() {
    std::vector<Param*> out;
    for (Net& b : m_branches)
        for (Param* p : b.params())
            out.push_back(p);
    return out;
}

std::vector<NamedParam> Concat::namedParams() {
    std::vector<NamedParam> out;
    for (Net& b : m_branches)
        for (const NamedParam& p : b.namedParams())
            out.push_back({b.name() + "." + p.name, p.param});
    return out;
}

std::vector<Buffer> Concat::buffers() {
    std::vector<Buffer> out;
    for (Net& b : m_branches)
        for (const NamedBuffer& nb : b.namedBuffers())
            out.push_back({b.name() + "." + nb.name, nb.tensor});
    return out;
}

void Concat::resetParameters(Rng& rng) {
    for (Net& b : m_branches) {
        Rng r = rng.split();
        b.resetParameters(r);
    }
}

void Concat::freezeRandomness(bool frozen) {
    for (Net& b : m_branches)
        b.freezeRandomness(frozen);
}

const Tensor& Concat::branchOutput(int b, const Tensor& x) const {
    const Net& net = m_branches[static_cast<std::size_t>(b)];
    return net.size() == 0 ? x : net.output();
}

void Concat::forwardImpl(const Tensor& x, Tensor& y, Mode mode) {
    const int N = x.dim(0);
    const std::int64_t outPerSample = y.numel() / N;
    std::int64_t offset = 0;
    for (int b = 0; b < numBranches(); ++b) {
        Net& net = m_branches[static_cast<std::size_t>(b)];
        if (net.size() > 0) net.forward(x, mode);
        const Tensor& o = branchOutput(b, x);
        const std::int64_t per = o.numel() / N;
        for (int n = 0; n < N; ++n)
            std::memcpy(y.data() + n * outPerSample + offset, o.data() + n * per,
                        sizeof(float) * static_cast<std::size_t>(per));
        offset += per;
    }
}

void Concat::backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
    const int N = x.dim(0);
    const std::int64_t outPerSample = y.numel() / N;
    std::int64_t offset = 0;
    if (dx) dx->setZero();
    for (int b = 0; b < numBranches(); ++b) {
        Net& net = m_branches[static_cast<std::size_t>(b)];
        const Tensor& o = branchOutput(b, x);
        const std::int64_t per = o.numel() / N;
        Tensor& slice = m_dySlices[static_cast<std::size_t>(b)];
        slice.resize(o.shape());
        for (int n = 0; n < N; ++n)
            std::memcpy(slice.data() + n * per, dy.data() + n * outPerSample + offset,
                        sizeof(float) * static_cast<std::size_t>(per));
        offset += per;
        if (net.size() == 0) {
            if (dx) dx->vector() += slice.vector();
            continue;
        }
        net.backward(slice, dx != nullptr);
        if (dx) dx->vector() += net.inputGrad().vector();
    }
}

}  // namespace ll
