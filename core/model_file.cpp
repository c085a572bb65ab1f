#include "core/model_file.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <new>
#include <sstream>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/data/size_check.h"
#include "core/layers/avg_pool2d.h"
#include "core/layers/batch_norm.h"
#include "core/layers/concat.h"
#include "core/layers/conv2d.h"
#include "core/layers/dropout.h"
#include "core/layers/flatten.h"
#include "core/layers/linear.h"
#include "core/layers/max_pool2d.h"
#include "core/layers/relu.h"
#include "core/layers/sigmoid.h"
#include "core/layers/sparse_conv2d.h"
#include "core/layers/tanh.h"

namespace ll {

// Generated at build time from resources/models/*.json (cmake/EmbedPresets.cmake).
extern const std::map<std::string, std::string>& embeddedPresets();

namespace {

using nlohmann::json;
constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();

class LayerReader {
public:
    LayerReader(const json& j, int index, const std::string& source)
        : m_j(j), m_index(index), m_source(source) {
        if (!j.is_object()) fail("must be an object like {\"type\": \"Conv2d\", ...}");
        if (!j.contains("type") || !j["type"].is_string()) fail("needs a \"type\" string");
        m_type = j["type"].get<std::string>();
        if (j.contains("name")) {
            if (!j["name"].is_string()) fail("\"name\" must be a string");
            m_name = j["name"].get<std::string>();
        }
    }

    [[noreturn]] void fail(const std::string& what) const {
        std::string who = strCat(m_source, ": layer ", m_index);
        if (!m_name.empty()) who += " '" + m_name + "'";
        if (!m_type.empty()) who += " (" + m_type + ")";
        throw ModelError(who + ": " + what);
    }

    const std::string& type() const { return m_type; }
    const std::string& name() const { return m_name; }
    bool has(const char* key) const { return m_j.contains(key); }

    int integer(const char* key, int fallback, bool required = false) const {
        if (!m_j.contains(key)) {
            if (required) fail(strCat("needs \"", key, "\""));
            return fallback;
        }
        return toInt(m_j[key], key);
    }

    // A JSON integer that fits an int (a file may say 1e18 or -5000000000).
    int toInt(const json& v, const char* key) const {
        if (!v.is_number_integer()) fail(strCat("\"", key, "\" must be an integer"));
        if (v.is_number_unsigned() ? v.get<std::uint64_t>() > kMaxInt
                                   : std::llabs(v.get<std::int64_t>()) > kMaxInt)
            fail(strCat("\"", key, "\": ", v.dump(), " is out of range"));
        return v.get<int>();
    }

    double number(const char* key, double fallback) const {
        if (!m_j.contains(key)) return fallback;
        if (!m_j[key].is_number()) fail(strCat("\"", key, "\" must be a number"));
        const double d = m_j[key].get<double>();
        // Layers keep floats: a larger value would be undefined behaviour to convert.
        if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max())
            fail(strCat("\"", key, "\": ", m_j[key].dump(), " is out of range"));
        return d;
    }

    bool boolean(const char* key, bool fallback) const {
        if (!m_j.contains(key)) return fallback;
        if (!m_j[key].is_boolean()) fail(strCat("\"", key, "\" must be true or false"));
        return m_j[key].get<bool>();
    }

    // An int or [h, w] pair.
    std::pair<int, int> pair(const char* key, std::pair<int, int> fallback) const {
        if (!m_j.contains(key)) return fallback;
        const json& v = m_j[key];
        if (v.is_number_integer()) return {toInt(v, key), toInt(v, key)};
        if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
            return {toInt(v[0], key), toInt(v[1], key)};
        }
        fail(strCat("\"", key, "\" must be an integer or a pair [h, w]"));
    }

    const json& raw(const char* key) const { return m_j[key]; }

    void allowOnly(std::initializer_list<const char*> keys) const {
        for (auto it = m_j.begin(); it != m_j.end(); ++it) {
            if (it.key() == "type" || it.key() == "name" || it.key() == "comment") continue;
            if (std::none_of(keys.begin(), keys.end(),
                             [&](const char* k) { return it.key() == k; })) {
                std::string known;
                for (const char* k : keys)
                    known += strCat(known.empty() ? "" : ", ", k);
                fail(strCat("unknown key \"", it.key(), "\"",
                            known.empty() ? "" : " (known: " + known + ")"));
            }
        }
    }

private:
    const json& m_j;
    int m_index;
    std::string m_source;
    std::string m_type, m_name;
};

