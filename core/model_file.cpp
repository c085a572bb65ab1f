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
#include "core/layer_io.h"
#include "core/layers/registry.h"
#include "core/onnx/onnx_import.h"

namespace ll {

// Generated at build time from resources/models/*.json (cmake/EmbedPresets.cmake).
extern const std::map<std::string, std::string>& embeddedPresets();

namespace {

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

}  // namespace

namespace {

// The node's "inputs": a list of names of earlier nodes ("input": the net's input).
std::vector<std::string> readInputs(const LayerReader& r) {
    std::vector<std::string> names;
    if (!r.has("inputs")) return names;
    const json& v = r.raw("inputs");
    if (!v.is_array() || v.empty())
        r.fail("\"inputs\" must be a non-empty list of node names, e.g. [\"conv2\", \"input\"]");
    for (const json& e : v) {
        if (!e.is_string()) r.fail("\"inputs\" must list node names (strings)");
        names.push_back(e.get<std::string>());
    }
    return names;
}

}  // namespace

void addLayersFromJson(Net& net, const json& list, const std::string& source) {
    if (!list.is_array()) throw ModelError(strCat(source, ": \"layers\" must be a list"));
    int index = 0;
    for (const json& lj : list) {
        LayerReader probe(lj, index, source);
        try {
            const std::vector<std::string> inputs = readInputs(probe);
            if (probe.has("group") && !probe.raw("group").is_string())
                probe.fail("\"group\" must be a string");
            // The shapes of the inputs this node reads.
            std::vector<Shape> shapes;
            const std::vector<Shape> outs = net.outputShapes();
            if (inputs.empty()) {
                shapes.push_back(outs.empty() ? net.inputSample().batched(1) : outs.back());
            } else {
                for (const std::string& in : inputs) {
                    const int j = in == Net::kInputName ? -1 : net.indexOf(in);
                    if (j < 0 && in != Net::kInputName)
                        probe.fail(strCat("reads '", in,
                                          "', which is not a node before it (nodes are listed in "
                                          "order; \"input\" is the net's input)"));
                    shapes.push_back(j < 0 ? net.inputSample().batched(1)
                                           : outs[static_cast<std::size_t>(j)]);
                }
            }
            const LayerReader r(lj, index, source, shapes);
            const LayerKind* kind = findLayerKind(r.type());
            if (!kind) r.fail(strCat("unknown layer type (known: ", layerTypeList(), ")"));
            LayerPtr layer = kind->read(r);
            if (!r.name().empty()) layer->setName(r.name());
            if (r.has("group")) layer->setGroup(r.raw("group").get<std::string>());
            net.add(std::move(layer), inputs);
        } catch (const ModelError& e) {
            const std::string msg = e.what();
            if (msg.rfind(source, 0) == 0) throw;
            probe.fail(msg);
        } catch (const ShapeError& e) {
            probe.fail(e.what());
        }
        ++index;
    }
    net.checkSingleOutput();
}

json layersToJson(const Net& net) {
    json list = json::array();
    for (int i = 0; i < net.size(); ++i) {
        const Layer& l = net.layer(i);
        json j = json::object();
        j["type"] = l.type();
        j["name"] = l.name();
        const std::vector<int>& from = net.inputsOf(i);
        if (!(from.size() == 1 && from[0] == i - 1)) {
            json names = json::array();
            for (int k : from)
                names.push_back(k < 0 ? std::string(Net::kInputName) : net.layer(k).name());
            j["inputs"] = std::move(names);
        }
        if (!l.group().empty()) j["group"] = l.group();
        l.write(j);
        list.push_back(std::move(j));
    }
    return list;
}

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
        if (dj.contains("lr_schedule")) {
            try {
                d.lrSchedule = parseLrSchedule(getOr<std::string>(dj, "lr_schedule", "", source));
            } catch (const UsageError& e) {
                throw ModelError(strCat(source, ": \"defaults\": ", e.what()));
            }
        }
        d.momentum = getOr<float>(dj, "momentum", d.momentum, source);
        d.weightDecay = getOr<float>(dj, "weight_decay", d.weightDecay, source);
        d.batch = getOr<int>(dj, "batch", d.batch, source);
        d.epochs = getOr<int>(dj, "epochs", d.epochs, source);
        d.classes = getOr<std::vector<int>>(dj, "classes", d.classes, source);
        d.rawPixels = getOr<bool>(dj, "raw_pixels", d.rawPixels, source);
        d.augment = getOr<bool>(dj, "augment", d.augment, source);
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
    addLayersFromJson(net, doc["layers"], source);
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
    if (nameOrPath.find('/') == std::string::npos &&
        nameOrPath.find(".json") == std::string::npos && !isOnnxPath(nameOrPath))
        presetJson(nameOrPath);  // throws with the list of presets
    if (isOnnxPath(nameOrPath)) return {importOnnx(nameOrPath).json(), nameOrPath};
    return {readModelFile(nameOrPath), nameOrPath};
}

}  // namespace

namespace {

// An ONNX file: converted, built, and given the weights it brought (core/onnx/onnx_import.h).
Net loadOnnx(const std::string& path, ModelSpec* spec, Build build) {
    const OnnxImport imported = importOnnx(path);
    ModelSpec local;
    ModelSpec& s = spec ? *spec : local;
    Net net = buildNet(imported.json(), &s, path, build);
    s.classNames = imported.classNames();
    s.warnings = imported.warnings();
    if (build == Build::Weights) imported.loadWeights(net);
    return net;
}

}  // namespace

Net loadModelFile(const std::string& path, ModelSpec* spec, Build build) {
    if (isOnnxPath(path)) return loadOnnx(path, spec, build);
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
    if (isOnnxPath(nameOrPath) && !embeddedPresets().count(nameOrPath))
        return loadOnnx(nameOrPath, spec, build);
    const auto [text, source] = modelText(nameOrPath);
    return buildNet(text, spec, source, build);
}

}  // namespace ll
