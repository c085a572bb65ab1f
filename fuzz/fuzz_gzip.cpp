// readMaybeGzip, which every loader and the checkpoint reader use.
//
// Mode bit 0x01: part 0 is the whole file, unchanged (damaged headers, trailers, streams).
// Otherwise the harness gzips part 0 and appends part 1 raw (trailing bytes, a second member or
// a truncation marker the fuzzer can grow).
#include "core/data/file_io.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    const std::string file = in.mode & 0x01 ? in.part(0) : gzip(in.part(0)) + in.part(1);
    const fs::path dir = fresh("gzip");
    writeFile(dir / "file.gz", file);
    guarded([&] {
        const std::vector<std::uint8_t> out = ll::readMaybeGzip((dir / "file.gz").string());
        if (!(in.mode & 0x01) && in.part(1).empty())
            require(out == toBytes(in.part(0)), "readMaybeGzip changed a valid gzip stream");
    });
    return 0;
}
