#include "core/analysis/transforms.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "core/analysis/cost.h"
#include "core/layer_io.h"
#include "core/layers/batch_norm.h"
#include "core/layers/conv2d.h"
#include "core/layers/linear.h"
#include "core/model_file.h"

namespace ll {

namespace {

using nlohmann::json;

// The net's model document: its own file's top-level keys (description, defaults) with the
// nodes as the net writes them (names, inputs, groups and hyper-parameters), so nets built in
// code or imported transform too.
json modelDoc(const Net& net) {
    json doc = json::object();
    if (!net.modelJson().empty()) doc = json::parse(net.modelJson());
    doc["name"] = net.name();
    doc["input"] = net.inputSample().dims();
    doc["layers"] = layersToJson(net);
    return doc;
}

void copyState(Net& from, Net& to, const std::map<std::string, std::string>& skip = {}) {
    std::map<std::string, Param*> src;
    for (const NamedParam& p : from.namedParams())
        src[p.name] = p.param;
    for (const NamedParam& p : to.namedParams()) {
        if (skip.count(p.name)) continue;
        auto it = src.find(p.name);
        LL_CHECK(it != src.end(), "no parameter '", p.name, "' to copy");
        LL_CHECK(it->second->value.numel() == p.param->value.numel(), "size of '", p.name, "'");
        p.param->value.vector() = it->second->value.vector();
    }
    std::map<std::string, Tensor*> bufs;
    for (const NamedBuffer& b : from.namedBuffers())
        bufs[b.name] = b.tensor;
    for (const NamedBuffer& b : to.namedBuffers()) {
        auto it = bufs.find(b.name);
        if (it != bufs.end()) b.tensor->vector() = it->second->vector();
    }
}

bool isFoldTarget(const std::string& type) {
    return type == "Conv2d" || type == "Linear";
}

bool isBatchNorm(const std::string& type) {
    return type == "BatchNorm1d" || type == "BatchNorm2d";
}

struct Fold {
    std::string layer, bn;  // full paths, e.g. "conv1" / "bn1" or "m.b1.conv1" / "m.b1.bn1"
};

// Removes foldable BN entries from a list of nodes, recording the pairs. A BN folds into the
// Conv2d or Linear it reads when nothing else reads that node's output (folding would change
// what the other reader sees); such a BN stays, and the reason is recorded in `refused`.
void removeBatchNorms(json& list, const std::string& prefix, std::vector<Fold>& folds,
                      std::vector<std::string>& refused) {
    // Every node names its inputs, so removing one leaves the others reading the same tensors.
    std::vector<std::vector<std::string>> inputs;
    for (std::size_t i = 0; i < list.size(); ++i) {
        json& e = list[i];
        if (!e.contains("inputs"))
            e["inputs"] = json::array(
                {i == 0 ? std::string(Net::kInputName) : list[i - 1]["name"].get<std::string>()});
        inputs.push_back(e["inputs"].get<std::vector<std::string>>());
    }
    auto readers = [&](const std::string& name) {
        int n = 0;
        for (const auto& in : inputs)
            n += static_cast<int>(std::count(in.begin(), in.end(), name));
        return n;
    };
    std::map<std::string, std::string> renamed;  // removed BN → the node that now gives its output
    std::map<std::string, const json*> byName;
    json out = json::array();
    for (std::size_t i = 0; i < list.size(); ++i) {
        json& e = list[i];
        const std::string type = e["type"].get<std::string>();
        const std::string name = e["name"].get<std::string>();
        if (type == "Concat" && e.contains("branches")) {
            for (json& b : e["branches"])
                removeBatchNorms(b["layers"],
                                 prefix + name + "." + b["name"].get<std::string>() + ".", folds,
                                 refused);
        }
        if (isBatchNorm(type) && inputs[i].size() == 1) {
            const std::string& src = inputs[i][0];
            auto it = std::find_if(out.begin(), out.end(),
                                   [&](const json& o) { return o["name"] == src; });
            if (it != out.end() && isFoldTarget((*it)["type"].get<std::string>())) {
                if (readers(src) == 1) {
                    (*it)["bias"] = true;
                    folds.push_back({prefix + src, prefix + name});
                    renamed[name] = src;
                    continue;
                }
                refused.push_back(strCat(prefix + name, ": its input '", prefix + src,
                                         "' also feeds another node, so folding would change what "
                                         "that node sees"));
            }
        }
        json kept = e;
        for (json& in : kept["inputs"]) {
            auto r = renamed.find(in.get<std::string>());
            if (r != renamed.end()) in = r->second;
        }
        out.push_back(kept);
    }
    list = out;
}

template <typename T>
T* findLayer(Net& net, const std::string& path) {
    // path "a.b.c": layer a, branch b, layer c ... — unless the whole path names a node (node
    // names may hold dots: "s1b1.conv1").
    const int whole = net.indexOf(path);
    if (whole >= 0) return dynamic_cast<T*>(&net.layer(whole));
    const std::size_t dot = path.find('.');
    const int idx = net.indexOf(path.substr(0, dot));
    LL_CHECK(idx >= 0 && dot != std::string::npos, "no layer '", path, "'");
    Layer& l = net.layer(idx);
    const std::size_t dot2 = path.find('.', dot + 1);
    const std::string branch = path.substr(dot + 1, dot2 - dot - 1);
    for (int b = 0; b < l.numBranches(); ++b)
        if (l.branch(b).name() == branch) return findLayer<T>(l.branch(b), path.substr(dot2 + 1));
    throw CheckError(strCat("no branch in '", path, "'"));
}

}  // namespace

Net cloneNet(Net& net) {
    Net copy = buildNet(modelDoc(net).dump(), nullptr, net.name());
    copyState(net, copy);
    return copy;
}

Net foldBatchNorm(Net& net, std::vector<std::string>* folded, std::vector<std::string>* refused) {
    json doc = modelDoc(net);
    std::vector<Fold> folds;
    std::vector<std::string> notFolded;
    removeBatchNorms(doc["layers"], "", folds, notFolded);
    if (refused) *refused = notFolded;
    Net out = buildNet(doc.dump(), nullptr, net.name() + " (batch norm folded)");
    std::map<std::string, std::string> skip;
    for (const Fold& f : folds) {
        skip[f.layer + ".weight"] = f.bn;
        skip[f.layer + ".bias"] = f.bn;
    }
    copyState(net, out, skip);
    for (const Fold& f : folds) {
        auto* bn = findLayer<BatchNorm>(net, f.bn);
        LL_CHECK(bn, "'", f.bn, "' is not a batch norm");
        Param* w = nullptr;
        Param* b = nullptr;
        const Param* oldB = nullptr;
        if (auto* c = findLayer<Conv2d>(out, f.layer)) {
            w = &c->weight();
            b = &c->bias();
            auto* oc = findLayer<Conv2d>(net, f.layer);
            if (oc->hasBias()) oldB = &oc->bias();
            w->value.vector() = oc->weight().value.vector();
        } else if (auto* li = findLayer<Linear>(out, f.layer)) {
            w = &li->weight();
            b = &li->bias();
            auto* ol = findLayer<Linear>(net, f.layer);
            if (ol->hasBias()) oldB = &ol->bias();
            w->value.vector() = ol->weight().value.vector();
        }
        LL_CHECK(w && b, "cannot fold into '", f.layer, "'");
        const int C = bn->channels();
        const std::int64_t per = w->value.numel() / C;
        for (int c = 0; c < C; ++c) {
            const double scale = bn->gamma().value[c] /
                                 std::sqrt(static_cast<double>(bn->runningVar()[c]) + bn->eps());
            for (std::int64_t k = 0; k < per; ++k)
                w->value[c * per + k] = static_cast<float>(w->value[c * per + k] * scale);
            const double b0 = oldB ? oldB->value[c] : 0.0;
            b->value[c] =
                static_cast<float>((b0 - bn->runningMean()[c]) * scale + bn->beta().value[c]);
        }
        if (folded) folded->push_back(f.layer + "+" + f.bn);
    }
    return out;
}

OutputComparison compareOutputs(Net& before, Net& after, const Dataset& data,
                                const BatchOptions& options, int samples, int batch) {
    if (data.size() == 0) throw UsageError("output comparison: the data set is empty");
    OutputComparison c;
    c.samples = std::min(std::max(samples, 1), data.size());
    batch = std::max(batch, 1);
    std::vector<int> order(static_cast<std::size_t>(c.samples));
    for (int i = 0; i < c.samples; ++i)
        order[static_cast<std::size_t>(i)] = i;
    BatchOptions bo = options;
    bo.augment = false;
    bo.signedLabels = false;
    using Clock = std::chrono::steady_clock;
    auto predict = [](const float* row, int k) {
        return k == 1 ? (row[0] >= 0 ? 1 : 0)
                      : static_cast<int>(std::max_element(row, row + k) - row);
    };
    Tensor x, y;
    // Untimed first pass: both nets allocate their buffers.
    makeBatch(data, order, 0, std::min(batch, c.samples), x, y, bo);
    before.forward(x, Mode::Eval);
    after.forward(x, Mode::Eval);
    int correctBefore = 0, correctAfter = 0;
    for (int start = 0; start < c.samples; start += batch) {
        const int n = std::min(batch, c.samples - start);
        makeBatch(data, order, start, n, x, y, bo);
        const auto t0 = Clock::now();
        const Tensor a = before.forward(x, Mode::Eval);
        const auto t1 = Clock::now();
        const Tensor& b = after.forward(x, Mode::Eval);
        const auto t2 = Clock::now();
        c.secondsBefore += std::chrono::duration<double>(t1 - t0).count();
        c.secondsAfter += std::chrono::duration<double>(t2 - t1).count();
        const int k = a.dim(1);
        for (int i = 0; i < n; ++i) {
            const float* ra = a.data() + static_cast<std::int64_t>(i) * k;
            const float* rb = b.data() + static_cast<std::int64_t>(i) * k;
            for (int j = 0; j < k; ++j) {
                c.maxAbsDifference =
                    std::max(c.maxAbsDifference, std::fabs(static_cast<double>(ra[j]) - rb[j]));
                c.maxAbsOutput = std::max(c.maxAbsOutput, std::fabs(static_cast<double>(ra[j])));
            }
            const int pa = predict(ra, k), pb = predict(rb, k);
            c.samePredictions += pa == pb;
            correctBefore += pa == static_cast<int>(y[i]);
            correctAfter += pb == static_cast<int>(y[i]);
        }
    }
    c.accuracyBefore = static_cast<double>(correctBefore) / c.samples;
    c.accuracyAfter = static_cast<double>(correctAfter) / c.samples;
    return c;
}

FoldCheck checkBatchNormFold(Net& net, const Dataset& data, const BatchOptions& options,
                             int samples, int batch) {
    FoldCheck c;
    Net folded = foldBatchNorm(net, &c.folded, &c.refused);
    if (c.folded.empty())
        throw UsageError(
            strCat("nothing to fold in '", net.name(),
                   "': no BatchNorm directly follows a Conv2d or Linear",
                   c.refused.empty() ? "" : " that feeds it alone (" + c.refused[0] + ")"));
    if (data.size() == 0) throw UsageError("batch-norm folding check: the data set is empty");
    c.layersBefore = net.size();
    c.layersAfter = folded.size();
    c.paramsBefore = net.numParams();
    c.paramsAfter = folded.numParams();
    static_cast<OutputComparison&>(c) = compareOutputs(net, folded, data, options, samples, batch);
    return c;
}

namespace {

// A transform's sentences: `first` (what it saves), the comparison's two, then `prefix` + each
// refusal.
std::vector<std::string> describeCheck(const std::string& first, const OutputComparison& s,
                                       const std::vector<std::string>& refused,
                                       const char* prefix) {
    char l[2][256];
    std::snprintf(l[0], sizeof l[0],
                  "Same outputs: on %d test images the largest output difference is %.2g (outputs "
                  "up to %.3g); the same prediction for %d of %d; accuracy %.2f%% → %.2f%%.",
                  s.samples, s.maxAbsDifference, s.maxAbsOutput, s.samePredictions, s.samples,
                  100 * s.accuracyBefore, 100 * s.accuracyAfter);
    std::snprintf(l[1], sizeof l[1], "Forward time over those images: %.1f ms → %.1f ms.",
                  1000 * s.secondsBefore, 1000 * s.secondsAfter);
    std::vector<std::string> lines = {first, l[0], l[1]};
    for (const std::string& r : refused)
        lines.push_back(prefix + r + ".");
    return lines;
}

std::string joined(const std::vector<std::string>& items) {
    std::string s;
    for (const std::string& i : items)
        s += (s.empty() ? "" : ", ") + i;
    return s;
}

}  // namespace

std::vector<std::string> describe(const FoldCheck& c) {
    char first[256];
    std::snprintf(first, sizeof first,
                  "Fewer layers: %d → %d top-level layers (%s folded), %lld → %lld parameters.",
                  c.layersBefore, c.layersAfter, joined(c.folded).c_str(),
                  static_cast<long long>(c.paramsBefore), static_cast<long long>(c.paramsAfter));
    return describeCheck(first, c, c.refused, "Not folded: ");
}

Net fullyConvolutional(Net& net, const Shape& inputSample) {
    json doc = modelDoc(net);
    if (inputSample.rank() != 3)
        throw UsageError(strCat("FC→conv needs an image input (C, H, W), got ", inputSample));
    json& list = doc["layers"];
    json out = json::array();
    const std::vector<Shape> shapes = net.outputShapes();
    bool flattened = false, firstLinear = true;
    int mapH = 0, mapW = 0;
    for (int i = 0; i < net.size(); ++i) {
        json e = list[static_cast<std::size_t>(i)];
        const Layer& l = net.layer(i);
        const std::string type = l.type();
        const int from = net.inputsOf(i)[0];
        const Shape in =
            from < 0 ? net.inputSample().batched(1) : shapes[static_cast<std::size_t>(from)];
        // Modules before the classifier stay as they are.
        if (l.isModule() && flattened)
            throw ModelError("FC→conv: a module after Flatten cannot be converted");
        if (type == "Flatten") {
            if (in.rank() != 4) throw ModelError("FC→conv: Flatten of an input that is not a map");
            flattened = true;
            mapH = in[2];
            mapW = in[3];
        } else if (flattened && type == "Linear") {
            json c = {{"type", "Conv2d"}, {"name", l.name()}, {"out", e["out"]}};
            c["kernel"] = firstLinear ? json::array({mapH, mapW}) : json(1);
            if (e.contains("bias")) c["bias"] = e["bias"];
            firstLinear = false;
            out.push_back(c);
        } else if (flattened && type == "BatchNorm1d") {
            e["type"] = "BatchNorm2d";
            out.push_back(e);
        } else {
            out.push_back(e);
        }
    }
    if (!flattened || firstLinear)
        throw ModelError(strCat("FC→conv: model '", net.name(),
                                "' has no Flatten followed by a Linear layer to convert"));
    doc["layers"] = out;
    doc["input"] = inputSample.dims();
    Net conv = buildNet(doc.dump(), nullptr, net.name() + " (fully convolutional)");
    copyState(net, conv);  // Linear (out, C·H·W) and Conv2d (out, C, H, W) share their layout
    return conv;
}

bool isMonotonicActivation(const std::string& type, double leakySlope) {
    if (type == "LeakyReLU") return leakySlope >= 0;
    return type == "ReLU" || type == "Sigmoid" || type == "Tanh" || type == "ReLU6" ||
           type == "HardSigmoid" || type == "Identity";
}

bool isElementwiseActivation(const std::string& type) {
    return isMonotonicActivation(type, 0) || type == "LeakyReLU" || type == "GELU" ||
           type == "SiLU" || type == "HardSwish";
}

namespace {

// Gives every node of a list its inputs explicitly (a sequence may leave them out), so nodes can
// be reordered and re-wired by name.
void explicitInputs(json& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
        json& e = list[i];
        if (!e.contains("inputs"))
            e["inputs"] = json::array(
                {i == 0 ? std::string(Net::kInputName) : list[i - 1]["name"].get<std::string>()});
    }
}

const char* whyNotMonotonic(const std::string& type) {
    if (type == "GELU") return "GELU dips below 0 and rises again (GELU(−3) > GELU(−0.75))";
    if (type == "SiLU") return "SiLU dips below 0 and rises again (SiLU(−4) > SiLU(−1.28))";
    if (type == "HardSwish") return "HardSwish dips below 0 and rises again";
    return "a negative slope makes it decreasing for x < 0";
}

// Swaps (activation → MaxPool2d) pairs of one list of nodes (and of the branches of its
// modules), recording what moved and what did not.
void swapPairs(json& list, const std::string& prefix, std::vector<std::string>& swapped,
               std::vector<std::string>& refused) {
    explicitInputs(list);
    for (json& e : list)
        if (e["type"] == "Concat" && e.contains("branches"))
            for (json& b : e["branches"])
                swapPairs(b["layers"],
                          prefix + e["name"].get<std::string>() + "." +
                              b["name"].get<std::string>() + ".",
                          swapped, refused);
    auto readers = [&](const std::string& name) {
        int n = 0;
        for (const json& e : list)
            for (const json& in : e["inputs"])
                n += in == name;
        return n;
    };
    auto index = [&](const std::string& name) {
        for (std::size_t i = 0; i < list.size(); ++i)
            if (list[i]["name"] == name) return static_cast<int>(i);
        return -1;
    };
    std::map<std::string, std::string> poolOf;  // activation → the pool it moves after
    for (const json& p : list) {
        if (p["type"] != "MaxPool2d" || p["inputs"].size() != 1) continue;
        const int a = index(p["inputs"][0].get<std::string>());
        if (a < 0) continue;
        const json& act = list[static_cast<std::size_t>(a)];
        const std::string type = act["type"].get<std::string>();
        if (!isElementwiseActivation(type) || act["inputs"].size() != 1) continue;
        const std::string name = act["name"].get<std::string>();
        const std::string pool = p["name"].get<std::string>();
        const double slope = act.value("slope", 0.01);
        if (!isMonotonicActivation(type, slope)) {
            refused.push_back(strCat(prefix, name, " (", type, ") before ", prefix, pool,
                                     ": not monotonic, so it does not commute with max-pooling — ",
                                     whyNotMonotonic(type), "; left in place"));
        } else if (readers(name) != 1) {
            refused.push_back(strCat(prefix, name, " before ", prefix, pool,
                                     ": its output also feeds another node, which would then see "
                                     "it pooled; left in place"));
        } else {
            poolOf[name] = pool;
        }
    }
    if (poolOf.empty()) return;
    std::map<std::string, std::string> actOf;  // pool → the activation now after it
    for (const auto& [act, pool] : poolOf)
        actOf[pool] = act;
    json out = json::array();
    for (const json& e : list) {
        const std::string name = e["name"].get<std::string>();
        if (poolOf.count(name)) continue;  // moved to after its pool
        json kept = e;
        for (json& in : kept["inputs"]) {
            auto r = actOf.find(in.get<std::string>());
            if (r != actOf.end()) in = r->second;  // read the activation now after the pool
        }
        auto a = actOf.find(name);
        if (a == actOf.end()) {
            out.push_back(kept);
            continue;
        }
        // The pool reads what the activation read; the activation reads the pool.
        json act = list[static_cast<std::size_t>(index(a->second))];
        kept["inputs"] = act["inputs"];
        act["inputs"] = json::array({name});
        out.push_back(kept);
        out.push_back(act);
        swapped.push_back(strCat(prefix, a->second, " after ", prefix, name));
    }
    list = out;
}

}  // namespace

