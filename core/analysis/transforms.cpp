#include "core/analysis/transforms.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "core/layers/batch_norm.h"
#include "core/layers/conv2d.h"
#include "core/layers/linear.h"
#include "core/model_file.h"

namespace ll {

namespace {

using nlohmann::json;

json modelDoc(const Net& net, const char* what) {
    if (net.modelJson().empty()) {
        throw UsageError(strCat(what, " needs a net built from a model file; '", net.name(),
                                "' was built in code"));
    }
    return json::parse(net.modelJson());
}

// Gives every entry of a layer list (and of its branches) the name its layer has in `net`, so the
// rebuilt net names its layers exactly as the original does whatever is removed or renamed.
void pinNames(json& list, const Net& net) {
    LL_CHECK(list.is_array() && static_cast<int>(list.size()) == net.size(),
             "model JSON and net disagree for '", net.name(), "'");
    for (int i = 0; i < net.size(); ++i) {
        json& entry = list[static_cast<std::size_t>(i)];
        const Layer& l = net.layer(i);
        entry["name"] = l.name();
        if (!l.isModule()) continue;
        json& branches = entry["branches"];
        for (int b = 0; b < l.numBranches(); ++b) {
            json& bj = branches[static_cast<std::size_t>(b)];
            if (!bj.is_object()) bj = json{{"layers", bj}};
            bj["name"] = l.branch(b).name();
            pinNames(bj["layers"], l.branch(b));
        }
    }
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

// Removes foldable BN entries from a (named) list, recording the pairs.
void removeBatchNorms(json& list, const std::string& prefix, std::vector<Fold>& folds) {
    json out = json::array();
    for (std::size_t i = 0; i < list.size(); ++i) {
        json& e = list[i];
        const std::string type = e["type"].get<std::string>();
        if (type == "Concat") {
            for (json& b : e["branches"])
                removeBatchNorms(b["layers"],
                                 prefix + e["name"].get<std::string>() + "." +
                                     b["name"].get<std::string>() + ".",
                                 folds);
        }
        if (isBatchNorm(type) && !out.empty() &&
            isFoldTarget(out.back()["type"].get<std::string>())) {
            out.back()["bias"] = true;
            folds.push_back({prefix + out.back()["name"].get<std::string>(),
                             prefix + e["name"].get<std::string>()});
            continue;
        }
        out.push_back(e);
    }
    list = out;
}

template <typename T>
T* findLayer(Net& net, const std::string& path) {
    // path "a.b.c": layer a, branch b, layer c ...
    const std::size_t dot = path.find('.');
    const int idx = net.indexOf(path.substr(0, dot));
    LL_CHECK(idx >= 0, "no layer '", path, "'");
    Layer& l = net.layer(idx);
    if (dot == std::string::npos) return dynamic_cast<T*>(&l);
    const std::size_t dot2 = path.find('.', dot + 1);
    const std::string branch = path.substr(dot + 1, dot2 - dot - 1);
    for (int b = 0; b < l.numBranches(); ++b)
        if (l.branch(b).name() == branch) return findLayer<T>(l.branch(b), path.substr(dot2 + 1));
    throw CheckError(strCat("no branch in '", path, "'"));
}

}  // namespace

Net cloneNet(Net& net) {
    modelDoc(net, "cloning");
    Net copy = buildNet(net.modelJson(), nullptr, net.name());
    copyState(net, copy);
    return copy;
}

Net foldBatchNorm(Net& net, std::vector<std::string>* folded) {
    json doc = modelDoc(net, "batch-norm folding");
    pinNames(doc["layers"], net);
    std::vector<Fold> folds;
    removeBatchNorms(doc["layers"], "", folds);
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

FoldCheck checkBatchNormFold(Net& net, const Dataset& data, const BatchOptions& options,
                             int samples, int batch) {
    FoldCheck c;
    Net folded = foldBatchNorm(net, &c.folded);
    if (c.folded.empty())
        throw UsageError(strCat("nothing to fold in '", net.name(),
                                "': no BatchNorm directly follows a Conv2d or Linear"));
    if (data.size() == 0) throw UsageError("batch-norm folding check: the data set is empty");
    c.layersBefore = net.size();
    c.layersAfter = folded.size();
    c.paramsBefore = net.numParams();
    c.paramsAfter = folded.numParams();
    c.samples = std::min(std::max(samples, 1), data.size());
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
    net.forward(x, Mode::Eval);
    folded.forward(x, Mode::Eval);
    int correctBefore = 0, correctAfter = 0;
    for (int start = 0; start < c.samples; start += batch) {
        const int n = std::min(batch, c.samples - start);
        makeBatch(data, order, start, n, x, y, bo);
        const auto t0 = Clock::now();
        const Tensor a = net.forward(x, Mode::Eval);
        const auto t1 = Clock::now();
        const Tensor& b = folded.forward(x, Mode::Eval);
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

std::vector<std::string> describe(const FoldCheck& c) {
    std::string pairs;
    for (const std::string& f : c.folded)
        pairs += (pairs.empty() ? "" : ", ") + f;
    char l[3][256];
    std::snprintf(l[0], sizeof l[0],
                  "Fewer layers: %d → %d top-level layers (%s folded), %lld → %lld parameters.",
                  c.layersBefore, c.layersAfter, pairs.c_str(),
                  static_cast<long long>(c.paramsBefore), static_cast<long long>(c.paramsAfter));
    std::snprintf(l[1], sizeof l[1],
                  "Same outputs: on %d test images the largest output difference is %.2g (outputs "
                  "up to %.3g); the same prediction for %d of %d; accuracy %.2f%% → %.2f%%.",
                  c.samples, c.maxAbsDifference, c.maxAbsOutput, c.samePredictions, c.samples,
                  100 * c.accuracyBefore, 100 * c.accuracyAfter);
    std::snprintf(l[2], sizeof l[2], "Forward time over those images: %.1f ms → %.1f ms.",
                  1000 * c.secondsBefore, 1000 * c.secondsAfter);
    return {l[0], l[1], l[2]};
}

Net fullyConvolutional(Net& net, const Shape& inputSample) {
    json doc = modelDoc(net, "FC→conv conversion");
    pinNames(doc["layers"], net);
    if (inputSample.rank() != 3)
        throw UsageError(strCat("FC→conv needs an image input (C, H, W), got ", inputSample));
    json& list = doc["layers"];
    json out = json::array();
    Shape in = net.inputSample().batched(1);
    bool flattened = false, firstLinear = true;
    int mapH = 0, mapW = 0;
    for (int i = 0; i < net.size(); ++i) {
        json e = list[static_cast<std::size_t>(i)];
        const Layer& l = net.layer(i);
        const std::string type = l.type();
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
        in = l.outputShape(in);
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

}  // namespace ll
