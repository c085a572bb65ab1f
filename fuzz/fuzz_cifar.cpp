// CIFAR-10 binary batches and batches.meta.txt: parseCifarBatch in memory, or loadCifar10 on a
// folder.
//
// Parts: the first batch (data_batch_1.bin, or test_batch.bin for the test split),
// batches.meta.txt, then data_batch_2..5.bin. Mode bits:
//   0x01 load from files (loadCifar10) instead of memory (parseCifarBatch on every batch part)
//   0x02 gzip the batch files
//   0x04 put the files in cifar-10-batches-bin/
//   0x08 the "test" split
//   0x10 cut each batch to a whole number of 3,073-byte records, so mutations reach the labels
//   0x20 leave batches.meta.txt out
#include "core/data/cifar10.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    std::vector<std::string> batches = {in.part(0)};
    for (std::size_t i = 2; i < std::min<std::size_t>(in.parts.size(), 6); ++i)
        batches.push_back(in.part(i));
    if (in.mode & 0x10)
        for (std::string& b : batches)
            b.resize(b.size() / 3073 * 3073);
    if (!(in.mode & 0x01)) {
        guarded([&] {
            ll::Dataset d;
            for (const std::string& b : batches)
                ll::parseCifarBatch(toBytes(b), "batch", d);
        });
        return 0;
    }
    const fs::path root = fresh("cifar");
    const fs::path dir = in.mode & 0x04 ? root / "cifar-10-batches-bin" : root;
    for (std::size_t i = 0; i < batches.size(); ++i) {
        const std::string name = (in.mode & 0x08) && i == 0
                                     ? std::string("test_batch.bin")
                                     : "data_batch_" + std::to_string(i + 1) + ".bin";
        writeFile(dir / name, in.mode & 0x02 ? gzip(batches[i]) : batches[i]);
    }
    if (!(in.mode & 0x20)) writeFile(dir / "batches.meta.txt", in.part(1));
    guarded([&] {
        ll::cifarDirectory(root.string());
        ll::loadCifar10(root.string(), in.mode & 0x08 ? "test" : "train");
    });
    return 0;
}
