// Other tools' logs: TensorBoard event files (TFRecord framing, Event / Summary messages) and
// Lightning / Keras CSV logs, read by loadRun and listRuns (core/foreign_runs.h, core/tfevents.h).
//
// Mode bits 0x0C choose the layout: 0x00 an event file, 0x04 Keras' train/ and validation/
// folders (parts 0 and 1), 0x08 a Lightning metrics.csv (part 0), 0x0C a Keras CSV log (part 0).
// For event files, 0x01 writes part 0 as the raw file; else each part is one record's data,
// framed here with correct lengths and CRCs (so mutations reach the protobuf decoder); 0x02 then
// cuts the last record short by (mode >> 4) + 1 bytes.
//
// An event file is also followed as it grows (ForeignRunFollower): written in two pieces, cut at
// a point the input chooses, polled after each; what it then holds must be the curves of the
// whole file read at once.
#include "core/foreign_runs.h"
#include "core/runs.h"
#include "core/tfevents.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

namespace {

std::string events(const Input& in, std::size_t first, std::size_t count) {
    if (in.mode & 0x01) return in.part(first);
    std::string bytes;
    for (std::size_t i = first; i < std::min(in.parts.size(), first + count); ++i)
        bytes += ll::tfRecord(in.parts[i]);
    if ((in.mode & 0x02) && !bytes.empty())
        bytes.resize(bytes.size() - std::min<std::size_t>(bytes.size(), (in.mode >> 4) + 1u));
    return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    const fs::path root = fresh("tfevents");
    const fs::path dir = root / "run";
    switch (in.mode & 0x0C) {
        case 0x00:
            writeFile(dir / "events.out.tfevents.1.fuzz", events(in, 0, in.parts.size()));
            break;
        case 0x04:
            writeFile(dir / "train" / "events.out.tfevents.1.fuzz", events(in, 0, 1));
            writeFile(dir / "validation" / "events.out.tfevents.1.fuzz", events(in, 1, 1));
            break;
        case 0x08:
            writeFile(dir / "metrics.csv", in.part(0));
            break;
        default:
            writeFile(dir / "history.csv", in.part(0));
            break;
    }
    guarded([&] { ll::loadRun(dir.string()); });
    guarded([&] { ll::listRuns(root.string()); });
    if ((in.mode & 0x0C) == 0x00) {
        const std::string bytes = events(in, 0, in.parts.size());
        const std::size_t cut = bytes.empty() ? 0 : (size * 7919u) % (bytes.size() + 1);
        const fs::path file = dir / "events.out.tfevents.1.fuzz";
        writeFile(file, bytes.substr(0, cut));
        guarded([&] {
            ll::ForeignRunFollower f(dir.string());
            writeFile(file, bytes);
            f.poll();
            const ll::RunData whole = ll::loadForeignRun(dir.string());
            require(f.run().curves.size() == whole.curves.size(),
                    "followed curves differ from the whole file's");
            for (std::size_t i = 0; i < whole.curves.size(); ++i)
                require(f.run().curves[i].source == whole.curves[i].source &&
                            f.run().curves[i].points.size() == whole.curves[i].points.size(),
                        "followed curve " + whole.curves[i].source + " differs");
        });
    }
    return 0;
}
