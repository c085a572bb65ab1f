// Image folders: loadImageFolder with the core's own PGM/PPM decoder (what the command line
// uses), and decodeImage on every file.
//
// Each part is one file: its first byte says where it goes (class folder c0..c3 from bits 0-1,
// test split from bit 2 in the train/test layout, .ppm instead of .pgm from bit 3, a name the
// loader skips from bit 4), the rest are the file's bytes. Mode bits: 0x01 three channels (else
// one); 0x02 the train/test layout (else one folder per class, split 80/20); 0x0c the model's
// input size: 1, 7, 28 or 32 pixels square.
#include "core/data/image_folder.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    static const int kSizes[] = {1, 7, 28, 32};
    const int C = in.mode & 0x01 ? 3 : 1, S = kSizes[in.mode >> 2 & 3];
    const bool split = in.mode & 0x02;
    const fs::path root = fresh("images");
    std::vector<fs::path> files;
    for (std::size_t i = 0; i < in.parts.size(); ++i) {
        const std::string& p = in.parts[i];
        if (p.empty()) continue;
        const auto where = static_cast<std::uint8_t>(p[0]);
        fs::path dir = root;
        if (split) dir /= where & 0x04 ? "test" : "train";
        dir /= "c" + std::to_string(where & 3);
        const std::string ext = where & 0x10 ? ".txt" : where & 0x08 ? ".ppm" : ".pgm";
        files.push_back(dir / ("img" + std::to_string(i) + ext));
        writeFile(files.back(), p.substr(1));
    }
    for (const fs::path& f : files) {
        ll::DecodedImage img;
        std::string why;
        guarded([&] {
            if (ll::decodeImage(f.string(), img, &why)) ll::toModelInput(img, C, S, S);
        });
    }
    guarded([&] { ll::loadImageFolder(root.string(), C, S, S, in.mode); });
    return 0;
}
