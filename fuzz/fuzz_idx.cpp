// MNIST IDX files, raw and gzipped: parseMnist in memory, or loadMnist/findMnist on a folder.
//
// Parts: images, labels, and optionally a 4-byte count. Mode bits:
//   0x01 load from files (loadMnist) instead of memory (parseMnist)
//   0x02 gzip the files (the harness compresses: the IDX bytes get fuzzed, not the deflate stream)
//   0x04 write the IDX headers (magic, count, 28 x 28) so mutations go into counts and pixels;
//        the count is the third part when it has 4 bytes, else what the images part holds
//   0x08 files under MNIST/raw (torchvision's layout)
//   0x10 the "test" split (t10k-*) instead of "train"
//   0x20 write the parts as .gz files unchanged (damaged gzip streams)
#include "core/data/mnist.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    std::string images = in.part(0), labels = in.part(1);
    if (in.mode & 0x04) {
        std::uint32_t n = static_cast<std::uint32_t>(images.size() / 784);
        const std::string& count = in.part(2);
        if (count.size() == 4)
            n = static_cast<std::uint32_t>(static_cast<std::uint8_t>(count[0])) << 24 |
                static_cast<std::uint32_t>(static_cast<std::uint8_t>(count[1])) << 16 |
                static_cast<std::uint32_t>(static_cast<std::uint8_t>(count[2])) << 8 |
                static_cast<std::uint32_t>(static_cast<std::uint8_t>(count[3]));
        std::string ih, lh;
        putBig32(ih, 2051);
        putBig32(ih, n);
        putBig32(ih, 28);
        putBig32(ih, 28);
        putBig32(lh, 2049);
        putBig32(lh, n);
        images = ih + images;
        labels = lh + labels;
    }
    if (!(in.mode & 0x01)) {
        guarded([&] { ll::parseMnist(toBytes(images), toBytes(labels), "images", "labels"); });
        return 0;
    }
    const fs::path root = fresh("mnist");
    const fs::path dir = in.mode & 0x08 ? root / "MNIST" / "raw" : root;
    const std::string prefix = in.mode & 0x10 ? "t10k" : "train";
    const bool gz = in.mode & 0x22;
    const std::string ext = gz ? ".gz" : "";
    const bool compress = (in.mode & 0x02) && !(in.mode & 0x20);
    writeFile(dir / (prefix + "-images-idx3-ubyte" + ext), compress ? gzip(images) : images);
    writeFile(dir / (prefix + "-labels-idx1-ubyte" + ext), compress ? gzip(labels) : labels);
    guarded([&] {
        ll::findMnist(root.string());
        ll::loadMnist(root.string(), in.mode & 0x10 ? "test" : "train");
    });
    return 0;
}
