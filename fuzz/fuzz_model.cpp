// Model files (JSON): buildNet in memory, then readModelSpec and loadModel on a file.
//
// Part 0 is the document. Mode bits:
//   0x01 also write it to a file and read it with readModelSpec and loadModel (the file path)
//   0x02 print the built net's summary (walks every layer's description and shapes), its cost
//        table (every node's cost and receptive-field rule) and build it again from the
//        document it writes (layersToJson)
#include "core/analysis/cost.h"
#include "core/layer_io.h"
#include "core/model_file.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    const std::string& text = in.part(0);
    guarded([&] {
        ll::ModelSpec spec;
        ll::Net net = ll::buildNet(text, &spec, "fuzz.json");
        if (in.mode & 0x02) {
            net.summary();
            ll::computeCosts(net);
            const ll::json doc = {{"input", net.inputSample().dims()},
                                  {"layers", ll::layersToJson(net)}};
            ll::buildNet(doc.dump(), nullptr, "round trip", ll::Build::ShapesOnly);
        }
    });
    if (in.mode & 0x01) {
        const fs::path dir = fresh("model");
        const std::string path = (dir / "model.json").string();
        writeFile(path, text);
        guarded([&] { ll::readModelSpec(path); });
        guarded([&] { ll::loadModel(path); });
    }
    return 0;
}
