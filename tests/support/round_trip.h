#pragma once
// Model-file round trips: a document is built, written back (layersToJson) and built again; both
// nets must compute the same output from the same parameters.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/layer_io.h"
#include "core/model_file.h"

namespace ll::test {

/// Builds `doc`, draws parameters from a fixed seed, runs a fixed input of batch 2 through it;
/// then builds {"input": the same, "layers": layersToJson(net)} with the same seed and expects
/// the same output bit for bit. Returns the written layers, for the caller to check what was
/// written.
inline nlohmann::json expectRoundTrip(const std::string& doc) {
    Net a = buildNet(doc);
    const nlohmann::json written = layersToJson(a);
    const nlohmann::json doc2 = {{"input", a.inputSample().dims()}, {"layers", written}};
    Net b = buildNet(doc2.dump());
    Tensor x(a.inputSample().batched(2));
    Rng rng(5);
    for (float& v : x.vector())
        v = rng.normal();
    a.resetParameters(3);
    b.resetParameters(3);
    const Tensor ya = a.forward(x, Mode::Eval);
    const Tensor& yb = b.forward(x, Mode::Eval);
    EXPECT_EQ(ya.shape(), yb.shape()) << written.dump();
    EXPECT_EQ(ya.values(), yb.values()) << written.dump();
    EXPECT_EQ(layersToJson(b), written);
    return written;
}

/// The message of the ModelError that building `doc` throws ("" if none).
inline std::string modelErrorOf(const std::string& doc) {
    try {
        buildNet(doc, nullptr, "test.json");
    } catch (const ModelError& e) {
        return e.what();
    }
    return "";
}

}  // namespace ll::test