Window2d readWindow(const LayerReader& r, bool pool) {
    Window2d w;
    if (!r.has("kernel")) r.fail("needs \"kernel\"");
    std::tie(w.kh, w.kw) = r.pair("kernel", {1, 1});
    // PyTorch's defaults: convolutions stride 1, pooling stride = kernel.
    std::tie(w.sh, w.sw) = r.pair("stride", pool ? std::pair{w.kh, w.kw} : std::pair{1, 1});
    if (r.has("padding") && r.raw("padding").is_string()) {
        if (r.raw("padding").get<std::string>() != "same")
            r.fail("\"padding\" must be an integer, [h, w] or \"same\"");
        if (w.sh != 1 || w.sw != 1 || w.kh % 2 == 0 || w.kw % 2 == 0) {
            r.fail("\"same\" padding needs stride 1 and an odd kernel");
        }
        w.ph = w.kh / 2;
        w.pw = w.kw / 2;
    } else {
        std::tie(w.ph, w.pw) = r.pair("padding", {0, 0});
    }
    return w;
}

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
        for (const json& v : row) {
            ins.push_back(r.toInt(v, "connections"));
        }
        table.push_back(ins);
    }
    return table;
}

void addLayers(Net& net, const json& list, const std::string& source);

// {"type": "Concat", "branches": [{"name": "b1", "layers": [...]}, [...layers...], ...]}
LayerPtr makeConcat(const LayerReader& r, const Shape& in, const std::string& source) {
    r.allowOnly({"branches"});
    if (!r.has("branches") || !r.raw("branches").is_array() || r.raw("branches").empty())
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
        addLayers(branch, *layers,
                  strCat(source, ": layer '", r.name().empty() ? "Concat" : r.name(), "' branch '",
                         name, "'"));
        branches.push_back(std::move(branch));
    }
    return std::make_unique<Concat>(std::move(branches));
}

LayerPtr makeLayer(const LayerReader& r, const Shape& in, const std::string& source) {
    const std::string& t = r.type();
    if (t == "Concat") return makeConcat(r, in, source);
    auto channelsIn = [&](const char* what) {
        if (in.rank() != 4)
            r.fail(strCat(what, " needs an input (C, H, W); the previous output is ", in.sample()));
        const int cin = r.integer("in", in[1]);
        if (cin != in[1])
            r.fail(strCat("\"in\": ", cin, " but the previous output has ", in[1],
                          " channels, shape ", in.sample()));
        return cin;
    };
    if (t == "Conv2d" || t == "SparseConv2d") {
        if (t == "Conv2d")
            r.allowOnly({"in", "out", "kernel", "stride", "padding", "bias"});
        else
            r.allowOnly({"in", "out", "kernel", "stride", "padding", "bias", "connections"});
        const int cin = channelsIn(t.c_str());
        const int cout = r.integer("out", 0, true);
        const Window2d w = readWindow(r, false);
        const bool bias = r.boolean("bias", true);
        if (t == "Conv2d") return std::make_unique<Conv2d>(cin, cout, w, bias);
        return std::make_unique<SparseConv2d>(cin, cout, w, readConnections(r), bias);
    }
    if (t == "Linear") {
        r.allowOnly({"in", "out", "bias"});
        if (in.rank() != 2) {
            r.fail(strCat("needs a flat input (features); the previous output is ", in.sample(),
                          " — add {\"type\": \"Flatten\"} before it"));
        }
        const int nin = r.integer("in", in[1]);
        if (nin != in[1])
            r.fail(strCat("\"in\": ", nin, " but the previous output has ", in[1], " features"));
        return std::make_unique<Linear>(nin, r.integer("out", 0, true), r.boolean("bias", true));
    }
    if (t == "MaxPool2d" || t == "AvgPool2d") {
        r.allowOnly({"kernel", "stride", "padding"});
        const Window2d w = readWindow(r, true);
        if (t == "MaxPool2d") return std::make_unique<MaxPool2d>(w);
        return std::make_unique<AvgPool2d>(w);
    }
    if (t == "BatchNorm2d") {
        r.allowOnly({"in", "eps", "momentum"});
        const int c = channelsIn("BatchNorm2d");
        return std::make_unique<BatchNorm2d>(c, static_cast<float>(r.number("eps", 1e-5)),
                                             static_cast<float>(r.number("momentum", 0.1)));
    }
    if (t == "BatchNorm1d") {
        r.allowOnly({"in", "eps", "momentum"});
        if (in.rank() != 2 && in.rank() != 3)
            r.fail(strCat("needs an input (C) or (C, L); the previous output is ", in.sample()));
        const int c = r.integer("in", in[1]);
        if (c != in[1])
            r.fail(strCat("\"in\": ", c, " but the previous output has ", in[1], " channels"));
        return std::make_unique<BatchNorm1d>(c, static_cast<float>(r.number("eps", 1e-5)),
                                             static_cast<float>(r.number("momentum", 0.1)));
    }
    if (t == "ReLU") {
        r.allowOnly({});
        return std::make_unique<ReLU>();
    }
    if (t == "Sigmoid") {
        r.allowOnly({});
        return std::make_unique<Sigmoid>();
    }
    if (t == "Tanh") {
        r.allowOnly({});
        return std::make_unique<Tanh>();
    }
    if (t == "Flatten") {
        r.allowOnly({});
        return std::make_unique<Flatten>();
    }
    if (t == "Dropout") {
        r.allowOnly({"p"});
        return std::make_unique<Dropout>(static_cast<float>(r.number("p", 0.5)));
    }
    r.fail(
        "unknown layer type (known: Conv2d, SparseConv2d, Linear, MaxPool2d, AvgPool2d, "
        "BatchNorm1d, BatchNorm2d, ReLU, Sigmoid, Tanh, Dropout, Flatten, Concat)");
}

