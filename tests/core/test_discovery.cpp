#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/data/discovery.h"
#include "support/data_files.h"

namespace ll {

namespace {
void touch(const std::string& path) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << "x";
}
void fakeMnist(const std::string& dir) {
    for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                          "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
        touch(dir + "/" + f);
}
}  // namespace

TEST(Discovery, SearchOrderLayoutsAndUnreadableCopies) {
    const std::string base = test::freshDir("discovery");
    const std::string given = base + "/given", app = base + "/app", home = base + "/home";
    fakeMnist(app + "/MNIST/raw");  // torchvision's layout inside the app folder
    touch(given + "/cifar-10-batches-bin/data_batch_1.bin");
    touch(given + "/cifar-10-batches-bin/test_batch.bin");
    fakeMnist(home + "/data/mnist");
    touch(home + "/.keras/datasets/mnist.npz");
    std::filesystem::create_directories(home + "/.keras/datasets/cifar-10-batches-py");
    const auto roots = dataRoots(given, app, home);
    ASSERT_GE(roots.size(), 5u);
    EXPECT_EQ(roots[0].origin, "--data");
    EXPECT_EQ(roots[0].path, given);
    // The same folder given twice is searched once.
    EXPECT_EQ(dataRoots(app, app, home).size() + 1, roots.size());
    const auto found = discoverData(roots);
    const FoundData mnist = firstUsable(found, "mnist");
    EXPECT_EQ(mnist.path, app);  // the app folder comes before ~/data
    EXPECT_EQ(mnist.where, app + "/MNIST/raw");
    EXPECT_EQ(mnist.origin, "app data folder");
    const FoundData cifar = firstUsable(found, "cifar10");
    EXPECT_EQ(cifar.path, given);
    EXPECT_NE(cifar.note.find("1 of 5"), std::string::npos);
    int unusable = 0;
    bool keras = false;
    for (const FoundData& f : found) {
        unusable += !f.usable;
        keras = keras || (f.origin == "Keras cache" && f.usable && f.note == "mnist.npz (Keras)");
    }
    EXPECT_EQ(unusable, 1);  // the CIFAR pickles, listed with what to do
    EXPECT_TRUE(keras);      // Keras' mnist.npz is read
    EXPECT_TRUE(firstUsable(found, "svhn").path.empty());
}

TEST(Discovery, IncompleteCopiesAreNotUsable) {
    const std::string base = test::freshDir("discovery_partial");
    touch(base + "/train-images-idx3-ubyte.gz");             // three MNIST files missing
    touch(base + "/cifar-10-batches-bin/data_batch_2.bin");  // no test batch
    const auto found = discoverData({{base, "--data"}});
    EXPECT_TRUE(firstUsable(found, "mnist").path.empty());
    ASSERT_EQ(found.size(), 1u);
    EXPECT_FALSE(found[0].usable);
    EXPECT_EQ(found[0].note, "no test_batch.bin");
}

}  // namespace ll
