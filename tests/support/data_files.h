#pragma once
// Writers of small MNIST/CIFAR-10 files (good and corrupted) for the loader tests.

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ll::test {

inline std::string freshDir(const std::string& name) {
    const std::string d = ::testing::TempDir() + "/ll_" + name;
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

inline void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        b.push_back(static_cast<std::uint8_t>(v >> s));
}

/// IDX image file: magic, n, rows, cols, then pixel (i, r, c) = (i + r + c) % 256.
inline std::vector<std::uint8_t> idxImages(std::uint32_t n, std::uint32_t rows = 28,
                                           std::uint32_t cols = 28, std::uint32_t magic = 2051) {
    std::vector<std::uint8_t> b;
    put32(b, magic);
    put32(b, n);
    put32(b, rows);
    put32(b, cols);
    for (std::uint32_t i = 0; i < n; ++i)
        for (std::uint32_t p = 0; p < rows * cols; ++p)
            b.push_back(static_cast<std::uint8_t>((i + p / cols + p % cols) % 256));
    return b;
}

/// IDX label file with labels i % 10.
inline std::vector<std::uint8_t> idxLabels(std::uint32_t n, std::uint32_t magic = 2049) {
    std::vector<std::uint8_t> b;
    put32(b, magic);
    put32(b, n);
    for (std::uint32_t i = 0; i < n; ++i)
        b.push_back(static_cast<std::uint8_t>(i % 10));
    return b;
}

/// CIFAR records: label i % 10, pixels (i + p) % 256.
inline std::vector<std::uint8_t> cifarRecords(int n) {
    std::vector<std::uint8_t> b;
    for (int i = 0; i < n; ++i) {
        b.push_back(static_cast<std::uint8_t>(i % 10));
        for (int p = 0; p < 3072; ++p)
            b.push_back(static_cast<std::uint8_t>((i + p) % 256));
    }
    return b;
}

inline void writeBytes(const std::string& path, const std::vector<std::uint8_t>& b) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

inline void writeGzip(const std::string& path, const std::vector<std::uint8_t>& b) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, b.data(), static_cast<unsigned>(b.size()));
    gzclose(f);
}

/// A complete small MNIST directory (train n, test n/2), plain or gzipped.
inline void writeMnist(const std::string& dir, std::uint32_t n, bool gz) {
    auto w = [&](const std::string& name, const std::vector<std::uint8_t>& b) {
        if (gz)
            writeGzip(dir + "/" + name + ".gz", b);
        else
            writeBytes(dir + "/" + name, b);
    };
    w("train-images-idx3-ubyte", idxImages(n));
    w("train-labels-idx1-ubyte", idxLabels(n));
    w("t10k-images-idx3-ubyte", idxImages(n / 2));
    w("t10k-labels-idx1-ubyte", idxLabels(n / 2));
}

/// The real data folder beside the project (../shared/data), or "" when absent.
/// A binary PGM (grey) or PPM (colour) of w × h: dim noise and one bright column `column`.
inline void writeNetpbm(const std::string& path, int w, int h, bool colour, int column, int seed) {
    std::ofstream f(path, std::ios::binary);
    f << (colour ? "P6" : "P5") << "\n# made by the tests\n" << w << " " << h << "\n255\n";
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < (colour ? 3 : 1); ++c)
                f.put(static_cast<char>(x == column ? 250 : (x * 7 + y * 3 + seed) % 40));
}

inline std::string realDataDir() {
    const char* env = std::getenv("LAYERLENS_TEST_DATA");
    const std::string d = env ? env : "";
    return !d.empty() && std::filesystem::exists(d) ? d : "";
}

}  // namespace ll::test
