#pragma once
// Model-file checks shared by the layer tests: a layer type's node written and read back, and
// an unknown key refused.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/layer_io.h"
#include "core/model_file.h"

namespace ll::test {

/// The keys of a model-file node, e.g. {"name", "slope", "type"}.
inline std::set<std::string> keysOf(const nlohmann::json& node) {
    std::set<std::string> keys;
    for (auto it = node.begin(); it != node.end(); ++it)
        keys.insert(it.key());
    return keys;
}

/// Builds a tiny net — input (2, 3, 3), the node `layerJson` (an object's text), Flatten,
/// Linear to 4 — writes it back with layersToJson, builds the written list again, gives the new
/// net the first one's weights and expects the same output bit for bit on an input spread over
/// [−6, 6] (both sides of every kink of the activations). Returns the written node of the layer.
inline nlohmann::json expectModelRoundTrip(const std::string& layerJson) {
    const std::string doc = R"({"name": "roundtrip", "input": [2, 3, 3], "layers": [)" + layerJson +
                            R"(, {"type": "Flatten"}, {"type": "Linear", "out": 4}]})";
    Net a = buildNet(doc, nullptr, "roundtrip.json");
    const nlohmann::json written = layersToJson(a);
    const nlohmann::json rewritten = {
        {"name", "roundtrip"}, {"input", {2, 3, 3}}, {"layers", written}};
    Net b = buildNet(rewritten.dump(), nullptr, "rewritten.json");
    EXPECT_EQ(layersToJson(b), written);

    a.resetParameters(7);
    const std::vector<Param*> pa = a.params(), pb = b.params();
    EXPECT_EQ(pa.size(), pb.size());
    for (std::size_t i = 0; i < std::min(pa.size(), pb.size()); ++i)
        pb[i]->value = pa[i]->value;
    Tensor x({2, 2, 3, 3});
    Rng rng(3);
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.uniform(-6.0f, 6.0f);
    const std::vector<float> ya = a.forward(x, Mode::Eval).values();
    EXPECT_EQ(b.forward(x, Mode::Eval).values(), ya);
    return written.empty() ? nlohmann::json() : written[0];
}

/// Expects a node of `type` with the unknown key "slop" to be refused with a ModelError that
/// names the key.
inline void expectUnknownKeyRefused(const std::string& type) {
    const std::string doc =
        R"({"input": [2, 3, 3], "layers": [{"type": ")" + type + R"(", "slop": 0.1}]})";
    try {
        buildNet(doc, nullptr, "typo.json");
        ADD_FAILURE() << type << " accepted the unknown key \"slop\"";
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("unknown key \"slop\""), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("(" + type + ")"), std::string::npos) << e.what();
    }
}

}  // namespace ll::test
