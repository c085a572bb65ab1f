// .npy arrays: parseNpy.
//
// Mode bits:
//   0x01 structured: the first line of part 0 is the header dict, the rest the data; the harness
//        writes the magic, the version and the header length (so mutations reach the dict)
//   0x06 the version written in structured mode: 1 + (mode >> 1 & 3) (4 is unsupported)
// Otherwise part 0 is the whole file.
#include "core/data/npz.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    const std::string file =
        in.mode & 0x01 ? npyFromLine(in.part(0), 1 + (in.mode >> 1 & 3)) : in.part(0);
    guarded([&] {
        const ll::NpyArray a = ll::parseNpy(toBytes(file), "array.npy");
        require(a.data.size() <= file.size(), "parseNpy returned more data than the file holds");
    });
    return 0;
}
