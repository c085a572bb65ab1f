#include "core/layers/concat.h"

#include <algorithm>
#include <cstring>

#include "core/layer_io.h"
#include "core/layers/concat_inputs.h"

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

// A module: its cost and field are its branches', which the analysis walks.
LayerCost Concat::cost(const std::vector<Shape>&, const Shape&) const {
    return {};
}

FieldRule Concat::fieldRule(const Shape&) const {
    return FieldRule::same();
}

void Concat::write(json& j) const {
    json branches = json::array();
    for (const Net& b : m_branches)
        branches.push_back({{"name", b.name()}, {"layers", layersToJson(b)}});
    j["branches"] = std::move(branches);
}

namespace {
// {"type": "Concat", "branches": [{"name": "b1", "layers": [...]}, [...layers...], ...]}: a module;
// {"type": "Concat", "inputs": ["a", "b", ...]}: a join of named inputs.
LayerPtr readConcat(const LayerReader& r) {
    if (!r.has("branches")) {
        r.allowOnly({});
        if (r.inputs().size() < 2)
            r.fail(
                "needs \"branches\" (a module of parallel branches) or two or more "
                "\"inputs\" to join");
        return std::make_unique<ConcatInputs>();
    }
    r.allowOnly({"branches"});
    const Shape& in = r.input();
    if (!r.raw("branches").is_array() || r.raw("branches").empty())
        r.fail("needs \"branches\": a list of branches, each a list of layers");
    std::vector<Net> branches;
    int index = 0;
    for (const json& bj : r.raw("branches")) {
        ++index;
        std::string name = strCat("b", index);
        const json* layers = &bj;
        if (bj.is_object()) {
            for (auto it = bj.begin(); it != bj.end(); ++it) {
                if (it.key() != "name" && it.key() != "layers" && it.key() != "comment")
                    r.fail(strCat("branch ", index, ": unknown key \"", it.key(),
                                  "\" (known: name, layers)"));
            }
            if (bj.contains("name")) {
                if (!bj["name"].is_string())
                    r.fail(strCat("branch ", index, ": \"name\" must be a string"));
                name = bj["name"].get<std::string>();
            }
            if (!bj.contains("layers")) r.fail(strCat("branch '", name, "' needs \"layers\""));
            layers = &bj["layers"];
        }
        if (!layers->is_array())
            r.fail(strCat("branch '", name,
                          "' must be a list of layers (an empty list passes the input through)"));
        for (const Net& b : branches) {
            if (b.name() == name) r.fail(strCat("two branches are named '", name, "'"));
        }
        Net branch(name, in.sample());
        addLayersFromJson(branch, *layers,
                          strCat(r.source(), ": layer '", r.name().empty() ? "Concat" : r.name(),
                                 "' branch '", name, "'"));
        branches.push_back(std::move(branch));
    }
    return std::make_unique<Concat>(std::move(branches));
}
}  // namespace

LayerKind Concat::kind() {
    return {"Concat", "concat", &readConcat};
}

}  // namespace ll