template <typename T>
T getOr(const json& obj, const char* key, T fallback, const std::string& source) {
    if (!obj.contains(key)) return fallback;
    const json& v = obj[key];
    auto wrong = [&](const char* what) {
        return ModelError(strCat(source, ": \"", key, "\" ", what, " (got ", v.dump(), ")"));
    };
    // Numbers are range-checked before any conversion: casting 1e300 to int or float is
    // undefined behaviour.
    if constexpr (std::is_same_v<T, int>) {
        if (!v.is_number_integer()) throw wrong("must be an integer");
        if (v.is_number_unsigned() ? v.get<std::uint64_t>() > kMaxInt
                                   : std::llabs(v.get<std::int64_t>()) > kMaxInt)
            throw wrong("is out of range");
        return v.get<int>();
    } else if constexpr (std::is_same_v<T, float>) {
        if (!v.is_number()) throw wrong("must be a number");
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max())
            throw wrong("is out of range");
        return static_cast<float>(d);
    } else if constexpr (std::is_same_v<T, std::vector<int>>) {
        if (!v.is_array()) throw wrong("must be a list of integers");
        std::vector<int> out;
        for (const json& e : v) {
            if (!e.is_number_integer() ||
                (e.is_number_unsigned() ? e.get<std::uint64_t>() > kMaxInt
                                        : std::llabs(e.get<std::int64_t>()) > kMaxInt))
                throw wrong("must be a list of integers");
            out.push_back(e.get<int>());
        }
        return out;
    } else {
        try {
            return v.get<T>();
        } catch (const json::exception&) {
            throw wrong("has the wrong type");
        }
    }
}

void addLayers(Net& net, const json& list, const std::string& source) {
    Shape shape = net.inputSample().batched(1);
    int index = 0;
    for (const json& lj : list) {
        LayerReader r(lj, index, source);
        LayerPtr layer;
        try {
            layer = makeLayer(r, shape, source);
            if (!r.name().empty()) layer->setName(r.name());
            Layer& added = net.add(std::move(layer));
            shape = added.outputShape(shape);
        } catch (const ModelError& e) {
            const std::string msg = e.what();
            if (msg.rfind(source, 0) == 0) throw;
            r.fail(msg);
        } catch (const ShapeError& e) {
            r.fail(e.what());
        }
        ++index;
    }
}

}  // namespace

namespace {

json parseModelDoc(const std::string& jsonText, const std::string& source) {
    json doc;
    try {
        doc = json::parse(jsonText);
    } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999
        throw ModelError(strCat(source, ": not valid JSON: ", e.what()));
    }
    if (!doc.is_object()) throw ModelError(strCat(source, ": the model must be a JSON object"));
    return doc;
}

void fillSpec(const json& doc, const std::string& jsonText, const std::string& source,
              ModelSpec& spec) {
    spec.name = getOr<std::string>(doc, "name", "model", source);
    spec.description = getOr<std::string>(doc, "description", "", source);
    spec.source = source;
    spec.json = jsonText;
    ModelDefaults& d = spec.defaults;
    d.dataset = getOr<std::string>(doc, "dataset", d.dataset, source);
    d.loss = getOr<std::string>(doc, "loss", d.loss, source);
    if (doc.contains("defaults")) {
        const json& dj = doc["defaults"];
        if (!dj.is_object()) throw ModelError(strCat(source, ": \"defaults\" must be an object"));
        d.optimizer = getOr<std::string>(dj, "optimizer", d.optimizer, source);
        d.lr = getOr<float>(dj, "lr", d.lr, source);
        d.momentum = getOr<float>(dj, "momentum", d.momentum, source);
        d.weightDecay = getOr<float>(dj, "weight_decay", d.weightDecay, source);
        d.batch = getOr<int>(dj, "batch", d.batch, source);
        d.epochs = getOr<int>(dj, "epochs", d.epochs, source);
        d.classes = getOr<std::vector<int>>(dj, "classes", d.classes, source);
        d.rawPixels = getOr<bool>(dj, "raw_pixels", d.rawPixels, source);
    }
}

}  // namespace

