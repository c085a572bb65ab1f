#include "core/net.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <map>
#include <sstream>

#include "core/layers/batch_norm.h"
#include "core/layers/conv2d.h"
#include "core/layers/registry.h"
#include "core/parallel.h"

namespace ll {

namespace {
using ProfileClock = std::chrono::steady_clock;
double secondsSince(ProfileClock::time_point t0) {
    return std::chrono::duration<double>(ProfileClock::now() - t0).count();
}
// times[i] += dt; the caller may have cleared the NodeTimes since setProfile.
void addTime(std::vector<double>& times, std::size_t i, double dt) {
    if (times.size() <= i) times.resize(i + 1, 0.0);
    times[i] += dt;
}
// Moves into `t` a buffer of `pool` of exactly `need` floats; leaves `t` as it is (empty, for the
// layer to allocate) when there is none. A buffer of another size is not reused: growing a vector
// writes zeros over the new part first, a pass over memory that made the ReLU6 layers of
// mobilenet-cifar's inference 1.7× slower (a buffer shrunk for one node grew again for another,
// every pass). Each size so keeps as many buffers as are live at once, all found by a pass that
// repeats the last one.
void takeBuffer(std::vector<Tensor>& pool, std::int64_t need, Tensor& t) {
    const auto it = std::find_if(pool.begin(), pool.end(),
                                 [need](const Tensor& b) { return b.numel() == need; });
    if (it == pool.end()) return;
    t = std::move(*it);
    pool.erase(it);
}

// Frees the buffers of `pool` whose size is none of `sizes` (those a pass asked for).
void dropUnasked(std::vector<Tensor>& pool, const std::vector<std::int64_t>& sizes) {
    auto unasked = [&sizes](const Tensor& b) {
        return std::find(sizes.begin(), sizes.end(), b.numel()) == sizes.end();
    };
    pool.erase(std::remove_if(pool.begin(), pool.end(), unasked), pool.end());
}
}  // namespace

Net::Net(std::string name, Shape inputSample)
    : m_name(std::move(name)),
      m_inputSample(std::move(inputSample)),
      m_shapesOnly(buildingShapesOnly()) {}

Layer& Net::add(LayerPtr layer, const std::vector<std::string>& inputs) {
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
    } else if (indexOf(layer->name()) >= 0 || layer->name() == kInputName) {
        throw ModelError(strCat(
            layer->name() == kInputName ? "the name '" : "two layers are named '", layer->name(),
            "'", layer->name() == kInputName ? " is reserved for the net's input" : "",
            " in model '", m_name, "'"));
    }
    std::vector<int> from;
    if (inputs.empty()) {
        from.push_back(size() - 1);
    } else {
        for (const std::string& in : inputs) {
            const int j = in == kInputName ? -1 : indexOf(in);
            if (j < 0 && in != kInputName)
                throw ModelError(strCat(layer->label(), " reads '", in,
                                        "', which is not a node before it (nodes are listed in "
                                        "order; '",
                                        kInputName, "' is the net's input)"));
            from.push_back(j);
        }
    }
    if (m_inputSample.rank() > 0) {
        // Validate the shapes now so a bad model fails when it is built, not in the first step.
        std::vector<Shape> in;
        for (int j : from)
            in.push_back(j < 0 ? batchOfOne() : m_sampleShapes[static_cast<std::size_t>(j)]);
        m_sampleShapes.push_back(layer->outputShapeMulti(in));
    }
    m_layers.push_back(std::move(layer));
    m_inputs.push_back(std::move(from));
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

std::vector<int> Net::consumersOf(int i) const {
    std::vector<int> out;
    for (int c = 0; c < size(); ++c)
        for (int j : m_inputs[static_cast<std::size_t>(c)])
            if (j == i) {
                out.push_back(c);
                break;
            }
    return out;
}

bool Net::isChain() const {
    for (int i = 0; i < size(); ++i) {
        const auto& in = m_inputs[static_cast<std::size_t>(i)];
        if (in.size() != 1 || in[0] != i - 1) return false;
    }
    return true;
}

void Net::checkSingleOutput() const {
    for (int i = 0; i + 1 < size(); ++i) {
        if (consumersOf(i).empty())
            throw ModelError(strCat(layer(i).label(),
                                    " feeds no other node and is not the last one: a model has "
                                    "one output, its last node"));
    }
}

const Tensor& Net::inputOf(int i, int k) const {
    const int j = m_inputs.at(static_cast<std::size_t>(i)).at(static_cast<std::size_t>(k));
    return j < 0 ? m_input : m_acts[static_cast<std::size_t>(j)];
}

Shape Net::batchOfOne() const {
    return m_inputSample.batched(1);
}

std::vector<Shape> Net::outputShapes() const {
    if (m_inputSample.rank() > 0) return m_sampleShapes;
    return {};
}

Shape Net::outputShape(const Shape& in) const {
    std::vector<Shape> shapes;
    for (int i = 0; i < size(); ++i) {
        std::vector<Shape> ins;
        for (int j : m_inputs[static_cast<std::size_t>(i)])
            ins.push_back(j < 0 ? in : shapes[static_cast<std::size_t>(j)]);
        shapes.push_back(m_layers[static_cast<std::size_t>(i)]->outputShapeMulti(ins));
    }
    return shapes.empty() ? in : shapes.back();
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
    // A pretrained net's weights and statistics are put back after the layers have drawn theirs
    // (and reseeded their randomness): the same random streams as a fresh net of that shape.
    std::vector<Tensor> kept;
    if (m_pretrained) {
        for (Param* p : params())
            kept.push_back(p->value);
        for (const NamedBuffer& b : namedBuffers())
            kept.push_back(*b.tensor);
    }
    for (auto& l : m_layers) {
        if (!l->takesSeed()) continue;
        Rng layerRng = rng.split();
        l->resetParameters(layerRng);
    }
    if (m_pretrained) {
        std::size_t k = 0;
        for (Param* p : params())
            p->value = std::move(kept[k++]);
        for (const NamedBuffer& b : namedBuffers())
            *b.tensor = std::move(kept[k++]);
    }
}

void Net::beginForward(const Tensor& x) {
    LL_CHECK(!m_shapesOnly, "model '", m_name, "' was built for its shapes only (no weights)");
    if (m_layers.empty()) throw ModelError(strCat("model '", m_name, "' has no layers"));
    if (x.rank() == 0 || x.dim(0) == 0) {
        throw ShapeError(strCat("model '", m_name, "': empty batch, input shape ", x.shape()));
    }
    m_input.resize(x.shape());
    m_input.vector() = x.vector();
}

void Net::setProfile(NodeTimes* times) {
    m_profile = times;
    if (!times) return;
    times->forward.resize(m_layers.size(), 0.0);
    times->backward.resize(m_layers.size(), 0.0);
}

void Net::forwardNode(std::size_t i, Mode mode, std::vector<const Tensor*>& xs) {
    const auto t0 = m_profile ? ProfileClock::now() : ProfileClock::time_point{};
    const auto& from = m_inputs[i];
    if (from.size() == 1) {
        m_layers[i]->forward(inputOf(static_cast<int>(i)), m_acts[i], mode);
    } else {
        xs.clear();
        for (std::size_t k = 0; k < from.size(); ++k)
            xs.push_back(&inputOf(static_cast<int>(i), static_cast<int>(k)));
        m_layers[i]->forwardMulti(xs, m_acts[i], mode);
    }
    if (m_profile) addTime(m_profile->forward, i, secondsSince(t0));
}

const Tensor& Net::forward(const Tensor& x, Mode mode) {
    beginForward(x);
    m_lean = false;
    m_inferPool = {};  // infer()'s spare buffers: training keeps its own
    for (std::size_t i = 0; i < m_layers.size(); ++i)
        forwardNode(i, mode, m_xs);
    return m_acts.back();
}

void Net::planInferFusions() {
    const std::size_t n = m_layers.size();
    InferScratch& w = m_inferScratch;
    // How many times each node is read, and by which node last (infer releases a node's buffer
    // after its last reader; a fusion needs a single reader).
    w.readers.assign(n, 0);
    w.reader.assign(n, -1);
    for (std::size_t i = 0; i < n; ++i)
        for (int j : m_inputs[i])
            if (j >= 0) {
                ++w.readers[static_cast<std::size_t>(j)];
                w.reader[static_cast<std::size_t>(j)] = static_cast<int>(i);
            }
    // Node j is the only reader of node i, reads nothing else, and is of type `type`.
    auto soleReader = [&](std::size_t i, const char* type) {
        if (w.kept[i] || w.readers[i] != 1) return -1;
        const int j = w.reader[i];
        const std::size_t u = static_cast<std::size_t>(j);
        return m_inputs[u].size() == 1 && std::strcmp(m_layers[u]->type(), type) == 0 ? j : -1;
    };
    w.plan.assign(n, InferFusion{});
    for (std::size_t i = 0; i < n; ++i) {
        if (std::strcmp(m_layers[i]->type(), "Conv2d") != 0) continue;  // not SparseConv2d
        w.plan[i].bn = soleReader(i, "BatchNorm2d");
        if (w.plan[i].bn >= 0)
            w.plan[i].relu = soleReader(static_cast<std::size_t>(w.plan[i].bn), "ReLU");
    }
}

const Tensor& Net::infer(const Tensor& x, const std::vector<int>& keep) {
    beginForward(x);
    const std::size_t n = m_layers.size();
    // Scratch kept between passes: a steady-state pass allocates nothing.
    std::vector<char>& kept = m_inferScratch.kept;
    kept.assign(n, 0);
    kept[n - 1] = 1;
    for (int k : keep) {
        LL_CHECK(k >= 0 && k < size(), "infer: node ", k, " of ", size());
        kept[static_cast<std::size_t>(k)] = 1;
    }
    // Released buffers, reused by later nodes of the same output size (takeBuffer). After an
    // infer() pass they start as all of that pass's buffers (no allocation, no page faults, no
    // higher peak); after a forward(), whose buffers are those of every activation, they are
    // dropped, so the peak is this pass's alone.
    std::vector<Tensor> pool = m_lean ? std::move(m_inferPool) : std::vector<Tensor>{};
    m_inferPool.clear();
    for (std::size_t i = 0; i < n; ++i) {
        if (m_lean && !m_acts[i].empty()) pool.push_back(std::move(m_acts[i]));
        m_acts[i] = Tensor();
    }
    m_lean = true;
    m_inferPeak = 0;
    // The sizes this pass asks for; spare buffers of other sizes (another batch size's) are
    // freed first, so that they add nothing to this pass's peak.
    m_passSizes.clear();
    for (std::size_t i = 0; i < n; ++i)
        m_passSizes.push_back(m_sampleShapes[i].numel() * x.dim(0));
    dropUnasked(pool, m_passSizes);
    planInferFusions();
    const std::vector<int>& lastReader = m_inferScratch.reader;
    const std::vector<InferFusion>& fusions = m_inferScratch.plan;
    std::vector<char>& fused = m_inferScratch.fused;  // computed inside an earlier node's fusion
    fused.assign(n, 0);
    std::vector<float>& scale = m_inferScratch.scale;
    std::vector<float>& shift = m_inferScratch.shift;
    std::vector<const Tensor*>& xs = m_xs;
    for (std::size_t i = 0; i < n; ++i) {
        if (fused[i]) continue;  // its inputs were never materialized: nothing to release
        const InferFusion& f = fusions[i];
        // The node whose activation this step writes: the last of a fusion.
        const std::size_t out = static_cast<std::size_t>(f.relu >= 0 ? f.relu
                                                         : f.bn >= 0 ? f.bn
                                                                     : static_cast<int>(i));
        takeBuffer(pool, m_passSizes[out], m_acts[out]);
        if (out == i) {
            forwardNode(i, Mode::Eval, xs);
        } else {
            const auto t0 = m_profile ? ProfileClock::now() : ProfileClock::time_point{};
            auto& bn = static_cast<BatchNorm&>(*m_layers[static_cast<std::size_t>(f.bn)]);
            bn.evalAffine(scale, shift);
            ConvEpilogue e;
            e.scale = scale.data();
            e.shift = shift.data();
            e.relu = f.relu >= 0;
            static_cast<Conv2d&>(*m_layers[i])
                .forwardFused(inputOf(static_cast<int>(i)), m_acts[out], e);
            fused[static_cast<std::size_t>(f.bn)] = 1;
            if (f.relu >= 0) fused[static_cast<std::size_t>(f.relu)] = 1;
            if (m_profile) addTime(m_profile->forward, i, secondsSince(t0));
        }
        std::int64_t live = 0;  // what is held now: activations and released buffers
        for (const Tensor& t : m_acts)
            live += static_cast<std::int64_t>(t.capacity());
        for (const Tensor& t : pool)
            live += static_cast<std::int64_t>(t.capacity());
        m_inferPeak = std::max(m_inferPeak, live * 4);
        for (int j : m_inputs[i]) {
            const std::size_t u = static_cast<std::size_t>(j);
            if (j < 0 || kept[u] || lastReader[u] != static_cast<int>(i) || m_acts[u].empty())
                continue;
            pool.push_back(std::move(m_acts[u]));
            m_acts[u] = Tensor();
        }
    }
    m_inferPool = std::move(pool);
    return m_acts.back();
}

void Net::backward(const Tensor& dOut, bool wantInputGrad) {
    backwardFrom(size() - 1, dOut, wantInputGrad);
}

void Net::backwardFrom(int last, const Tensor& dAct, bool wantInputGrad) {
    LL_CHECK(!m_layers.empty() && !m_acts.back().empty(), "backward before forward");
    LL_CHECK(!m_lean, "backward after infer(), which released the activations: run forward");
    LL_CHECK(last >= 0 && last < size(), "backwardFrom layer ", last, " of ", size());
    if (!m_retainGrads) {
        // Gradients left from an earlier pass (retained, or a pass a layer's error cut short)
        // join the spare buffers; those of sizes no node's gradient has now (another batch
        // size's) are freed first, as infer() does, so that they add nothing to this pass.
        for (Tensor& t : m_grads)
            if (&t != &dAct) releaseGrad(t);
        m_passSizes.clear();
        for (const Tensor& a : m_acts)
            m_passSizes.push_back(a.numel());
        dropUnasked(m_gradPool, m_passSizes);
    }
    // Node `last`'s gradient is the one given.
    Tensor& g = m_grads[static_cast<std::size_t>(last)];
    if (&g != &dAct) {
        if (!m_retainGrads) takeGrad(dAct.numel(), g);
        g.resize(dAct.shape());
        g.vector() = dAct.vector();
    }
    // Nodes are visited in reverse topological order, so a node's gradient is complete when it is
    // reached. Its first reader (the latest node) writes it; any other reader writes into a
    // scratch tensor that is then added (Caffe's split layer).
    m_reached.assign(m_layers.size(), 0);
    m_reached[static_cast<std::size_t>(last)] = 1;
    bool inputReached = false;
    std::vector<const Tensor*>& xs = m_xs;
    std::vector<Tensor*>& dxs = m_dxs;
    std::vector<Tensor*>& targets = m_targets;
    for (int i = last; i >= 0; --i) {
        const std::size_t u = static_cast<std::size_t>(i);
        if (!m_reached[u]) continue;  // not on a path to `last`
        const auto& from = m_inputs[u];
        xs.clear();
        dxs.clear();
        targets.clear();
        std::size_t scratch = 0;
        for (std::size_t k = 0; k < from.size(); ++k) {
            const int j = from[k];
            xs.push_back(&inputOf(i, static_cast<int>(k)));
            Tensor* target = nullptr;
            bool first = false;
            if (j < 0) {
                if (wantInputGrad) {
                    target = &m_inputGrad;
                    first = !inputReached;
                    inputReached = true;
                }
            } else {
                target = &m_grads[static_cast<std::size_t>(j)];
                first = !m_reached[static_cast<std::size_t>(j)];
                m_reached[static_cast<std::size_t>(j)] = 1;
                if (first && !m_retainGrads && target->empty())
                    takeGrad(xs.back()->numel(), *target);
            }
            if (target && !first) {
                if (m_split.size() <= scratch) m_split.resize(scratch + 1);
                Tensor& part = m_split[scratch++];
                if (!m_retainGrads && part.empty()) takeGrad(xs.back()->numel(), part);
                dxs.push_back(&part);
                targets.push_back(target);
            } else {
                dxs.push_back(target);
                targets.push_back(nullptr);
            }
        }
        const auto t0 = m_profile ? ProfileClock::now() : ProfileClock::time_point{};
        if (from.size() == 1)
            m_layers[u]->backward(*xs[0], m_acts[u], m_grads[u], dxs[0]);
        else
            m_layers[u]->backwardMulti(xs, m_acts[u], m_grads[u], dxs);
        for (std::size_t k = 0; k < from.size(); ++k)
            if (targets[k]) addParallel(dxs[k]->data(), targets[k]->numel(), targets[k]->data());
        if (!m_retainGrads) {  // node u's gradient and the parts summed in are read no more
            releaseGrad(m_grads[u]);
            for (std::size_t k = 0; k < scratch; ++k)
                releaseGrad(m_split[k]);
        }
        if (m_profile) addTime(m_profile->backward, u, secondsSince(t0));
    }
}

void Net::takeGrad(std::int64_t numel, Tensor& t) {
    takeBuffer(m_gradPool, numel, t);
}

void Net::releaseGrad(Tensor& t) {
    if (t.empty()) return;
    m_gradPool.push_back(std::move(t));
    t = Tensor();
}

std::int64_t Net::gradientBytes() const {
    std::size_t floats = m_inputGrad.capacity();
    for (const std::vector<Tensor>* ts : {&m_grads, &m_gradPool, &m_split})
        for (const Tensor& t : *ts)
            floats += t.capacity();
    return static_cast<std::int64_t>(floats * sizeof(float));
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
    if (m_paramCacheLayers != m_layers.size()) {  // layers were added since
        m_paramCache = params();
        m_paramCacheLayers = m_layers.size();
    }
    for (Param* p : m_paramCache)
        zeroParallel(p->grad.data(), p->grad.numel());
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
           << l.numParams();
        if (!isChain()) {
            std::string from;
            for (int j : inputsOf(i))
                from += (from.empty() ? "" : ", ") +
                        (j < 0 ? std::string(kInputName) : layer(j).name());
            os << "  ← " << from;
        }
        os << "\n";
    }
    os << "  total parameters: " << numParams() << "\n";
    return os.str();
}

}  // namespace ll
