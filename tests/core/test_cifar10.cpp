#include <gtest/gtest.h>

#include "core/data/cifar10.h"
#include "support/data_files.h"

namespace ll {

using namespace test;

TEST(Cifar10, LoadsAnySubsetOfTrainingBatches) {
    const std::string root = freshDir("cifar_ok");
    const std::string dir = root + "/cifar-10-batches-bin";
    std::filesystem::create_directories(dir);
    writeBytes(dir + "/data_batch_2.bin", cifarRecords(7));
    writeBytes(dir + "/data_batch_5.bin", cifarRecords(3));
    writeBytes(dir + "/test_batch.bin", cifarRecords(4));
    std::ofstream(dir + "/batches.meta.txt") << "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n";
    const Dataset train = loadCifar10(root, "train");
    EXPECT_EQ(train.size(), 10);
    EXPECT_EQ(train.sampleShape(), Shape({3, 32, 32}));
    EXPECT_EQ(train.labels[8], 1);                // record 1 of the second file
    EXPECT_EQ(train.image(8)[0], 1);              // its first red pixel (1 + 0) % 256
    EXPECT_EQ(train.image(0)[1024], 1024 % 256);  // first green pixel of record 0
    EXPECT_EQ(train.classNames[9], "j");
    EXPECT_EQ(loadCifar10(dir, "test").size(), 4);  // the folder itself works too
}

TEST(Cifar10, BadFilesAreClearErrors) {
    const std::string dir = freshDir("cifar_bad");
    auto err = [&](const std::string& split) {
        try {
            loadCifar10(dir, split);
        } catch (const DataError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(err("train").find("data_batch_1..5.bin"), std::string::npos);
    auto rec = cifarRecords(2);
    rec.pop_back();
    writeBytes(dir + "/test_batch.bin", rec);
    EXPECT_NE(err("test").find("not a whole number of CIFAR-10 records"), std::string::npos)
        << err("test");
    rec = cifarRecords(2);
    rec[3073] = 10;
    writeBytes(dir + "/test_batch.bin", rec);
    EXPECT_NE(err("test").find("label 10 of record 1"), std::string::npos) << err("test");
}

TEST(Cifar10, RealSubsetWhenPresent) {
    const std::string root = realDataDir();
    if (root.empty()) GTEST_SKIP() << "../shared/data not found: real-data test skipped";
    const Dataset test = loadCifar10(root, "test");
    ASSERT_EQ(test.size(), 10000);
    std::vector<int> perClass(10);
    for (auto l : test.labels)
        ++perClass[l];
    for (int c : perClass)
        EXPECT_EQ(c, 1000);  // exactly 1,000 per class, as the README says
    EXPECT_EQ(test.classNames[0], "airplane");
    EXPECT_EQ(loadCifar10(root, "train").size(), 10000);
}

}  // namespace ll