namespace {

Net buildFromDoc(const json& doc, const std::string& jsonText, const std::string& source) {
    if (!doc.contains("input") || !doc["input"].is_array() || doc["input"].empty()) {
        throw ModelError(
            strCat(source, ": needs \"input\": the shape of one sample, e.g. [1, 28, 28]"));
    }
    std::vector<int> dims;
    for (const json& v : doc["input"]) {
        if (!v.is_number_integer() || v.get<std::int64_t>() <= 0 ||
            v.get<std::int64_t>() > (1 << 20)) {
            throw ModelError(strCat(source,
                                    ": \"input\" must list positive integers (at most 1048576), "
                                    "e.g. [1, 28, 28]"));
        }
        dims.push_back(v.get<int>());
    }
    if (!doc.contains("layers") || !doc["layers"].is_array() || doc["layers"].empty()) {
        throw ModelError(strCat(source, ": needs a non-empty \"layers\" list"));
    }
    const std::string name = getOr<std::string>(doc, "name", "model", source);
    Shape input;
    try {
        input = Shape(dims);
    } catch (const ShapeError& e) {
        throw ModelError(strCat(source, ": \"input\": ", e.what()));
    }
    Net net(name, input);
    addLayers(net, doc["layers"], source);
    net.setModelJson(jsonText);
    return net;
}

}  // namespace

Net buildNet(const std::string& jsonText, ModelSpec* spec, const std::string& source, Build build) {
    // Only the project's errors leave: the JSON library's and the allocator's are translated.
    try {
        const json doc = parseModelDoc(jsonText, source);
        // Shapes first: what the weights need is known, and checked, before it is allocated.
        Net shapes = [&] {
            ShapesOnlyScope scope;
            return buildFromDoc(doc, jsonText, source);
        }();
        ModelSpec checked;  // the defaults are validated whether or not the caller wants them
        fillSpec(doc, jsonText, source, spec ? *spec : checked);
        if (build == Build::ShapesOnly) return shapes;
        const std::uint64_t bytes = static_cast<std::uint64_t>(shapes.numParams()) * 4;
        const std::uint64_t budget = memoryBudget();
        if (bytes > budget)
            throw ModelError(strCat(source, ": model '", shapes.name(), "' has ",
                                    shapes.numParams(), " parameters; its weights need ",
                                    formatBytes(bytes), ", more than the ", formatBytes(budget),
                                    " of memory available. Its cost table and receptive fields "
                                    "can still be shown (layerlens summary, layerlens rf)."));
        return buildFromDoc(doc, jsonText, source);
    } catch (const json::exception& e) {
        throw ModelError(strCat(source, ": malformed model: ", e.what()));
    } catch (const std::bad_alloc&) {
        throw ModelError(strCat(source,
                                ": not enough memory to build this model; see its size with "
                                "layerlens summary"));
    }
}

namespace {

std::string readModelFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(strCat("cannot open model file '", path, "'"));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The document of a preset, or of a model file when the name is not a preset's, and the name
// messages give it.
std::pair<std::string, std::string> modelText(const std::string& nameOrPath) {
    const auto& presets = embeddedPresets();
    if (presets.count(nameOrPath)) return {presets.at(nameOrPath), "preset " + nameOrPath};
    if (nameOrPath.find('/') == std::string::npos && nameOrPath.find(".json") == std::string::npos)
        presetJson(nameOrPath);  // throws with the list of presets
    return {readModelFile(nameOrPath), nameOrPath};
}

}  // namespace

Net loadModelFile(const std::string& path, ModelSpec* spec, Build build) {
    return buildNet(readModelFile(path), spec, path, build);
}

std::vector<std::string> presetNames() {
    std::vector<std::string> names;
    for (const auto& kv : embeddedPresets())
        names.push_back(kv.first);
    return names;
}

const std::string& presetJson(const std::string& name) {
    const auto& presets = embeddedPresets();
    auto it = presets.find(name);
    if (it == presets.end()) {
        std::string list;
        for (const auto& kv : presets)
            list += (list.empty() ? "" : ", ") + kv.first;
        throw UsageError(
            strCat("unknown model '", name, "': not a preset (", list, ") and not a model file"));
    }
    return it->second;
}

ModelSpec readModelSpec(const std::string& nameOrPath) {
    const auto [text, source] = modelText(nameOrPath);
    ModelSpec spec;
    try {
        fillSpec(parseModelDoc(text, source), text, source, spec);
    } catch (const json::exception& e) {
        throw ModelError(strCat(source, ": malformed model: ", e.what()));
    }
    return spec;
}

Net loadModel(const std::string& nameOrPath, ModelSpec* spec, Build build) {
    const auto [text, source] = modelText(nameOrPath);
    return buildNet(text, spec, source, build);
}

}  // namespace ll
