#include "core/onnx/onnx_import.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <nlohmann/json.hpp>

#include "core/data/size_check.h"
#include "core/error.h"
#include "core/layer_io.h"
#include "core/layers/registry.h"

namespace ll {

namespace {

using nlohmann::json;
using onnx::AttributeProto;
using onnx::NodeProto;
using onnx::TensorProto;

std::atomic<int> g_inputHeight{0}, g_inputWidth{0};  // setOnnxInputSize

constexpr std::uint64_t kProtobufLimit = std::uint64_t{2} << 30;  // protobuf's 2 GB message limit

// Ops whose every input is a constant are evaluated while converting (shape arithmetic).
const std::set<std::string> kConstantOps = {"Constant", "Shape",  "Gather", "Unsqueeze",
                                            "Squeeze",  "Concat", "Cast",   "Mul",
                                            "Div",      "Add",    "Sub",    "Identity"};
// Ops converted to layers (or aliases) when they read activations.
const std::set<std::string> kLayerOps = {
    "Conv",        "BatchNormalization", "Relu",    "Clip",    "LeakyRelu", "Sigmoid", "Tanh",
    "HardSigmoid", "HardSwish",          "Mul",     "Add",     "Sum",       "Concat",  "MaxPool",
    "AveragePool", "GlobalAveragePool",  "Pad",     "Flatten", "Reshape",   "Gemm",    "MatMul",
    "Dropout",     "Identity",           "Softmax", "LRN"};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// The string with every byte that is not valid UTF-8 replaced (U+FFFD): names and descriptions
// from the file go into the JSON document, which must be UTF-8.
std::string validUtf8(const std::string& s) {
    return json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace))
        .get<std::string>();
}

std::string opList() {
    std::string s;
    for (const std::string& op : onnxSupportedOps())
        s += (s.empty() ? "" : ", ") + op;
    return s;
}

// A constant tensor: an initializer or a Constant node's value (`proto`, decoded on demand: a
// 400 MB weight is copied once, into the net), or a small result of shape arithmetic (`ints`).
struct Const {
    std::vector<std::int64_t> dims;
    const TensorProto* proto = nullptr;
    std::vector<std::int64_t> ints;  // when proto is null
    std::int64_t numel() const {
        std::int64_t n = 1;
        for (std::int64_t d : dims)
            n *= d;
        return n;
    }
};

// A float attribute as the decimal it was written from (0.8f → 0.8, not 0.800000011920929).
double tidy(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.7g", static_cast<double>(v));
    return std::strtod(buf, nullptr);
}

std::string dimsText(const std::vector<std::int64_t>& d) {
    std::string s = "(";
    for (std::size_t i = 0; i < d.size(); ++i)
        s += strCat(i ? ", " : "", d[i]);
    return s + ")";
}

}  // namespace

struct OnnxImport::Weights {
    onnx::ModelProto model;
    std::string source;  // the file, for messages
    std::string dir;     // where external data files are
    struct Entry {
        std::string node;  // LayerLens node name
        std::string key;   // "weight", "bias", "running_mean", "running_var"
        const TensorProto* tensor = nullptr;
        bool transpose = false;      // a (K, M) matrix stored for a (M, K) weight
        float scale = 1.0f;          // Gemm's alpha and beta
        std::int64_t broadcast = 0;  // a one-element bias repeated to this many values
    };
    std::vector<Entry> entries;

    // Copies a float tensor's n values into dst (raw, typed or external data), checking the count.
    void readFloats(const TensorProto& t, float* dst, std::int64_t n) const;
    std::vector<std::int64_t> readInts(const TensorProto& t) const;
    std::string readExternal(const TensorProto& t, std::uint64_t bytes) const;
    // The file an external tensor's "location" names beside the model; DataError for a location
    // elsewhere (absolute, "..", none).
    std::string externalFile(const TensorProto& t) const;
};

namespace {

std::uint64_t elementCount(const TensorProto& t, const std::string& source) {
    std::uint64_t n = 1;
    for (std::int64_t d : t.dims()) {
        if (d < 0)
            throw DataError(
                strCat(source, ": tensor '", t.name(), "' has a negative dimension ", d));
        n = checkedMul(n, static_cast<std::uint64_t>(d), strCat("tensor '", t.name(), "'"));
    }
    return n;
}

const char* typeName(int type) {
    switch (type) {
        case TensorProto::FLOAT:
            return "float32";
        case TensorProto::DOUBLE:
            return "float64";
        case TensorProto::FLOAT16:
            return "float16";
        case TensorProto::BFLOAT16:
            return "bfloat16";
        case TensorProto::INT64:
            return "int64";
        case TensorProto::INT32:
            return "int32";
        case TensorProto::INT8:
            return "int8";
        case TensorProto::UINT8:
            return "uint8";
        case TensorProto::BOOL:
            return "bool";
        case TensorProto::STRING:
            return "string";
        default:
            return "an unknown type";
    }
}

}  // namespace

std::string OnnxImport::Weights::externalFile(const TensorProto& t) const {
    std::string location;
    for (const auto& kv : t.external_data())
        if (kv.key() == "location") location = kv.value();
    const std::filesystem::path rel(location);
    if (location.empty() || rel.is_absolute() ||
        std::any_of(rel.begin(), rel.end(), [](const auto& p) { return p == ".."; }))
        throw DataError(strCat(source, ": tensor '", t.name(), "': external data location '",
                               location, "' must be a file name beside the model"));
    return (std::filesystem::path(dir) / rel).string();
}

std::string OnnxImport::Weights::readExternal(const TensorProto& t, std::uint64_t bytes) const {
    std::uint64_t offset = 0;
    std::int64_t length = -1;
    for (const auto& kv : t.external_data()) {
        try {
            if (kv.key() == "offset") offset = std::stoull(kv.value());
            if (kv.key() == "length") length = std::stoll(kv.value());
        } catch (const std::exception&) {
            throw DataError(strCat(source, ": tensor '", t.name(), "': external data ", kv.key(),
                                   " '", kv.value(), "' is not a number"));
        }
    }
    const std::string file = externalFile(t);
    if (length >= 0 && static_cast<std::uint64_t>(length) != bytes)
        throw DataError(strCat(source, ": tensor '", t.name(), "' declares ", length,
                               " bytes of external data for ", bytes, " bytes of values"));
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in)
        throw DataError(strCat(source, ": tensor '", t.name(), "': cannot open its external data '",
                               file, "'"));
    const std::uint64_t size = static_cast<std::uint64_t>(in.tellg());
    requireInside(size, offset, bytes,
                  strCat(source, ": external data of tensor '", t.name(), "' in '", file, "'"));
    std::string data(bytes, '\0');
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in.read(data.data(), static_cast<std::streamsize>(bytes)))
        throw DataError(strCat(source, ": cannot read external data '", file, "'"));
    return data;
}

