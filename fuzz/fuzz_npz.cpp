// .npz archives: readZip and parseNpy in memory, then loadMnistNpz on the file.
//
// Mode bits:
//   0x01 structured: the harness builds a valid zip (CRCs, local headers, directory) of the parts;
//        otherwise part 0 is the whole archive
//   0x02 (structured) parts are name, content pairs; otherwise they are x_train, y_train,
//        x_test and y_test in that order
//   0x04 (structured) deflate the members
//   0x08 (structured) zip64 extra fields, as numpy writes them
//   0x10 (structured) each content is "npy header dict\ndata" and becomes a valid .npy
//   0x20 gzip the whole file (loadMnistNpz reads it with readMaybeGzip)
//   0x40 the "test" split
#include "core/data/npz.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    std::string archive = in.part(0);
    if (in.mode & 0x01) {
        static const char* kNames[] = {"x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy"};
        std::vector<ZipMember> members;
        const bool pairs = in.mode & 0x02;
        for (std::size_t i = 0; i < in.parts.size(); i += pairs ? 2 : 1) {
            ZipMember m;
            m.name = pairs ? in.part(i) : i < 4 ? kNames[i] : "extra" + std::to_string(i) + ".npy";
            m.data = pairs ? in.part(i + 1) : in.part(i);
            if (in.mode & 0x10) m.data = npyFromLine(m.data);
            m.deflate = in.mode & 0x04;
            m.zip64 = in.mode & 0x08;
            members.push_back(std::move(m));
        }
        archive = zip(members);
    }
    guarded([&] {
        for (const auto& [name, bytes] : ll::readZip(toBytes(archive), "memory.npz"))
            guarded([&, &name = name, &bytes = bytes] { ll::parseNpy(bytes, name).count(); });
    });
    const fs::path dir = fresh("npz");
    writeFile(dir / "mnist.npz", in.mode & 0x20 ? gzip(archive) : archive);
    guarded(
        [&] { ll::loadMnistNpz((dir / "mnist.npz").string(), in.mode & 0x40 ? "test" : "train"); });
    return 0;
}
