#include "core/data/cifar10.h"

#include <fstream>
#include <iterator>

#include "core/data/file_io.h"
#include "core/error.h"

namespace ll {

namespace {
constexpr int kRecord = 1 + 3 * 32 * 32;
}

std::string cifarDirectory(const std::string& dir) {
    const std::string sub = dir + "/cifar-10-batches-bin";
    if (fileExists(sub + "/test_batch.bin") || fileExists(sub + "/batches.meta.txt")) return sub;
    for (int b = 1; b <= 5; ++b)
        if (fileExists(strCat(sub, "/data_batch_", b, ".bin"))) return sub;
    return dir;
}

void parseCifarBatch(const std::vector<std::uint8_t>& bytes, const std::string& name,
                     Dataset& into) {
    if (bytes.empty() || bytes.size() % kRecord != 0) {
        throw DataError(strCat(
            name, ": ", bytes.size(), " bytes is not a whole number of CIFAR-10 records (", kRecord,
            " bytes each: 1 label + 3072 pixels); the file is truncated or not CIFAR-10"));
    }
    const std::size_t n = bytes.size() / kRecord;
    const std::size_t base = into.labels.size();
    into.labels.resize(base + n);
    into.images.resize((base + n) * 3072);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t* rec = bytes.data() + i * kRecord;
        if (rec[0] > 9)
            throw DataError(
                strCat(name, ": label ", int(rec[0]), " of record ", i, " is outside 0-9"));
        into.labels[base + i] = rec[0];
        std::copy(rec + 1, rec + kRecord,
                  into.images.begin() + static_cast<std::ptrdiff_t>((base + i) * 3072));
    }
}

Dataset loadCifar10(const std::string& dir, const std::string& split) {
    if (split != "train" && split != "test")
        throw UsageError(strCat("CIFAR-10 split must be train or test, got ", split));
    const std::string root = cifarDirectory(dir);
    std::vector<std::string> files;
    if (split == "train") {
        for (int b = 1; b <= 5; ++b) {
            const std::string p = strCat(root, "/data_batch_", b, ".bin");
            if (fileExists(p)) files.push_back(p);
        }
    } else if (fileExists(root + "/test_batch.bin")) {
        files.push_back(root + "/test_batch.bin");
    }
    if (files.empty()) {
        throw DataError(strCat("CIFAR-10 ", split, " data not found: no ",
                               split == "train" ? "data_batch_1..5.bin" : "test_batch.bin", " in ",
                               root, " (also looked for ", dir,
                               "/cifar-10-batches-bin). Give the directory holding "
                               "cifar-10-batches-bin with --data (or LAYERLENS_DATA)."));
    }
    Dataset d;
    d.name = "cifar10";
    d.split = split;
    d.source = root;
    d.channels = 3;
    d.height = 32;
    d.width = 32;
    for (const std::string& f : files)
        parseCifarBatch(readMaybeGzip(f), f, d);
    d.classNames = {"airplane", "automobile", "bird",  "cat",  "deer",
                    "dog",      "frog",       "horse", "ship", "truck"};
    std::ifstream meta(root + "/batches.meta.txt");
    std::vector<std::string> names;
    for (std::string line; std::getline(meta, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        if (!line.empty()) names.push_back(line);
    }
    if (names.size() == 10) d.classNames = names;
    d.mean.assign(std::begin(kCifar10Mean), std::end(kCifar10Mean));
    d.stddev.assign(std::begin(kCifar10Std), std::end(kCifar10Std));
    return d;
}

}  // namespace ll
