// The .tar.gz extractor of the downloads: extractTarGz into an empty folder.
//
// Mode & 3:
//   0 structured: each part is an entry "<type char><name>\n<content>"; the harness writes a
//     valid ustar archive (header checksums, sizes, padding, end blocks) and gzips it
//   1 part 0 is the tar stream; the harness gzips it
//   2 part 0 is the whole .tar.gz file (damaged gzip streams)
// Checked after every input, besides the error contract: nothing was written outside the
// destination, and no staging folder (.extracting) is left behind.
#include "core/data/download.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    std::string file;
    switch (in.mode & 3) {
        case 0: {
            std::vector<TarEntry> entries;
            for (const std::string& p : in.parts) {
                if (p.empty()) continue;
                TarEntry e;
                e.type = p[0];
                const std::size_t nl = p.find('\n');
                e.name = p.substr(1, nl == std::string::npos ? std::string::npos : nl - 1);
                if (nl != std::string::npos) e.data = p.substr(nl + 1);
                entries.push_back(std::move(e));
            }
            file = gzip(tar(entries));
            break;
        }
        case 1:
            file = gzip(in.part(0));
            break;
        default:
            file = in.part(0);
    }
    const fs::path root = fresh("tar");
    const fs::path box = root / "box", dest = box / "dest";
    fs::create_directories(dest);
    writeFile(root / "archive.tar.gz", file);
    guarded([&] { ll::extractTarGz((root / "archive.tar.gz").string(), dest.string()); });
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(box, ec))
        require(e.path() == dest,
                "extractTarGz wrote outside its destination: " + e.path().string());
    require(!fs::exists(dest / ".extracting", ec), "extractTarGz left dest/.extracting behind");
    return 0;
}
