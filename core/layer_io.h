#pragma once
// Reading and writing one node of a model file (README, "Model files"). A layer type reads its
// node through a LayerReader (its kind's reader, core/layers/registry.h) and writes it back with
// Layer::write; the net writes the keys every node has (type, name, inputs, group).

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/layers/window.h"
#include "core/net.h"

namespace ll {

using nlohmann::json;
constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();

/// One node's object of a model file, with the shapes of its inputs. Every failure throws
/// ModelError naming the source, the node's index, name and type.
class LayerReader {
public:
    /// `inputs`: the batched (N = 1) shapes of the node's inputs, in order.
    LayerReader(const json& j, int index, const std::string& source, std::vector<Shape> inputs = {})
        : m_j(j), m_index(index), m_source(source), m_inputs(std::move(inputs)) {
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
    const std::string& source() const { return m_source; }

    /// The shapes of the node's inputs (batched, N = 1).
    const std::vector<Shape>& inputs() const { return m_inputs; }
    /// The one input of a single-input layer.
    const Shape& input() const {
        if (m_inputs.size() != 1) fail(strCat("takes one input, got ", m_inputs.size()));
        return m_inputs[0];
    }
    /// The channels of a (N, C, H, W) input, checked against "in" when the file gives it.
    int channelsIn() const {
        const Shape& in = input();
        if (in.rank() != 4)
            fail(strCat("needs an input (C, H, W); the previous output is ", in.sample()));
        const int cin = integer("in", in[1]);
        if (cin != in[1])
            fail(strCat("\"in\": ", cin, " but the previous output has ", in[1],
                        " channels, shape ", in.sample()));
        return cin;
    }
    /// The features of a flat (N, F) input, checked against "in" when the file gives it.
    int featuresIn() const {
        const Shape& in = input();
        if (in.rank() != 2)
            fail(strCat("needs a flat input (features); the previous output is ", in.sample(),
                        " — add {\"type\": \"Flatten\"} before it"));
        const int nin = integer("in", in[1]);
        if (nin != in[1])
            fail(strCat("\"in\": ", nin, " but the previous output has ", in[1], " features"));
        return nin;
    }

    void allowOnly(std::initializer_list<const char*> keys) const {
        for (auto it = m_j.begin(); it != m_j.end(); ++it) {
            if (it.key() == "type" || it.key() == "name" || it.key() == "comment" ||
                it.key() == "inputs" || it.key() == "group")
                continue;
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
    std::vector<Shape> m_inputs;
    std::string m_type, m_name;
};

/// "kernel", "stride" (PyTorch's defaults: 1 for convolutions, the kernel for pooling),
/// "dilation" (convolutions only; default 1) and "padding": an integer, [h, w],
/// [top, left, bottom, right] or "same" (stride 1; an odd total goes to the bottom and right, as
/// in PyTorch). The values are checked by the layer (validateWindow).
Window2d readWindow(const LayerReader& r, bool pool);
/// The same keys, written so that readWindow reads them back (defaults left out; padding as
/// [top, left, bottom, right] only when it is not symmetric).
void writeWindow(json& j, const Window2d& w, bool pool);
/// "padding" alone (ZeroPad2d): an integer, [h, w] or [top, left, bottom, right] into w.ph,
/// w.pw and, for four values, w.pb, w.pr; `w` is left as it is when the key is absent. The values
/// are checked by the layer.
void readPadding(const LayerReader& r, Window2d& w);
/// Writes w's padding as readPadding reads it: nothing when it is zero, an integer or [h, w] when
/// it is symmetric, else [top, left, bottom, right]. writeWindow writes padding this way.
void writePadding(json& j, const Window2d& w);

/// Builds the nodes of a model-file "layers" list into `net` (a whole model, or a Concat
/// module's branch). Throws ModelError naming the node.
void addLayersFromJson(Net& net, const json& list, const std::string& source);
/// The nodes of `net` as a model-file "layers" list: what addLayersFromJson reads back into the
/// same graph. Inputs and groups are written where they differ from the default.
json layersToJson(const Net& net);

}  // namespace ll