void OnnxImport::Weights::readFloats(const TensorProto& t, float* dst, std::int64_t n) const {
    const std::uint64_t count = elementCount(t, source);
    if (count != static_cast<std::uint64_t>(n))
        throw ModelError(strCat(source, ": tensor '", t.name(), "' has ", count, " values where ",
                                n, " are needed"));
    const auto bad = [&](std::uint64_t have) {
        return DataError(strCat(source, ": tensor '", t.name(), "' ",
                                dimsText({t.dims().begin(), t.dims().end()}), " holds ", have,
                                " values instead of ", count));
    };
    if (t.data_type() == TensorProto::FLOAT) {
        if (t.data_location() == TensorProto::EXTERNAL) {
            const std::string data = readExternal(t, count * 4);
            std::memcpy(dst, data.data(), count * 4);
        } else if (!t.raw_data().empty()) {
            if (t.raw_data().size() != count * 4) throw bad(t.raw_data().size() / 4);
            std::memcpy(dst, t.raw_data().data(), count * 4);
        } else {
            if (static_cast<std::uint64_t>(t.float_data_size()) != count)
                throw bad(static_cast<std::uint64_t>(t.float_data_size()));
            std::copy(t.float_data().begin(), t.float_data().end(), dst);
        }
    } else if (t.data_type() == TensorProto::DOUBLE) {
        std::vector<double> v(count);
        if (t.data_location() == TensorProto::EXTERNAL) {
            const std::string data = readExternal(t, count * 8);
            std::memcpy(v.data(), data.data(), count * 8);
        } else if (!t.raw_data().empty()) {
            if (t.raw_data().size() != count * 8) throw bad(t.raw_data().size() / 8);
            std::memcpy(v.data(), t.raw_data().data(), count * 8);
        } else {
            if (static_cast<std::uint64_t>(t.double_data_size()) != count)
                throw bad(static_cast<std::uint64_t>(t.double_data_size()));
            std::copy(t.double_data().begin(), t.double_data().end(), v.begin());
        }
        for (std::uint64_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(v[i]);
    } else {
        throw ModelError(strCat(source, ": tensor '", t.name(), "' is ", typeName(t.data_type()),
                                "; weights must be float32 or float64"));
    }
    for (std::uint64_t i = 0; i < count; ++i) {
        if (!std::isfinite(dst[i]))
            throw ModelError(strCat(source, ": tensor '", t.name(), "' holds a non-finite value (",
                                    dst[i], ") at index ", i));
    }
}

std::vector<std::int64_t> OnnxImport::Weights::readInts(const TensorProto& t) const {
    const std::uint64_t count = elementCount(t, source);
    if (count > (1u << 20))
        throw ModelError(strCat(source, ": integer tensor '", t.name(), "' is too large (", count,
                                " values) for a shape"));
    std::vector<std::int64_t> v(count);
    const bool external = t.data_location() == TensorProto::EXTERNAL;
    if (t.data_type() == TensorProto::INT64) {
        if (external || !t.raw_data().empty()) {
            const std::string data = external ? readExternal(t, count * 8) : t.raw_data();
            if (data.size() != count * 8)
                throw DataError(strCat(source, ": tensor '", t.name(), "' holds ", data.size() / 8,
                                       " values instead of ", count));
            std::memcpy(v.data(), data.data(), count * 8);
        } else {
            if (static_cast<std::uint64_t>(t.int64_data_size()) != count)
                throw DataError(strCat(source, ": tensor '", t.name(), "' holds ",
                                       t.int64_data_size(), " values instead of ", count));
            std::copy(t.int64_data().begin(), t.int64_data().end(), v.begin());
        }
    } else if (t.data_type() == TensorProto::INT32) {
        if (external || !t.raw_data().empty()) {
            const std::string data = external ? readExternal(t, count * 4) : t.raw_data();
            if (data.size() != count * 4)
                throw DataError(strCat(source, ": tensor '", t.name(), "' holds ", data.size() / 4,
                                       " values instead of ", count));
            for (std::uint64_t i = 0; i < count; ++i) {
                std::int32_t x;
                std::memcpy(&x, data.data() + 4 * i, 4);
                v[i] = x;
            }
        } else {
            if (static_cast<std::uint64_t>(t.int32_data_size()) != count)
                throw DataError(strCat(source, ": tensor '", t.name(), "' holds ",
                                       t.int32_data_size(), " values instead of ", count));
            std::copy(t.int32_data().begin(), t.int32_data().end(), v.begin());
        }
    } else if (t.data_type() == TensorProto::FLOAT || t.data_type() == TensorProto::DOUBLE) {
        std::vector<float> f(count);
        readFloats(t, f.data(), static_cast<std::int64_t>(count));
        for (std::uint64_t i = 0; i < count; ++i) {
            if (f[i] != std::floor(f[i]) || std::fabs(f[i]) > 9e15f)
                throw ModelError(strCat(source, ": tensor '", t.name(), "' should hold integers"));
            v[i] = static_cast<std::int64_t>(f[i]);
        }
    } else {
        throw ModelError(strCat(source, ": tensor '", t.name(), "' is ", typeName(t.data_type()),
                                " where integers are needed"));
    }
    return v;
}

namespace {

class Converter {
public:
    Converter(OnnxImport::Weights& w, int opset) : m_w(w), m_opset(opset) {}

    void run();
    json document(const std::string& name, const std::string& description) const;
    std::vector<std::string> warnings;

private:
    // ----- errors
    [[noreturn]] void fail(const NodeProto& n, const std::string& what) const {
        throw ModelError(strCat(m_w.source, ": node '", nodeLabel(n), "' (", n.op_type(),
                                ", opset ", m_opset, "): ", what));
    }
    static std::string nodeLabel(const NodeProto& n) {
        if (!n.name().empty()) return n.name();
        return n.output_size() ? n.output(0) : std::string("?");
    }

    // ----- attributes
    const AttributeProto* attr(const NodeProto& n, const char* name) const {
        for (const AttributeProto& a : n.attribute())
            if (a.name() == name) return &a;
        return nullptr;
    }
    std::int64_t attrInt(const NodeProto& n, const char* name, std::int64_t fallback) const {
        const AttributeProto* a = attr(n, name);
        if (!a) return fallback;
        if (a->type() != AttributeProto::INT)
            fail(n, strCat("attribute ", name, " must be an int"));
        return a->i();
    }
    float attrFloat(const NodeProto& n, const char* name, float fallback) const {
        const AttributeProto* a = attr(n, name);
        if (!a) return fallback;
        if (a->type() != AttributeProto::FLOAT)
            fail(n, strCat("attribute ", name, " must be a float"));
        return a->f();
    }
    std::vector<std::int64_t> attrInts(const NodeProto& n, const char* name,
                                       std::vector<std::int64_t> fallback) const {
        const AttributeProto* a = attr(n, name);
        if (!a) return fallback;
        if (a->type() != AttributeProto::INTS)
            fail(n, strCat("attribute ", name, " must be a list of ints"));
        return {a->ints().begin(), a->ints().end()};
    }
    std::string attrString(const NodeProto& n, const char* name, std::string fallback) const {
        const AttributeProto* a = attr(n, name);
        if (!a) return fallback;
        if (a->type() != AttributeProto::STRING)
            fail(n, strCat("attribute ", name, " must be a string"));
        return a->s();
    }

    // ----- tensors
    bool isConst(const std::string& t) const { return m_consts.count(t) > 0; }
    bool isActivation(const std::string& t) const { return m_producer.count(t) > 0; }
    const Const& constant(const NodeProto& n, int i) const {
        if (i >= n.input_size() || n.input(i).empty()) fail(n, strCat("needs input ", i + 1));
        const auto it = m_consts.find(n.input(i));
        if (it == m_consts.end())
            fail(n, strCat("input '", n.input(i), "' must be a constant (an initializer)"));
        return it->second;
    }
    const Shape& activation(const NodeProto& n, int i) const {
        if (i >= n.input_size() || n.input(i).empty()) fail(n, strCat("needs input ", i + 1));
        const auto it = m_shapes.find(n.input(i));
        if (it == m_shapes.end()) {
            if (m_slices.count(n.input(i)))
                fail(n, strCat("reads the strided Slice '", n.input(i),
                               "'; a Slice of an activation is supported only as x[:, :, ::s, ::s] "
                               "read by a Pad of the channels (ResNet's option-A shortcut)"));
            if (isConst(n.input(i)))
                fail(n, strCat("input '", n.input(i),
                               "' is a constant; LayerLens needs it to be computed from the "
                               "model's input"));
            fail(n, strCat("input '", n.input(i), "' is not produced by any node before it"));
        }
        return it->second;
    }
    std::vector<std::int64_t> ints(const NodeProto& n, const Const& c) const {
        try {
            return c.proto ? m_w.readInts(*c.proto) : c.ints;
        } catch (const Error& e) {
            fail(n, e.what());
        }
    }
    std::vector<float> floats(const NodeProto& n, const Const& c) const {
        if (!c.proto) return {c.ints.begin(), c.ints.end()};
        std::vector<float> v(static_cast<std::size_t>(c.numel()));
        try {
            m_w.readFloats(*c.proto, v.data(), c.numel());
        } catch (const Error& e) {
            fail(n, e.what());
        }
        return v;
    }
    // An optional scalar input (Clip's min and max), or nothing when absent or empty.
    std::optional<float> optionalScalar(const NodeProto& n, int i) const {
        if (i >= n.input_size() || n.input(i).empty()) return std::nullopt;
        const Const& c = constant(n, i);
        if (c.numel() != 1) fail(n, strCat("input ", i + 1, " must be a scalar"));
        return floats(n, c)[0];
    }

    void alias(const std::string& out, const std::string& in) {
        m_producer[out] = m_producer.at(in);
        m_shapes[out] = m_shapes.at(in);
    }
    std::string uniqueName(const NodeProto& n);
    // Adds a layer node reading the activation tensors `inputs`; returns its name.
    std::string emit(const NodeProto& n, json j, const std::vector<std::string>& inputs);
    void weight(const std::string& node, const char* key, const TensorProto* t,
                bool transpose = false, float scale = 1.0f, std::int64_t broadcast = 0) {
        m_w.entries.push_back({node, key, t, transpose, scale, broadcast});
    }
    const TensorProto* floatTensor(const NodeProto& n, int i, std::int64_t numel) const {
        const Const& c = constant(n, i);
        if (!c.proto) fail(n, strCat("input ", i + 1, " must be a float tensor"));
        if (c.numel() != numel)
            fail(n, strCat("input '", n.input(i), "' has shape ", dimsText(c.dims), ", ", c.numel(),
                           " values; ", numel, " are needed"));
        return c.proto;
    }

    void evalConstant(const NodeProto& n);
    // x[:, :, ::s, ::s] kept for the channel Pad that reads it (ResNet's option-A shortcut).
    void convertSlice(const NodeProto& n);
    // A Pad of the channels (after such a Slice, or not): ChannelPad.
    void convertChannelPad(const NodeProto& n, const std::string& x, int stride,
                           const std::vector<std::int64_t>& pads);
    std::vector<std::int64_t> padsOf(const NodeProto& n) const;
    // Div(x, √2) → Erf → Add 1 → Mul x → Mul ½, as PyTorch (and our export) write the exact
    // GELU: one GELU node. False when `div` does not start that chain.
    bool tryGelu(const NodeProto& div);
    void convert(const NodeProto& n);
    void convertConv(const NodeProto& n);
    void convertPool(const NodeProto& n, bool max);
    void convertGemm(const NodeProto& n);
    void convertMatMul(const NodeProto& n);
    // kernel_shape/strides/pads/dilations/auto_pad as a model file's window keys.
    void windowKeys(const NodeProto& n, json& j, const Shape& in, std::vector<std::int64_t> kernel,
                    bool pool);

    OnnxImport::Weights& m_w;
    int m_opset;
    std::unordered_map<std::string, Const> m_consts;
    std::unordered_map<std::string, std::string> m_producer;  // tensor → node name or "input"
    std::unordered_map<std::string, Shape> m_shapes;          // tensor → shape, batch of one
    std::unordered_map<std::string, std::vector<int>> m_consumers;
    std::set<int> m_fused;  // nodes folded into an earlier one (a MatMul's bias Add)
    struct Slice {
        std::string input;  // the activation sliced
        int stride;
    };
    std::unordered_map<std::string, Slice> m_slices;  // pending strided Slices, by output
    std::set<std::string> m_names;
    std::string m_last;  // the last node emitted
    json m_layers = json::array();
    std::vector<int> m_inputDims;
};

std::string Converter::uniqueName(const NodeProto& n) {
    std::string base = validUtf8(nodeLabel(n));
    if (base.empty() || base == Net::kInputName) base += "_node";
    std::string name = base;
    for (int k = 2; m_names.count(name); ++k)
        name = strCat(base, "_", k);
    m_names.insert(name);
    return name;
}

std::string Converter::emit(const NodeProto& n, json j, const std::vector<std::string>& inputs) {
    const std::string name = uniqueName(n);
    j["name"] = name;
    std::vector<std::string> from;
    std::vector<Shape> shapes;
    for (const std::string& t : inputs) {
        from.push_back(m_producer.at(t));
        shapes.push_back(m_shapes.at(t));
    }
    const bool chain =
        from.size() == 1 && (m_last.empty() ? from[0] == Net::kInputName : from[0] == m_last);
    if (!chain) j["inputs"] = from;
    Shape out;
    try {
        ShapesOnlyScope scope;
        const LayerReader r(j, static_cast<int>(m_layers.size()), m_w.source, shapes);
        const LayerKind* kind = findLayerKind(r.type());
        LL_CHECK(kind != nullptr, "ONNX import emits an unregistered type ", r.type());
        LayerPtr layer = kind->read(r);
        layer->setName(name);
        out = layer->outputShapeMulti(shapes);
    } catch (const ShapeError& e) {
        fail(n, e.what());
    } catch (const ModelError& e) {
        fail(n, e.what());
    }
    m_layers.push_back(std::move(j));
    m_producer[n.output(0)] = name;
    m_shapes[n.output(0)] = out;
    m_last = name;
    return name;
}

void Converter::evalConstant(const NodeProto& n) {
    const std::string& op = n.op_type();
    Const c;
    if (op == "Constant") {
        const AttributeProto* a = n.attribute_size() == 1 ? &n.attribute(0) : nullptr;
        if (!a) fail(n, "needs exactly one value attribute");
        if (a->name() == "value" && a->type() == AttributeProto::TENSOR) {
            c.proto = &a->t();
            c.dims.assign(a->t().dims().begin(), a->t().dims().end());
            try {
                elementCount(a->t(), m_w.source);
            } catch (const Error& e) {
                fail(n, e.what());
            }
            for (std::int64_t d : c.dims)
                if (d > std::numeric_limits<std::int32_t>::max())
                    fail(n, strCat("its value has a dimension of ", d));
        } else if (a->name() == "value_int" && a->type() == AttributeProto::INT) {
            c.ints = {a->i()};
        } else if (a->name() == "value_ints" && a->type() == AttributeProto::INTS) {
            c.ints.assign(a->ints().begin(), a->ints().end());
            c.dims = {static_cast<std::int64_t>(c.ints.size())};
        } else {
            fail(n, strCat("attribute '", a->name(),
                           "' is not supported (value, value_int, value_ints are)"));
        }
    } else if (op == "Shape") {
        const Shape& s = activation(n, 0);
        for (int i = 0; i < s.rank(); ++i)
            c.ints.push_back(s[i]);
        c.dims = {s.rank()};
    } else if (op == "Identity" || op == "Cast") {
        const Const& in = constant(n, 0);
        if (op == "Cast" && in.proto) {
            const std::int64_t to = attrInt(n, "to", 0);
            if (to != TensorProto::INT64 && to != TensorProto::INT32)
                fail(n, "casts of float constants are not supported");
            c.ints = ints(n, in);
            c.dims = in.dims;
        } else {
            c = in;
        }
    } else {
        // Integer shape arithmetic on small constants.
        std::vector<std::vector<std::int64_t>> vals;
        std::vector<std::vector<std::int64_t>> dims;
        for (int i = 0; i < n.input_size(); ++i) {
            if (n.input(i).empty()) {
                vals.emplace_back();
                dims.emplace_back();
                continue;
            }
            const Const& in = constant(n, i);
            vals.push_back(ints(n, in));
            dims.push_back(in.dims);
        }
        if (vals.empty()) fail(n, "needs inputs");
        if (op == "Gather") {
            const std::int64_t axis = attrInt(n, "axis", 0);
            if (axis != 0 || dims[0].size() != 1 || vals.size() < 2)
                fail(n, "only gathering from a 1-D constant (a shape) is supported");
            for (std::int64_t k : vals[1]) {
                const std::int64_t size = static_cast<std::int64_t>(vals[0].size());
                if (k < -size || k >= size) fail(n, strCat("index ", k, " out of range"));
                c.ints.push_back(vals[0][static_cast<std::size_t>(k < 0 ? k + size : k)]);
            }
            c.dims = dims[1];
        } else if (op == "Unsqueeze" || op == "Squeeze") {
            c.ints = vals[0];
            if (op == "Unsqueeze" && dims[0].empty()) {
                c.dims = {1};
            } else if (op == "Squeeze" && dims[0] == std::vector<std::int64_t>{1}) {
                c.dims = {};
            } else {
                c.dims = dims[0];
                if (c.dims.size() > 1) fail(n, "only scalars and 1-D shapes are supported");
            }
        } else if (op == "Concat") {
            for (std::size_t i = 0; i < vals.size(); ++i) {
                if (dims[i].size() > 1) fail(n, "only concatenating 1-D constants is supported");
                c.ints.insert(c.ints.end(), vals[i].begin(), vals[i].end());
            }
            c.dims = {static_cast<std::int64_t>(c.ints.size())};
        } else {  // Mul, Div, Add, Sub
            if (vals.size() != 2) fail(n, "needs two inputs");
            const auto& a = vals[0];
            const auto& b = vals[1];
            if (a.size() != b.size() && a.size() != 1 && b.size() != 1)
                fail(n, "the two constants must have the same size or one value");
            if (a.empty() || b.empty()) fail(n, "an operand is empty");
            const std::size_t len = std::max(a.size(), b.size());
            for (std::size_t i = 0; i < len; ++i) {
                const std::int64_t x = a[a.size() == 1 ? 0 : i], y = b[b.size() == 1 ? 0 : i];
                std::int64_t r = 0;
                bool overflow = false;
                if (op == "Div") {
                    if (y == 0 || (x == std::numeric_limits<std::int64_t>::min() && y == -1))
                        fail(n, "division by zero");
                    r = x / y;
                } else {
                    overflow = op == "Mul"   ? __builtin_mul_overflow(x, y, &r)
                               : op == "Add" ? __builtin_add_overflow(x, y, &r)
                                             : __builtin_sub_overflow(x, y, &r);
                }
                if (overflow) fail(n, "integer overflow in shape arithmetic");
                c.ints.push_back(r);
            }
            c.dims = a.size() >= b.size() ? dims[0] : dims[1];
        }
    }
    m_consts[n.output(0)] = std::move(c);
}

void Converter::windowKeys(const NodeProto& n, json& j, const Shape& in,
                           std::vector<std::int64_t> kernel, bool pool) {
    if (kernel.size() != 2) fail(n, strCat("needs a 2-D kernel, got ", dimsText(kernel)));
    const auto strides = attrInts(n, "strides", {1, 1});
    const auto dilations = attrInts(n, "dilations", {1, 1});
    auto pads = attrInts(n, "pads", {0, 0, 0, 0});
    if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
        fail(n, "strides and dilations need 2 values, pads 4");
    for (std::int64_t v : kernel)
        if (v < 1 || v > kMaxWindow)
            fail(n, strCat("kernel ", dimsText(kernel), " is out of range"));
    for (const auto* vs : {&strides, &dilations})
        for (std::int64_t v : *vs)
            if (v < 1 || v > kMaxWindow)
                fail(n, strCat("strides ", dimsText(strides), " or dilations ", dimsText(dilations),
                               " out of range"));
    for (std::int64_t v : pads)
        if (v < 0 || v > kMaxWindow) fail(n, strCat("pads ", dimsText(pads), " out of range"));
    if (pool && (dilations[0] != 1 || dilations[1] != 1))
        fail(n, strCat("dilated pooling (dilations ", dimsText(dilations), ") is not supported"));
    const std::string autoPad = attrString(n, "auto_pad", "NOTSET");
    if (autoPad == "VALID") {
        pads = {0, 0, 0, 0};
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
        for (int a = 0; a < 2; ++a) {
            const std::int64_t size = in[2 + a];
            const std::int64_t out = (size + strides[a] - 1) / strides[a];
            const std::int64_t total = std::max<std::int64_t>(
                0, (out - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1 - size);
            const std::int64_t small = total / 2, large = total - small;
            pads[a] = autoPad == "SAME_UPPER" ? small : large;
            pads[a + 2] = autoPad == "SAME_UPPER" ? large : small;
        }
    } else if (autoPad != "NOTSET") {
        fail(n, strCat("auto_pad '", autoPad, "' is not supported"));
    }
    j["kernel"] = {kernel[0], kernel[1]};
    j["stride"] = {strides[0], strides[1]};
    if (!pool) j["dilation"] = {dilations[0], dilations[1]};
    j["padding"] = {pads[0], pads[1], pads[2], pads[3]};  // ONNX: begins then ends = t, l, b, r
}

void Converter::convertConv(const NodeProto& n) {
    const Shape in = activation(n, 0);
    if (in.rank() != 4) fail(n, strCat("needs an input (N, C, H, W), got ", in));
    const Const& w = constant(n, 1);
    if (w.dims.size() != 4 || !w.proto)
        fail(n, strCat("weight '", n.input(1), "' must be a 4-D float tensor, got ",
                       dimsText(w.dims)));
    const std::int64_t groups = attrInt(n, "group", 1);
    if (groups < 1 || groups > in[1] || w.dims[1] * groups != in[1])
        fail(n, strCat("weight ", dimsText(w.dims), " with group ", groups, " does not fit ", in[1],
                       " input channels"));
    const auto kernel = attrInts(n, "kernel_shape", {w.dims[2], w.dims[3]});
    if (kernel != std::vector<std::int64_t>{w.dims[2], w.dims[3]})
        fail(n, strCat("kernel_shape ", dimsText(kernel), " differs from the weight's ",
                       dimsText(w.dims)));
    const bool bias = n.input_size() > 2 && !n.input(2).empty();
    json j = {{"type", "Conv2d"}, {"out", w.dims[0]}, {"groups", groups}, {"bias", bias}};
    windowKeys(n, j, in, kernel, false);
    const std::string name = emit(n, j, {n.input(0)});
    weight(name, "weight", w.proto);
    if (bias) weight(name, "bias", floatTensor(n, 2, w.dims[0]));
}

void Converter::convertPool(const NodeProto& n, bool max) {
    const Shape in = activation(n, 0);
    if (in.rank() != 4) fail(n, strCat("needs an input (N, C, H, W), got ", in));
    if (max && n.output_size() > 1 && !n.output(1).empty() && m_consumers.count(n.output(1)))
        fail(n, "its second output (the indices of the maxima) is not supported");
    if (max && attrInt(n, "storage_order", 0) != 0)
        fail(n, "storage_order 1 (column-major indices) is not supported");
    json j = {{"type", max ? "MaxPool2d" : "AvgPool2d"},
              {"ceil_mode", attrInt(n, "ceil_mode", 0) != 0}};
    if (!max) j["count_include_pad"] = attrInt(n, "count_include_pad", 0) != 0;
    windowKeys(n, j, in, attrInts(n, "kernel_shape", {}), true);
    emit(n, j, {n.input(0)});
}

void Converter::convertGemm(const NodeProto& n) {
    const Shape in = activation(n, 0);
    if (in.rank() != 2)
        fail(n, strCat("needs a flat input (N, features), got ", in, " (add a Flatten before it)"));
    if (attrInt(n, "transA", 0) != 0) fail(n, "transA = 1 (a transposed input) is not supported");
    const bool transB = attrInt(n, "transB", 0) != 0;
    const float alpha = attrFloat(n, "alpha", 1.0f), beta = attrFloat(n, "beta", 1.0f);
    const Const& b = constant(n, 1);
    if (b.dims.size() != 2 || !b.proto) fail(n, "B must be a 2-D float initializer");
    const std::int64_t k = transB ? b.dims[1] : b.dims[0], m = transB ? b.dims[0] : b.dims[1];
    if (k != in[1])
        fail(n, strCat("B ", dimsText(b.dims), (transB ? " (transposed)" : ""), " does not fit ",
                       in[1], " input features"));
    const bool bias = n.input_size() > 2 && !n.input(2).empty() && beta != 0.0f;
    json j = {{"type", "Linear"}, {"out", m}, {"bias", bias}};
    const std::string name = emit(n, j, {n.input(0)});
    weight(name, "weight", b.proto, !transB, alpha);
    if (bias) {
        const Const& c = constant(n, 2);
        if (!c.proto || (c.numel() != m && c.numel() != 1))
            fail(n, strCat("C ", dimsText(c.dims), " must have ", m, " values (or one)"));
        weight(name, "bias", c.proto, false, beta, c.numel() == 1 ? m : 0);
    }
}

void Converter::convertMatMul(const NodeProto& n) {
    const Shape in = activation(n, 0);
    if (in.rank() != 2)
        fail(n, strCat("needs a flat input (N, features), got ", in,
                       "; only MatMul of an activation by a constant matrix is supported"));
    const Const& b = constant(n, 1);
    if (b.dims.size() != 2 || !b.proto || b.dims[0] != in[1])
        fail(n, strCat("B ", dimsText(b.dims), " must be a float matrix (", in[1], ", M)"));
    const std::int64_t m = b.dims[1];
    // A MatMul followed by an Add of a constant vector is one Linear layer with a bias.
    const TensorProto* bias = nullptr;
    std::int64_t broadcast = 0;
    int fusedAdd = -1;
    const auto it = m_consumers.find(n.output(0));
    if (it != m_consumers.end() && it->second.size() == 1) {
        const int addIndex = it->second[0];
        const NodeProto& add = m_w.model.graph().node(addIndex);
        if (add.op_type() == "Add" && add.input_size() == 2) {
            const std::string& other = add.input(0) == n.output(0) ? add.input(1) : add.input(0);
            const auto c = m_consts.find(other);
            if (c != m_consts.end() && c->second.proto &&
                (c->second.numel() == m || c->second.numel() == 1)) {
                bias = c->second.proto;
                broadcast = c->second.numel() == 1 ? m : 0;
                m_fused.insert(addIndex);
                fusedAdd = addIndex;
            }
        }
    }
    json j = {{"type", "Linear"}, {"out", m}, {"bias", bias != nullptr}};
    const std::string name = emit(n, j, {n.input(0)});
    weight(name, "weight", b.proto, true);
    if (bias) {
        weight(name, "bias", bias, false, 1.0f, broadcast);
        const NodeProto& add = m_w.model.graph().node(fusedAdd);
        alias(add.output(0), n.output(0));
    }
}

void Converter::convert(const NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
        fail(n, strCat("operators of domain '", n.domain(), "' are not supported (only ai.onnx)"));
    if (n.output_size() < 1 || n.output(0).empty()) fail(n, "has no output");
    // Shape arithmetic: every input is a constant.
    bool allConst = n.input_size() > 0 || op == "Constant";
    for (const std::string& in : n.input())
        if (!in.empty() && !isConst(in)) allConst = false;
    if (op == "Shape" || (allConst && kConstantOps.count(op))) {
        evalConstant(n);
        return;
    }
    if (op == "Slice" && n.input_size() > 0 && isActivation(n.input(0))) return convertSlice(n);
    if (op == "Pad" && n.input_size() > 0 && m_slices.count(n.input(0))) {
        const Slice sl = m_slices.at(n.input(0));
        return convertChannelPad(n, sl.input, sl.stride, padsOf(n));
    }
    if (op == "Div" && tryGelu(n)) return;
    if (!kLayerOps.count(op)) {
        if (allConst || op == "Gather" || op == "Slice" || op == "Unsqueeze" || op == "Squeeze" ||
            op == "Cast" || op == "Shape")
            fail(n,
                 "this shape computation is not supported (it depends on the model's input "
                 "at run time); export with a fixed input size and constant folding "
                 "(torch.onnx.export(..., do_constant_folding=True))");
        fail(n, strCat("operator '", op, "' is not supported. Supported: ", opList()));
    }
    const auto one = [&](const char* type) { emit(n, {{"type", type}}, {n.input(0)}); };
    const Shape in = activation(n, 0);
    if (op == "Pad") {
        const std::vector<std::int64_t> pads = padsOf(n);
        if (pads[1] || pads[5]) {
            convertChannelPad(n, n.input(0), 1, pads);
        } else {
            emit(n, {{"type", "ZeroPad2d"}, {"padding", {pads[2], pads[3], pads[6], pads[7]}}},
                 {n.input(0)});
        }
        return;
    }
    if (op == "Conv") {
        convertConv(n);
    } else if (op == "BatchNormalization") {
        if (attrInt(n, "training_mode", 0) != 0 ||
            (n.output_size() > 1 &&
             std::any_of(n.output().begin() + 1, n.output().end(),
                         [&](const std::string& o) { return !o.empty() && m_consumers.count(o); })))
            fail(n,
                 "training-mode batch normalization (its running statistics as outputs) is "
                 "not supported; export the model in eval mode");
        if (in.rank() != 4 && in.rank() != 2)
            fail(n, strCat("needs an input (N, C, H, W) or (N, C), got ", in));
        const std::int64_t c = in[1];
        const float momentum = attrFloat(n, "momentum", 0.9f);
        json j = {{"type", in.rank() == 4 ? "BatchNorm2d" : "BatchNorm1d"},
                  {"eps", tidy(attrFloat(n, "epsilon", 1e-5f))},
                  // ONNX keeps `momentum` of the running value; PyTorch (and LayerLens) name
                  // the weight of the new batch's statistic.
                  {"momentum", tidy(1.0f - momentum)}};
        const std::string name = emit(n, j, {n.input(0)});
        weight(name, "weight", floatTensor(n, 1, c));
        weight(name, "bias", floatTensor(n, 2, c));
        weight(name, "running_mean", floatTensor(n, 3, c));
        weight(name, "running_var", floatTensor(n, 4, c));
    } else if (op == "Relu") {
        one("ReLU");
    } else if (op == "Sigmoid") {
        one("Sigmoid");
    } else if (op == "Tanh") {
        one("Tanh");
    } else if (op == "HardSwish") {
        one("HardSwish");
    } else if (op == "LeakyRelu") {
        emit(n, {{"type", "LeakyReLU"}, {"slope", tidy(attrFloat(n, "alpha", 0.01f))}},
             {n.input(0)});
    } else if (op == "HardSigmoid") {
        const float alpha = attrFloat(n, "alpha", 0.2f), beta = attrFloat(n, "beta", 0.5f);
        if (std::fabs(alpha - 1.0f / 6.0f) > 1e-6f || std::fabs(beta - 0.5f) > 1e-6f)
            fail(n, strCat("alpha ", alpha, " and beta ", beta,
                           " are not supported; LayerLens' HardSigmoid is PyTorch's, "
                           "alpha 1/6 and beta 0.5"));
        one("HardSigmoid");
    } else if (op == "Clip") {
        std::optional<float> lo, hi;
        if (m_opset < 11) {
            if (attr(n, "min")) lo = attrFloat(n, "min", 0);
            if (attr(n, "max")) hi = attrFloat(n, "max", 0);
        } else {
            lo = optionalScalar(n, 1);
            hi = optionalScalar(n, 2);
        }
        if (lo == 0.0f && hi == 6.0f) {
            one("ReLU6");
        } else if (lo == 0.0f && (!hi || std::isinf(*hi))) {
            one("ReLU");
        } else {
            fail(n,
                 strCat("clipping to [", lo ? strCat(*lo) : "-inf", ", ", hi ? strCat(*hi) : "inf",
                        "] is not supported (only [0, 6] as ReLU6 and [0, inf) as ReLU)"));
        }
    } else if (op == "Softmax") {
        std::int64_t axis = attrInt(n, "axis", m_opset < 13 ? 1 : -1);
        if (axis < 0) axis += in.rank();
        if (axis != 1 || (m_opset < 13 && in.rank() != 2))
            fail(n, strCat("softmax over axis ", attrInt(n, "axis", m_opset < 13 ? 1 : -1), " of ",
                           in, " is not supported (only over the channels, axis 1)"));
        one("Softmax");
    } else if (op == "Dropout") {
        float p = attrFloat(n, "ratio", 0.5f);
        if (m_opset >= 12) p = optionalScalar(n, 1).value_or(0.5f);
        if (!(p >= 0.0f && p < 1.0f)) fail(n, strCat("ratio ", p, " must be in [0, 1)"));
        if (n.output_size() > 1 && !n.output(1).empty() && m_consumers.count(n.output(1)))
            fail(n, "its mask output is not supported");
        emit(n, {{"type", "Dropout"}, {"p", tidy(p)}}, {n.input(0)});
    } else if (op == "Identity") {
        alias(n.output(0), n.input(0));
    } else if (op == "Flatten") {
        const std::int64_t axis = attrInt(n, "axis", 1);
        if (axis != 1 && !(axis == -(in.rank() - 1) && in.rank() == 2))
            fail(n, strCat("flattening from axis ", axis, " is not supported (only axis 1)"));
        if (in.rank() == 2)
            alias(n.output(0), n.input(0));
        else
            one("Flatten");
    } else if (op == "Reshape") {
        const std::vector<std::int64_t> target = ints(n, constant(n, 1));
        const std::int64_t features = in.numel();  // batch of one
        // (N, C, H, W) → (N, C·H·W): a Flatten, whatever way the target says it.
        bool flat = target.size() == 2 &&
                    (target[1] == features || (target[1] == -1 && target[0] != -1)) &&
                    (target[0] == -1 || target[0] == 0 || target[0] == 1);
        if (target.size() == 2 && target[0] == -1 && target[1] == features) flat = true;
        if (!flat)
            fail(n, strCat("reshaping ", in, " to ", dimsText(target),
                           " is not supported (only to (N, -1): a flatten)"));
        if (in.rank() == 2)
            alias(n.output(0), n.input(0));
        else
            one("Flatten");
    } else if (op == "Gemm") {
        convertGemm(n);
    } else if (op == "MatMul") {
        convertMatMul(n);
    } else if (op == "Add" || op == "Sum" || op == "Mul") {
        std::vector<std::string> ins;
        for (int i = 0; i < n.input_size(); ++i) {
            activation(n, i);  // every input an activation: a constant is refused there
            ins.push_back(n.input(i));
        }
        if (ins.size() == 1) {
            alias(n.output(0), ins[0]);
        } else if (op == "Mul") {
            if (ins.size() != 2) fail(n, "needs two inputs");
            // LayerLens' Mul takes the gate (N, C, 1, 1) second.
            const Shape& a = m_shapes.at(ins[0]);
            const Shape& b = m_shapes.at(ins[1]);
            if (a.rank() == 4 && a[2] * a[3] == 1 && !(b.rank() == 4 && b[2] * b[3] == 1))
                std::swap(ins[0], ins[1]);
            emit(n, {{"type", "Mul"}}, ins);
        } else {
            emit(n, {{"type", "Add"}}, ins);
        }
    } else if (op == "Concat") {
        std::int64_t axis = attrInt(n, "axis", 1);
        if (axis < 0) axis += in.rank();
        if (axis != 1)
            fail(n, strCat("concatenation along axis ", attrInt(n, "axis", 1),
                           " is not supported (only the channels, axis 1)"));
        std::vector<std::string> ins;
        for (int i = 0; i < n.input_size(); ++i) {
            activation(n, i);
            ins.push_back(n.input(i));
        }
        if (ins.size() == 1)
            alias(n.output(0), ins[0]);
        else
            emit(n, {{"type", "Concat"}}, ins);
    } else if (op == "MaxPool" || op == "AveragePool") {
        convertPool(n, op == "MaxPool");
    } else if (op == "GlobalAveragePool") {
        if (in.rank() != 4) fail(n, strCat("needs an input (N, C, H, W), got ", in));
        one("GlobalAvgPool2d");
    } else if (op == "LRN") {
        if (in.rank() != 4) fail(n, strCat("needs an input (N, C, H, W), got ", in));
        const std::int64_t size = attrInt(n, "size", 0);
        if (size < 1) fail(n, "needs a positive size");
        emit(n,
             {{"type", "LRN"},
              {"size", size},
              {"alpha", tidy(attrFloat(n, "alpha", 1e-4f))},
              {"beta", tidy(attrFloat(n, "beta", 0.75f))},
              {"k", tidy(attrFloat(n, "bias", 1.0f))},
              {"window", "onnx"}},  // ONNX's window (it differs from PyTorch's for even sizes)
             {n.input(0)});
    } else {
        fail(n, strCat("operator '", op, "' is not supported. Supported: ", opList()));
    }
}

std::vector<std::int64_t> Converter::padsOf(const NodeProto& n) const {
    const std::string mode = attrString(n, "mode", "constant");
    if (mode != "constant")
        fail(n, strCat("mode '", mode, "' is not supported (only constant zero padding)"));
    std::vector<std::int64_t> pads;
    float value = 0.0f;
    if (m_opset < 11) {
        pads = attrInts(n, "pads", {});
        value = attrFloat(n, "value", 0.0f);
    } else {
        pads = ints(n, constant(n, 1));
        value = optionalScalar(n, 2).value_or(0.0f);
    }
    if (n.input_size() > 3 && !n.input(3).empty()) fail(n, "the axes input is not supported");
    if (value != 0.0f) fail(n, strCat("padding with ", value, " is not supported (only zeros)"));
    if (pads.size() != 8 || pads[0] || pads[4])
        fail(n, strCat("pads ", dimsText(pads),
                       " are not supported (only channels, height and width of (N, C, H, W))"));
    for (std::int64_t p : pads)
        if (p < 0 || p > kMaxWindow) fail(n, strCat("pads ", dimsText(pads), " out of range"));
    return pads;
}

void Converter::convertSlice(const NodeProto& n) {
    const Shape in = activation(n, 0);
    const auto refuse = [&](const std::string& what) {
        fail(n, strCat(what, "; a Slice of an activation is supported only as x[:, :, ::s, ::s] ",
                       "read by a Pad of the channels (ResNet's option-A shortcut)"));
    };
    if (in.rank() != 4) refuse(strCat("the input is ", in));
    std::vector<std::int64_t> starts, ends, axes, steps;
    if (m_opset < 10) {
        starts = attrInts(n, "starts", {});
        ends = attrInts(n, "ends", {});
        axes = attrInts(n, "axes", {});
    } else {
        starts = ints(n, constant(n, 1));
        ends = ints(n, constant(n, 2));
        if (n.input_size() > 3 && !n.input(3).empty()) axes = ints(n, constant(n, 3));
        if (n.input_size() > 4 && !n.input(4).empty()) steps = ints(n, constant(n, 4));
    }
    if (axes.empty())
        for (std::size_t k = 0; k < starts.size(); ++k)
            axes.push_back(static_cast<std::int64_t>(k));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (starts.size() != 2 || ends.size() != 2 || axes.size() != 2 || steps.size() != 2)
        refuse("it slices other axes than height and width");
    for (int k = 0; k < 2; ++k) {
        const std::int64_t axis = axes[k] < 0 ? axes[k] + 4 : axes[k];
        if (axis != 2 + k) refuse(strCat("axes ", dimsText(axes)));
        if (starts[k] != 0 || ends[k] < in[2 + k]) refuse("it does not keep the whole map");
    }
    if (steps[0] != steps[1] || steps[0] < 1 || steps[0] > kMaxWindow)
        refuse(strCat("steps ", dimsText(steps)));
    m_slices[n.output(0)] = {n.input(0), static_cast<int>(steps[0])};
}

void Converter::convertChannelPad(const NodeProto& n, const std::string& x, int stride,
                                  const std::vector<std::int64_t>& pads) {
    const Shape& in = m_shapes.at(x);
    if (in.rank() != 4) fail(n, strCat("needs an input (N, C, H, W), got ", in));
    if (pads[2] || pads[3] || pads[6] || pads[7])
        fail(n,
             strCat("pads ", dimsText(pads),
                    " pad the channels and the map at once; only one or the other is supported"));
    const std::int64_t cout = in[1] + pads[1] + pads[5];
    if (pads[1] != (cout - in[1]) / 2)
        fail(n, strCat("pads ", dimsText(pads), ": ", pads[1], " channels before and ", pads[5],
                       " after; LayerLens' ChannelPad puts (Cout - Cin)/2 before, the rest after"));
    emit(n, {{"type", "ChannelPad"}, {"out", cout}, {"stride", stride}}, {x});
}

bool Converter::tryGelu(const NodeProto& div) {
    const onnx::GraphProto& g = m_w.model.graph();
    if (div.input_size() != 2 || !isActivation(div.input(0))) return false;
    const std::string& x = div.input(0);
    const auto scalarIs = [&](const std::string& t, float v) {
        const auto it = m_consts.find(t);
        if (it == m_consts.end() || !it->second.proto || it->second.numel() != 1) return false;
        float f = 0;
        try {
            m_w.readFloats(*it->second.proto, &f, 1);
        } catch (const Error&) {
            return false;
        }
        return std::fabs(f - v) <= 1e-5f * std::max(1.0f, std::fabs(v));
    };
    // The one node reading tensor t, when it is an `op`; its index in *index.
    const auto sole = [&](const std::string& t, const char* op, int* index) -> const NodeProto* {
        const auto it = m_consumers.find(t);
        if (it == m_consumers.end() || it->second.size() != 1) return nullptr;
        const NodeProto& c = g.node(it->second[0]);
        if (c.op_type() != op || c.input_size() != (std::string(op) == "Erf" ? 1 : 2))
            return nullptr;
        *index = it->second[0];
        return &c;
    };
    const auto other = [](const NodeProto& n, const std::string& t) {
        return n.input(0) == t ? n.input(1) : n.input(1) == t ? n.input(0) : std::string();
    };
    int ie = 0, ia = 0, im = 0, ih = 0;
    if (!scalarIs(div.input(1), std::sqrt(2.0f))) return false;
    const NodeProto* erf = sole(div.output(0), "Erf", &ie);
    if (!erf) return false;
    const NodeProto* add = sole(erf->output(0), "Add", &ia);
    if (!add || !scalarIs(other(*add, erf->output(0)), 1.0f)) return false;
    const NodeProto* mul = sole(add->output(0), "Mul", &im);
    if (!mul || other(*mul, add->output(0)) != x) return false;
    const NodeProto* half = sole(mul->output(0), "Mul", &ih);
    if (!half || !scalarIs(other(*half, mul->output(0)), 0.5f)) return false;
    for (int k : {ie, ia, im, ih})
        m_fused.insert(k);
    emit(*half, {{"type", "GELU"}}, {x});  // named as the chain's last node
    return true;
}

void Converter::run() {
    const onnx::GraphProto& g = m_w.model.graph();
    const std::string& src = m_w.source;
    for (const TensorProto& t : g.initializer()) {
        if (t.name().empty()) throw ModelError(strCat(src, ": an initializer has no name"));
        Const c;
        c.proto = &t;
        c.dims.assign(t.dims().begin(), t.dims().end());
        elementCount(t, src);  // a negative or overflowing shape is refused here
        for (std::int64_t d : c.dims)
            if (d > std::numeric_limits<std::int32_t>::max())
                throw ModelError(strCat(src, ": tensor '", t.name(), "' has a dimension of ", d));
        m_consts[t.name()] = std::move(c);
    }
    // The input: the one graph input that is not an initializer (IR < 4 lists both).
    const onnx::ValueInfoProto* input = nullptr;
    for (const onnx::ValueInfoProto& v : g.input()) {
        if (m_consts.count(v.name())) continue;
        if (input)
            throw ModelError(strCat(src, ": the model has several inputs ('", input->name(), "', '",
                                    v.name(), "'); LayerLens models take one image"));
        input = &v;
    }
    if (!input) throw ModelError(strCat(src, ": the model has no input"));
    if (!input->type().has_tensor_type() ||
        input->type().tensor_type().elem_type() != TensorProto::FLOAT)
        throw ModelError(strCat(src, ": input '", input->name(), "' must be a float32 tensor"));
    const auto& dims = input->type().tensor_type().shape().dim();
    if (dims.size() != 4 && dims.size() != 2)
        throw ModelError(strCat(src, ": input '", input->name(), "' has rank ", dims.size(),
                                "; LayerLens needs (N, C, H, W) images or (N, features)"));
    std::vector<int> sample{1};
    for (int i = 1; i < dims.size(); ++i) {
        const auto& d = dims[i];
        const int given = i == 2 ? g_inputHeight.load() : i == 3 ? g_inputWidth.load() : 0;
        if (dims.size() == 4 && given > 0 && !(d.has_dim_value() && d.dim_value() > 0)) {
            m_inputDims.push_back(given);  // a dynamic height or width: --input-size
            sample.push_back(given);
            continue;
        }
        const bool dynamic = !d.has_dim_value() || d.dim_value() <= 0;
        if (dynamic && dims.size() == 4 && i >= 2) {
            // A height or width left open: a size can be given (the window asks for one).
            throw OnnxInputSizeError(strCat(
                src, ": input '", input->name(), "' has a dynamic ", i == 2 ? "height" : "width",
                d.has_dim_param() ? " ('" + d.dim_param() + "')" : std::string(),
                "; give the height and width with --input-size HxW (the window asks for them), "
                "or export it with a fixed height and width (only the batch may be dynamic)"));
        }
        if (dynamic || d.dim_value() > (1 << 20))
            throw ModelError(strCat(
                src, ": input '", input->name(), "' has a dynamic or invalid dimension ", i,
                d.has_dim_param() ? " ('" + d.dim_param() + "')" : std::string(),
                "; export it with a fixed channel count, height and width (only the batch may "
                "be dynamic), or give the height and width with --input-size HxW"));
        m_inputDims.push_back(static_cast<int>(d.dim_value()));
        sample.push_back(static_cast<int>(d.dim_value()));
    }
    m_producer[input->name()] = Net::kInputName;
    m_shapes[input->name()] = Shape(sample);

    if (g.output_size() < 1) throw ModelError(strCat(src, ": the model has no output"));
    const std::string output = g.output(0).name();
    if (g.output_size() > 1)
        warnings.push_back(strCat("the model has ", g.output_size(), " outputs; only the first, '",
                                  output, "', is kept"));
    // The nodes the output depends on, and who reads each tensor.
    std::unordered_map<std::string, int> producerNode;
    for (int i = 0; i < g.node_size(); ++i)
        for (const std::string& o : g.node(i).output())
            if (!o.empty()) producerNode[o] = i;
    std::vector<char> needed(static_cast<std::size_t>(g.node_size()), 0);
    std::vector<std::string> stack{output};
    std::set<std::string> seen;
    while (!stack.empty()) {
        const std::string t = stack.back();
        stack.pop_back();
        if (!seen.insert(t).second) continue;
        const auto it = producerNode.find(t);
        if (it == producerNode.end()) continue;
        needed[static_cast<std::size_t>(it->second)] = 1;
        for (const std::string& in : g.node(it->second).input())
            if (!in.empty()) stack.push_back(in);
    }
    for (int i = 0; i < g.node_size(); ++i) {
        if (!needed[static_cast<std::size_t>(i)]) continue;
        for (const std::string& in : g.node(i).input())
            if (!in.empty()) m_consumers[in].push_back(i);
    }
    for (int i = 0; i < g.node_size(); ++i) {
        if (!needed[static_cast<std::size_t>(i)] || m_fused.count(i)) continue;
        convert(g.node(i));
    }
    if (isConst(output))
        throw ModelError(strCat(src, ": the output '", output, "' does not depend on the input"));
    const auto it = m_producer.find(output);
    if (it == m_producer.end())
        throw ModelError(strCat(src, ": no node produces the output '", output, "'"));
    if (it->second == Net::kInputName || m_layers.empty())
        throw ModelError(
            strCat(src, ": the model's output is its input; there is nothing to show"));
    if (it->second != m_last)
        throw ModelError(strCat(src, ": the output '", output, "' is not the last node computed"));
}

json Converter::document(const std::string& name, const std::string& description) const {
    json doc = {{"name", name}, {"description", description}, {"input", m_inputDims}};
    std::string dataset = "none";
    if (m_inputDims == std::vector<int>{1, 28, 28}) dataset = "mnist";
    if (m_inputDims == std::vector<int>{3, 32, 32}) dataset = "cifar10";
    doc["dataset"] = dataset;
    doc["loss"] = "cross_entropy";
    // Fine-tuning defaults: a small step, so pretrained weights are not thrown away at once.
    doc["defaults"] = {
        {"optimizer", "sgd"}, {"lr", 0.001}, {"momentum", 0.9}, {"batch", 64}, {"epochs", 1}};
    doc["layers"] = m_layers;
    return doc;
}

std::string modelName(const std::string& path) {
    std::string stem = std::filesystem::path(path).stem().string();
    return stem.empty() ? std::string("onnx-model") : stem;
}

std::vector<std::string> readLabels(const onnx::ModelProto& model, const std::string& path) {
    for (const auto& kv : model.metadata_props()) {
        if (kv.key() != "class_names" && kv.key() != "labels" && kv.key() != "classes") continue;
        std::vector<std::string> names;
        try {
            const json j = json::parse(kv.value());
            if (j.is_array()) {
                for (const json& e : j)
                    names.push_back(e.is_string() ? e.get<std::string>() : e.dump());
                return names;
            }
            if (j.is_object()) {  // {"0": "tench", ...}
                names.resize(j.size());
                for (auto e = j.begin(); e != j.end(); ++e) {
                    const std::size_t k = std::stoul(e.key());
                    if (k >= names.size()) return {};
                    names[k] = e.value().is_string() ? e.value().get<std::string>() : "";
                }
                return names;
            }
        } catch (const std::exception&) {
            // Not JSON: one name per line or comma.
        }
        std::string cur;
        for (char ch : kv.value() + "\n") {
            if (ch == '\n' || ch == ',') {
                if (!cur.empty()) names.push_back(cur);
                cur.clear();
            } else if (ch != '\r') {
                cur += ch;
            }
        }
        return names;
    }
    const std::filesystem::path labels = std::filesystem::path(path).parent_path() / "labels.txt";
    std::ifstream in(labels);
    std::vector<std::string> names;
    for (std::string line; std::getline(in, line) && names.size() < 100000;) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        names.push_back(line);
    }
    return names;
}

}  // namespace

void setOnnxInputSize(int height, int width) {
    g_inputHeight = std::max(0, height);
    g_inputWidth = std::max(0, width);
}

std::optional<std::pair<int, int>> parseInputSize(const std::string& text) {
    std::size_t i = 0;
    const auto spaces = [&] {
        while (i < text.size() && text[i] == ' ')
            ++i;
    };
    const auto number = [&]() -> int {
        const std::size_t from = i;
        long v = 0;
        while (i < text.size() && i - from < 6 && text[i] >= '0' && text[i] <= '9')
            v = 10 * v + (text[i++] - '0');
        return i == from || (i < text.size() && text[i] >= '0' && text[i] <= '9') || v < 1 ||
                       v > 16384
                   ? 0
                   : static_cast<int>(v);
    };
    spaces();
    const int h = number();
    spaces();
    static const std::string times = "\u00d7";
    if (text.compare(i, times.size(), times) == 0) {
        i += times.size();
    } else if (i < text.size() && std::string("xX*,").find(text[i]) != std::string::npos) {
        ++i;
    } else if (i == 0 || text[i - 1] != ' ') {
        return std::nullopt;  // no separator (a space counts as one)
    }
    spaces();
    const int w = number();
    spaces();
    if (h == 0 || w == 0 || i != text.size()) return std::nullopt;
    return std::make_pair(h, w);
}

ModelDefaults onnxFineTuneDefaults() {
    ModelDefaults d;
    d.optimizer = "sgd";
    d.lr = 0.001f;
    d.momentum = 0.9f;
    d.batch = 64;
    d.epochs = 1;
    return d;
}

bool isOnnxPath(const std::string& path) {
    return lower(std::filesystem::path(path).extension().string()) == ".onnx";
}

std::vector<std::string> onnxSupportedOps() {
    std::set<std::string> all(kLayerOps.begin(), kLayerOps.end());
    all.insert(kConstantOps.begin(), kConstantOps.end());
    // Read as parts of one layer: ResNet's option-A shortcut and the exact GELU.
    all.insert({"Slice", "Erf"});
    return {all.begin(), all.end()};
}

OnnxImport importOnnx(const std::string& path) {
    auto w = std::make_shared<OnnxImport::Weights>();
    w->source = path;
    w->dir = std::filesystem::path(path).parent_path().string();
    {
        std::ifstream in(path, std::ios::binary | std::ios::ate);
        if (!in) throw DataError(strCat("cannot open ONNX model '", path, "'"));
        const std::uint64_t size = static_cast<std::uint64_t>(in.tellg());
        if (size == 0) throw DataError(strCat(path, ": empty file, not an ONNX model"));
        if (size >= kProtobufLimit)
            throw DataError(strCat(path, ": ", formatBytes(size),
                                   " is over protobuf's 2 GB limit; export the model with its "
                                   "weights as external data (onnx.save(..., "
                                   "save_as_external_data=True))"));
        requireBudget(size * 2, strCat("ONNX model '", path, "'"));
        in.seekg(0);
        if (!w->model.ParseFromIstream(&in))
            throw DataError(strCat(path,
                                   ": not an ONNX model (not a valid protobuf ModelProto, "
                                   "or truncated)"));
    }
    const onnx::ModelProto& m = w->model;
    if (!m.has_graph() || m.graph().node_size() == 0)
        throw DataError(strCat(path, ": not an ONNX model (no graph)"));
    int opset = -1;
    for (const auto& o : m.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx")
            opset = static_cast<int>(std::min<std::int64_t>(o.version(), 1 << 20));
    if (opset < 0) throw ModelError(strCat(path, ": the model imports no ai.onnx opset"));
    if (opset < kOnnxMinOpset || opset > kOnnxMaxOpset)
        throw ModelError(strCat(path, ": opset ", opset, " is not supported (", kOnnxMinOpset,
                                " to ", kOnnxMaxOpset,
                                "); export with torch.onnx.export(..., opset_version=13)"));
    // A side file that is missing is a data error naming the tensor and the file (ONNX's
    // checker would call the model invalid).
    for (const TensorProto& t : m.graph().initializer()) {
        if (t.data_location() != TensorProto::EXTERNAL) continue;
        const std::string file = w->externalFile(t);
        if (!std::ifstream(file, std::ios::binary))
            throw DataError(strCat(path, ": tensor '", t.name(),
                                   "': cannot open its external data '", file,
                                   "' (it belongs beside the model file)"));
    }
    try {
        onnx::checker::CheckerContext ctx;
        ctx.set_ir_version(static_cast<int>(m.ir_version()));
        std::unordered_map<std::string, int> opsets;
        for (const auto& o : m.opset_import())
            opsets[o.domain()] = static_cast<int>(o.version());
        ctx.set_opset_imports(opsets);
        ctx.set_model_dir(w->dir.empty() ? "." : w->dir);
        onnx::checker::LexicalScopeContext lex;
        onnx::checker::check_graph(m.graph(), ctx, lex);
    } catch (const std::exception& e) {
        std::string what = e.what();
        if (const auto nl = what.find("\n\n"); nl != std::string::npos) what.resize(nl);
        throw ModelError(strCat(path, ": not a valid ONNX model: ", what));
    }

    Converter c(*w, opset);
    c.run();
    std::string producer = validUtf8(m.producer_name());
    if (!m.producer_version().empty()) producer += " " + validUtf8(m.producer_version());
    OnnxImport out;
    out.m_json =
        c.document(validUtf8(modelName(path)),
                   strCat("Imported from ", std::filesystem::path(path).filename().string(), " (",
                          producer.empty() ? "unknown producer" : producer, ", opset ", opset, ")"))
            .dump(1, ' ', false, json::error_handler_t::replace);
    out.m_warnings = std::move(c.warnings);
    out.m_classNames = readLabels(m, path);
    out.m_weights = std::move(w);
    return out;
}

void OnnxImport::loadWeights(Net& net) const {
    LL_CHECK(m_weights != nullptr, "OnnxImport::loadWeights without an import");
    const Weights& w = *m_weights;
    for (const Weights::Entry& e : w.entries) {
        const int i = net.indexOf(e.node);
        if (i < 0) throw ModelError(strCat(w.source, ": the net has no node '", e.node, "'"));
        Tensor* dst = nullptr;
        for (Param* p : net.layer(i).params())
            if (p->name == e.key) dst = &p->value;
        for (const Buffer& b : net.layer(i).buffers())
            if (b.name == e.key) dst = b.tensor;
        if (!dst)
            throw ModelError(strCat(w.source, ": node '", e.node, "' has no tensor '", e.key, "'"));
        const std::int64_t n = dst->numel();
        if (e.broadcast) {
            if (e.broadcast != n) throw ModelError(strCat(w.source, ": bias size mismatch"));
            float v = 0;
            w.readFloats(*e.tensor, &v, 1);
            dst->fill(v * e.scale);
            continue;
        }
        if (e.transpose) {
            // A (K, M) matrix for a (M, K) weight.
            const std::int64_t rows = dst->dim(0), cols = dst->dim(1);
            std::vector<float> t(static_cast<std::size_t>(n));
            w.readFloats(*e.tensor, t.data(), n);
            float* d = dst->data();
            for (std::int64_t r = 0; r < rows; ++r)
                for (std::int64_t k = 0; k < cols; ++k)
                    d[r * cols + k] = t[static_cast<std::size_t>(k * rows + r)];
        } else {
            w.readFloats(*e.tensor, dst->data(), n);
        }
        if (e.scale != 1.0f) dst->vector() *= e.scale;
    }
    net.setPretrained(true);
}

}  // namespace ll
