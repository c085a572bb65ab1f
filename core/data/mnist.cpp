#include "core/data/mnist.h"

#include "core/data/file_io.h"
#include "core/data/npz.h"
#include "core/error.h"

namespace ll {

namespace {

constexpr std::uint32_t kImageMagic = 2051, kLabelMagic = 2049;

std::uint32_t bigEndian32(const std::vector<std::uint8_t>& b, std::size_t at) {
    return (static_cast<std::uint32_t>(b[at]) << 24) |
           (static_cast<std::uint32_t>(b[at + 1]) << 16) |
           (static_cast<std::uint32_t>(b[at + 2]) << 8) | b[at + 3];
}

std::string findFile(const std::string& dir, const std::string& base) {
    for (const std::string& d : mnistSearchDirs(dir)) {
        for (const std::string& name : {base, base + ".gz"}) {
            const std::string p = d + "/" + name;
            if (fileExists(p)) return p;
        }
    }
    return {};
}

}  // namespace

std::vector<std::string> mnistSearchDirs(const std::string& dir) {
    return {dir, dir + "/MNIST/raw", dir + "/mnist", dir + "/MNIST"};
}

Dataset parseMnist(std::vector<std::uint8_t> img, const std::vector<std::uint8_t>& lab,
                   const std::string& imagesName, const std::string& labelsName) {
    if (img.size() < 16)
        throw DataError(
            strCat(imagesName, ": too short for an IDX image header (", img.size(), " bytes)"));
    if (lab.size() < 8)
        throw DataError(
            strCat(labelsName, ": too short for an IDX label header (", lab.size(), " bytes)"));
    const std::uint32_t im = bigEndian32(img, 0), lm = bigEndian32(lab, 0);
    if (im != kImageMagic) {
        throw DataError(strCat(imagesName, ": wrong magic number ", im,
                               " (an IDX image file starts with ", kImageMagic,
                               im == kLabelMagic ? "; this looks like a label file" : "", ")"));
    }
    if (lm != kLabelMagic) {
        throw DataError(strCat(labelsName, ": wrong magic number ", lm,
                               " (an IDX label file starts with ", kLabelMagic,
                               lm == kImageMagic ? "; this looks like an image file" : "", ")"));
    }
    const std::uint32_t n = bigEndian32(img, 4), rows = bigEndian32(img, 8),
                        cols = bigEndian32(img, 12);
    const std::uint32_t nl = bigEndian32(lab, 4);
    if (rows != 28 || cols != 28) {
        throw DataError(
            strCat(imagesName, ": images are ", rows, "x", cols, ", MNIST images are 28x28"));
    }
    if (n != nl) {
        throw DataError(
            strCat(imagesName, " holds ", n, " images but ", labelsName, " holds ", nl, " labels"));
    }
    const std::uint64_t need = 16 + static_cast<std::uint64_t>(n) * rows * cols;
    if (img.size() < need) {
        throw DataError(strCat(imagesName, ": truncated: ", n, " images need ", need,
                               " bytes, the file has ", img.size()));
    }
    if (lab.size() < 8 + static_cast<std::uint64_t>(n)) {
        throw DataError(strCat(labelsName, ": truncated: ", n, " labels need ",
                               8 + static_cast<std::uint64_t>(n), " bytes, the file has ",
                               lab.size()));
    }
    Dataset d;
    d.name = "mnist";
    d.channels = 1;
    d.height = 28;
    d.width = 28;
    // The pixels are the file minus its header: shift them in place rather than copy 47 MB.
    img.resize(static_cast<std::size_t>(need));
    img.erase(img.begin(), img.begin() + 16);
    d.images = std::move(img);
    d.labels.assign(lab.begin() + 8, lab.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    for (std::uint32_t i = 0; i < n; ++i) {
        if (d.labels[i] > 9)
            throw DataError(strCat(labelsName, ": label ", int(d.labels[i]), " of sample ", i,
                                   " is not a digit 0-9"));
    }
    d.classNames = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    d.mean = {kMnistMean};
    d.stddev = {kMnistStd};
    return d;
}

std::string findMnistNpz(const std::string& dir) {
    if (dir.empty()) return {};
    for (const std::string& d : mnistSearchDirs(dir))
        if (fileExists(d + "/mnist.npz")) return d + "/mnist.npz";
    return {};
}

std::string findMnist(const std::string& dir) {
    if (dir.empty()) return {};
    bool idx = true;
    for (const char* base : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
        idx = idx && !findFile(dir, base).empty();
    }
    const std::string file = idx ? findFile(dir, "train-images-idx3-ubyte") : findMnistNpz(dir);
    return file.empty() ? std::string() : file.substr(0, file.find_last_of('/'));
}

Dataset loadMnist(const std::string& dir, const std::string& split) {
    if (split != "train" && split != "test")
        throw UsageError(strCat("MNIST split must be train or test, got ", split));
    const std::string prefix = split == "train" ? "train" : "t10k";
    const std::string imgPath = findFile(dir, prefix + "-images-idx3-ubyte");
    const std::string labPath = findFile(dir, prefix + "-labels-idx1-ubyte");
    const std::string npz = findMnistNpz(dir);
    if ((imgPath.empty() || labPath.empty()) && !npz.empty()) return loadMnistNpz(npz, split);
    for (const auto& [path, base] : {std::pair{imgPath, prefix + "-images-idx3-ubyte"},
                                     std::pair{labPath, prefix + "-labels-idx1-ubyte"}}) {
        if (path.empty()) {
            std::string where;
            for (const std::string& d : mnistSearchDirs(dir))
                where += (where.empty() ? "" : ", ") + d;
            throw DataError(strCat("MNIST ", split, " file ", base,
                                   "[.gz] not found (nor a mnist.npz); looked in ", where,
                                   ". Give the directory holding the MNIST files with --data (or "
                                   "LAYERLENS_DATA)."));
        }
    }
    Dataset d = parseMnist(readMaybeGzip(imgPath), readMaybeGzip(labPath), imgPath, labPath);
    d.split = split;
    d.source = imgPath;
    return d;
}

}  // namespace ll
