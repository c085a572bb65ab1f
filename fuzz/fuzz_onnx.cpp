// ONNX models: importOnnx through loadModel on a file, as the window and the commands open them.
//
// Part 0 is the .onnx file; part 1, when present, is written beside it as "weights.bin" (the
// external data file a tensor may name). Mode bits:
//   0x01 also build it shapes only and walk its cost table (every node's cost and field rule)
//   0x02 also read only its spec (readModelSpec), as the window's panel would
#include "core/analysis/cost.h"
#include "core/model_file.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    const fs::path dir = fresh("onnx");
    const std::string path = (dir / "model.onnx").string();
    writeFile(path, in.part(0));
    if (in.parts.size() > 1) writeFile(dir / "weights.bin", in.part(1));
    guarded([&] { ll::loadModel(path); });
    if (in.mode & 0x01)
        guarded([&] { ll::computeCosts(ll::loadModel(path, nullptr, ll::Build::ShapesOnly)); });
    if (in.mode & 0x02) guarded([&] { ll::readModelSpec(path); });
    return 0;
}