Net activationsAfterMaxPool(Net& net, std::vector<std::string>* swapped,
                            std::vector<std::string>* refused) {
    json doc = modelDoc(net);
    std::vector<std::string> moved, left;
    swapPairs(doc["layers"], "", moved, left);
    if (swapped) *swapped = moved;
    if (refused) *refused = left;
    Net out = buildNet(doc.dump(), nullptr, net.name() + " (activations after max-pooling)");
    copyState(net, out);  // every layer keeps its name, so every weight finds its place
    return out;
}

SwapCheck checkActivationSwap(Net& net, const Dataset& data, const BatchOptions& options,
                              int samples, int batch) {
    SwapCheck c;
    Net swapped = activationsAfterMaxPool(net, &c.swapped, &c.refused);
    if (c.swapped.empty())
        throw UsageError(strCat("nothing to swap in '", net.name(),
                                "': no monotonic activation directly feeds a MaxPool2d",
                                c.refused.empty() ? "" : " (" + c.refused[0] + ")"));
    if (data.size() == 0) throw UsageError("activation swap check: the data set is empty");
    c.activationsBefore = computeCosts(net).totals.activations;
    c.activationsAfter = computeCosts(swapped).totals.activations;
    c.same = compareOutputs(net, swapped, data, options, samples, batch);
    return c;
}

std::vector<std::string> describe(const SwapCheck& c) {
    char first[512];
    std::snprintf(
        first, sizeof first,
        "Fewer activation evaluations: %lld → %lld per image (%.2f× fewer; %s).",
        static_cast<long long>(c.activationsBefore), static_cast<long long>(c.activationsAfter),
        c.activationsAfter > 0 ? static_cast<double>(c.activationsBefore) / c.activationsAfter
                               : 0.0,
        joined(c.swapped).c_str());
    return describeCheck(first, c.same, c.refused, "Not moved: ");
}

}  // namespace ll
