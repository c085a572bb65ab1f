#include <gtest/gtest.h>

#include "core/data/mnist.h"
#include "support/data_files.h"

namespace ll {

using namespace test;

namespace {
std::string loadError(const std::string& dir, const std::string& split = "train") {
    try {
        loadMnist(dir, split);
    } catch (const DataError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(Mnist, LoadsPlainAndGzippedGeneratedFiles) {
    for (bool gz : {false, true}) {
        const std::string dir = freshDir(gz ? "mnist_gz" : "mnist_plain");
        writeMnist(dir, 20, gz);
        const Dataset train = loadMnist(dir, "train");
        EXPECT_EQ(train.size(), 20);
        EXPECT_EQ(train.sampleShape(), Shape({1, 28, 28}));
        EXPECT_EQ(train.labels[13], 3);
        EXPECT_EQ(train.image(2)[28 * 1 + 5], (2 + 1 + 5) % 256);  // pixel (i=2, r=1, c=5)
        EXPECT_EQ(loadMnist(dir, "test").size(), 10);
    }
}

TEST(Mnist, AcceptsTorchvisionLayout) {
    const std::string root = freshDir("mnist_tv");
    std::filesystem::create_directories(root + "/MNIST/raw");
    writeMnist(root + "/MNIST/raw", 10, true);
    EXPECT_EQ(loadMnist(root, "train").size(), 10);
}

TEST(Mnist, MissingFileSaysWhichAndWhere) {
    const std::string dir = freshDir("mnist_missing");
    writeBytes(dir + "/train-images-idx3-ubyte", idxImages(3));
    const std::string e = loadError(dir);
    EXPECT_NE(e.find("train-labels-idx1-ubyte[.gz] not found"), std::string::npos) << e;
    EXPECT_NE(e.find(dir + "/MNIST/raw"), std::string::npos) << e;
    EXPECT_NE(e.find("--data"), std::string::npos) << e;
}

TEST(Mnist, CorruptedFilesAreClearErrorsNeverPartialLoads) {
    const std::string dir = freshDir("mnist_bad");
    auto withFiles = [&](const std::vector<std::uint8_t>& img,
                         const std::vector<std::uint8_t>& lab) {
        writeBytes(dir + "/train-images-idx3-ubyte", img);
        writeBytes(dir + "/train-labels-idx1-ubyte", lab);
        return loadError(dir);
    };
    EXPECT_NE(withFiles(idxImages(5, 28, 28, 1234), idxLabels(5)).find("wrong magic number 1234"),
              std::string::npos);
    EXPECT_NE(withFiles(idxLabels(20), idxLabels(5)).find("looks like a label file"),
              std::string::npos);
    auto truncated = idxImages(5);
    truncated.resize(truncated.size() - 100);
    EXPECT_NE(withFiles(truncated, idxLabels(5)).find("truncated"), std::string::npos);
    EXPECT_NE(withFiles(idxImages(5), idxLabels(4)).find("holds 5 images but"), std::string::npos);
    EXPECT_NE(withFiles(idxImages(5, 32, 32), idxLabels(5)).find("32x32"), std::string::npos);
    auto badLabel = idxLabels(5);
    badLabel.back() = 11;
    EXPECT_NE(withFiles(idxImages(5), badLabel).find("label 11"), std::string::npos);
    EXPECT_NE(withFiles({1, 2, 3}, idxLabels(5)).find("too short"), std::string::npos);
    // A gzip stream cut in half.
    std::filesystem::remove(dir + "/train-images-idx3-ubyte");
    writeGzip(dir + "/train-images-idx3-ubyte.gz", idxImages(50));
    std::filesystem::resize_file(
        dir + "/train-images-idx3-ubyte.gz",
        std::filesystem::file_size(dir + "/train-images-idx3-ubyte.gz") / 2);
    const std::string e = loadError(dir);
    EXPECT_TRUE(e.find("truncated") != std::string::npos || e.find("damaged") != std::string::npos)
        << e;
}

TEST(Mnist, RealFilesWhenPresent) {
    const std::string root = realDataDir();
    if (root.empty()) GTEST_SKIP() << "../shared/data not found: real-data test skipped";
    const Dataset test = loadMnist(root + "/mnist", "test");
    ASSERT_EQ(test.size(), 10000);
    double sum = 0;
    for (auto v : test.images)
        sum += v;
    EXPECT_NEAR(sum / static_cast<double>(test.images.size()), 33.79,
                0.01);                                  // the data README's figure
    EXPECT_EQ(loadMnist(root, "train").size(), 60000);  // found through dir/mnist
}

}  // namespace ll
