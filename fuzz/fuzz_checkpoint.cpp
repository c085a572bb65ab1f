// Checkpoints: readCheckpointInfo, then loadCheckpoint into a small net (conv, batch norm,
// linear) with an Adam optimizer and without one.
//
// Parts: the JSON header, the tensor data, and an optional 8-byte header-length field. The
// harness writes a valid file around them: magic, the length (recomputed unless mode 0x02 and the
// third part has 8 bytes), header, data and the recomputed CRC-32, so the fuzzer reaches the
// header and tensor directory instead of stopping at the checksum. Mode bits:
//   0x01 gzip the file (checkpoints are read with readMaybeGzip)
//   0x02 take the header-length field from part 2 (lengths that disagree with the file)
//   0x04 part 0 is the whole file, unchanged (the magic and checksum checks themselves)
#include "core/checkpoint.h"
#include "core/model_file.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    std::string file = in.mode & 0x04 ? in.part(0)
                                      : checkpoint(in.part(0), in.part(1),
                                                   in.mode & 0x02 ? in.part(2) : std::string());
    if (in.mode & 0x01) file = gzip(file);
    const fs::path dir = fresh("ckpt");
    const std::string path = (dir / "checkpoint.llck").string();
    writeFile(path, file);
    guarded([&] { ll::readCheckpointInfo(path); });
    ll::Net net = ll::buildNet(kCheckpointModel);
    auto adam = ll::makeOptimizer("adam", net.params(), ll::OptimizerOptions{});
    guarded([&] { ll::loadCheckpoint(path, net, adam.get()); });
    guarded([&] { ll::loadCheckpoint(path, net); });
    return 0;
}
