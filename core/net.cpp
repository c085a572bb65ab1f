#include "core/net.h"

#include <cctype>
#include <iomanip>
#include <map>
#include <sstream>

namespace ll {

namespace {
std::string namePrefix(const std::string& type) {
    static const std::map<std::string, std::string> prefixes = {
        {"Conv2d", "conv"},    {"SparseConv2d", "conv"}, {"Linear", "fc"},
        {"MaxPool2d", "pool"}, {"AvgPool2d", "pool"},    {"BatchNorm1d", "bn"},
        {"BatchNorm2d", "bn"}, {"ReLU", "relu"},         {"Sigmoid", "sigmoid"},
        {"Tanh", "tanh"},      {"Dropout", "dropout"},   {"Flatten", "flatten"},
        {"Concat", "concat"}};
    auto it = prefixes.find(type);
    if (it != prefixes.end()) return it->second;
    std::string s;
    for (char c : type)
        s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
}  // namespace

Net::Net(std::string name, Shape inputSample)
    : m_name(std::move(name)),
      m_inputSample(std::move(inputSample)),
      m_shapesOnly(buildingShapesOnly()) {}

Layer& Net::add(LayerPtr layer) {
    LL_CHECK(layer != nullptr, "Net::add(nullptr)");
    if (layer->name().empty()) {
        const std::string prefix = namePrefix(layer->type());
        int count = 1;
        for (const auto& l : m_layers) {
            if (namePrefix(l->type()) == prefix) ++count;
        }
        std::string candidate = prefix + std::to_string(count);
        while (indexOf(candidate) >= 0)
            candidate = prefix + std::to_string(++count);
        layer->setName(candidate);
    } else if (indexOf(layer->name()) >= 0) {
        throw ModelError(
            strCat("two layers are named '", layer->name(), "' in model '", m_name, "'"));
    }
    if (m_inputSample.rank() > 0) {
        // Validate the chain now so a bad model fails when it is built, not in the first step.
        Shape in = batchOfOne();
        for (const auto& l : m_layers)
            in = l->outputShape(in);
        layer->outputShape(in);
    }
    m_layers.push_back(std::move(layer));
    m_acts.emplace_back();
    m_grads.emplace_back();
    return *m_layers.back();
}

int Net::indexOf(const std::string& layerName) const {
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        if (m_layers[i]->name() == layerName) return static_cast<int>(i);
    }
    return -1;
}

Shape Net::batchOfOne() const {
    return m_inputSample.batched(1);
}

std::vector<Shape> Net::outputShapes() const {
    Shape s = batchOfOne();
    std::vector<Shape> out;
    for (const auto& l : m_layers) {
        s = l->outputShape(s);
        out.push_back(s);
    }
    return out;
}

Shape Net::outputShape(const Shape& in) const {
    Shape s = in;
    for (const auto& l : m_layers)
        s = l->outputShape(s);
    return s;
}

Shape Net::outputSample() const {
    auto shapes = outputShapes();
    return shapes.empty() ? batchOfOne() : shapes.back();
}

void Net::resetParameters(std::uint64_t seed) {
    Rng rng(seed);
    resetParameters(rng);
}

void Net::resetParameters(Rng& rng) {
    LL_CHECK(!m_shapesOnly, "model '", m_name, "' was built for its shapes only (no weights)");
    for (auto& l : m_layers) {
        Rng layerRng = rng.split();
        l->resetParameters(layerRng);
    }
}

const Tensor& Net::forward(const Tensor& x, Mode mode) {
    LL_CHECK(!m_shapesOnly, "model '", m_name, "' was built for its shapes only (no weights)");
    if (m_layers.empty()) throw ModelError(strCat("model '", m_name, "' has no layers"));
    if (x.rank() == 0 || x.dim(0) == 0) {
        throw ShapeError(strCat("model '", m_name, "': empty batch, input shape ", x.shape()));
    }
    m_input.resize(x.shape());
    m_input.vector() = x.vector();
    const Tensor* in = &m_input;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        m_layers[i]->forward(*in, m_acts[i], mode);
        in = &m_acts[i];
    }
    return *in;
}

void Net::backward(const Tensor& dOut, bool wantInputGrad) {
    backwardFrom(size() - 1, dOut, wantInputGrad);
}

void Net::backwardFrom(int last, const Tensor& dAct, bool wantInputGrad) {
    LL_CHECK(!m_layers.empty() && !m_acts.back().empty(), "backward before forward");
    LL_CHECK(last >= 0 && last < size(), "backwardFrom layer ", last, " of ", size());
    const Tensor* dy = &dAct;
    for (int i = last; i >= 0; --i) {
        const std::size_t u = static_cast<std::size_t>(i);
        const Tensor& x = i == 0 ? m_input : m_acts[u - 1];
        Tensor* dx = i == 0 ? (wantInputGrad ? &m_inputGrad : nullptr) : &m_grads[u - 1];
        m_layers[u]->backward(x, m_acts[u], *dy, dx);
        if (i > 0) dy = &m_grads[u - 1];
    }
    // m_grads[last] mirrors the incoming gradient so every activation has its gradient.
    Tensor& g = m_grads[static_cast<std::size_t>(last)];
    if (&g != &dAct) {
        g.resize(dAct.shape());
        g.vector() = dAct.vector();
    }
}

const Tensor& Net::output() const {
    LL_CHECK(!m_acts.empty(), "output() of an empty net");
    return m_acts.back();
}

std::vector<Param*> Net::params() {
    std::vector<Param*> out;
    for (auto& l : m_layers) {
        for (Param* p : l->params())
            out.push_back(p);
    }
    return out;
}

std::vector<NamedParam> Net::namedParams() {
    std::vector<NamedParam> out;
    for (auto& l : m_layers) {
        for (const NamedParam& p : l->namedParams())
            out.push_back({l->name() + "." + p.name, p.param});
    }
    return out;
}

std::vector<NamedBuffer> Net::namedBuffers() {
    std::vector<NamedBuffer> out;
    for (auto& l : m_layers) {
        for (const Buffer& b : l->buffers())
            out.push_back({l->name() + "." + b.name, b.tensor});
    }
    return out;
}

void Net::zeroGrad() {
    for (Param* p : params())
        p->grad.setZero();
}

std::int64_t Net::numParams() {
    std::int64_t n = 0;
    for (Param* p : params())
        n += p->numel();
    return n;
}

void Net::freezeRandomness(bool frozen) {
    for (auto& l : m_layers)
        l->freezeRandomness(frozen);
}

std::string Net::summary() {
    std::ostringstream os;
    const auto shapes = outputShapes();
    os << "model '" << m_name << "', input " << m_inputSample << "\n";
    for (int i = 0; i < size(); ++i) {
        Layer& l = layer(i);
        os << "  " << std::left << std::setw(10) << l.name() << std::setw(14) << l.type()
           << std::setw(34) << l.describe() << std::setw(18)
           << shapes[static_cast<std::size_t>(i)].sample().str() << std::right << std::setw(10)
           << l.numParams() << "\n";
    }
    os << "  total parameters: " << numParams() << "\n";
    return os.str();
}

}  // namespace ll
