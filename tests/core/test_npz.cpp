// Keras' mnist.npz: archives written the ways numpy writes them (deflated with zip64 fields,
// stored without), read through loadMnist; damaged or unexpected archives are clear errors.
#include <gtest/gtest.h>

#include "core/data/discovery.h"
#include "core/data/mnist.h"
#include "core/data/npz.h"
#include "core/error.h"
#include "support/data_files.h"
#include "support/npz.h"

namespace ll {

namespace {

std::vector<std::uint8_t> pixels(int n, int salt) {
    std::vector<std::uint8_t> p;
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < 28; ++r)
            for (int c = 0; c < 28; ++c)
                p.push_back(static_cast<std::uint8_t>((i * salt + r + c) % 256));
    return p;
}

std::vector<std::uint8_t> int64Labels(const std::vector<int>& v) {
    std::vector<std::uint8_t> b;
    for (int x : v)
        test::putLe(b, static_cast<std::uint64_t>(x), 8);
    return b;
}

using Members = std::vector<std::pair<std::string, std::vector<std::uint8_t>>>;

Members mnistMembers() {
    return {{"x_train.npy", test::npy("|u1", "(6, 28, 28)", pixels(6, 7))},
            {"y_train.npy", test::npy("|u1", "(6,)", {3, 1, 4, 1, 5, 9})},
            {"x_test.npy", test::npy("|u1", "(3, 28, 28)", pixels(3, 11))},
            {"y_test.npy", test::npy("<i8", "(3,)", int64Labels({2, 7, 0}))}};
}

}  // namespace

TEST(Npz, KerasMnistDeflatedWithZip64Fields) {
    const std::string dir = test::freshDir("npz_keras");
    test::writeBytes(dir + "/mnist.npz", test::zip(mnistMembers(), true, true));
    EXPECT_EQ(findMnist(dir), dir);
    const Dataset train = loadMnist(dir, "train");
    ASSERT_EQ(train.size(), 6);
    EXPECT_EQ(train.height, 28);
    EXPECT_EQ(train.labels, (std::vector<std::uint8_t>{3, 1, 4, 1, 5, 9}));
    EXPECT_EQ(train.image(2)[5 * 28 + 9], (2 * 7 + 5 + 9) % 256);
    EXPECT_EQ(train.source, dir + "/mnist.npz");
    EXPECT_EQ(train.split, "train");
    EXPECT_FLOAT_EQ(train.mean[0], 0.1307f);      // the MNIST statistics, as for the IDX files
    const Dataset test = loadMnist(dir, "test");  // labels stored as int64
    EXPECT_EQ(test.labels, (std::vector<std::uint8_t>{2, 7, 0}));
    EXPECT_EQ(test.image(1)[27 * 28 + 27], (11 + 54) % 256);
    // Discovery lists it as usable, saying what it is.
    const FoundData f = firstUsable(discoverData({{dir, "Keras cache"}}), "mnist");
    EXPECT_EQ(f.path, dir);
    EXPECT_EQ(f.note, "mnist.npz (Keras)");
}

TEST(Npz, StoredArchiveInAnMnistSubfolder) {
    const std::string dir = test::freshDir("npz_stored");
    std::filesystem::create_directories(dir + "/mnist");
    test::writeBytes(dir + "/mnist/mnist.npz", test::zip(mnistMembers(), false, false));
    EXPECT_EQ(findMnist(dir), dir + "/mnist");
    EXPECT_EQ(loadMnist(dir, "train").size(), 6);
}

TEST(Npz, DamagedOrUnexpectedArchivesAreClearErrors) {
    const std::string dir = test::freshDir("npz_bad");
    const std::string path = dir + "/mnist.npz";
    auto expectError = [&](const std::vector<std::uint8_t>& bytes, const std::string& words) {
        test::writeBytes(path, bytes);
        try {
            loadMnist(dir, "train");
            ADD_FAILURE() << "no error; expected: " << words;
        } catch (const DataError& e) {
            EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        }
    };
    // A flipped pixel: the CRC says so.
    std::vector<std::uint8_t> stored = test::zip(mnistMembers(), false, false);
    std::vector<std::uint8_t> flipped = stored;
    flipped[200] ^= 0xFF;
    expectError(flipped, "CRC mismatch");
    // Cut off: the directory at the end is gone.
    expectError(std::vector<std::uint8_t>(stored.begin(), stored.begin() + 3000),
                "no end-of-directory record");
    expectError({'n', 'o', 't', ' ', 'a', ' ', 'z', 'i', 'p'}, "not a zip archive");
    // Deflated data damaged in the middle.
    std::vector<std::uint8_t> deflated = test::zip(mnistMembers(), true, false);
    deflated[120] ^= 0x55;
    deflated[121] ^= 0x55;
    test::writeBytes(path, deflated);
    EXPECT_THROW(loadMnist(dir, "train"), DataError);
    // Float pixels, a missing array, a label that is not a digit, a wrong image size.
    Members m = mnistMembers();
    m[0].second = test::npy("<f4", "(6, 28, 28)", std::vector<std::uint8_t>(6 * 784 * 4));
    expectError(test::zip(m, true, true), "pixels of type '<f4' (expected uint8)");
    m = mnistMembers();
    m.pop_back();
    test::writeBytes(path, test::zip(m, true, true));
    EXPECT_EQ(loadMnist(dir, "train").size(), 6);  // the training split does not need it
    try {
        loadMnist(dir, "test");
        ADD_FAILURE() << "no error for the missing y_test";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("no array 'y_test'"), std::string::npos) << e.what();
    }
    m = mnistMembers();
    m[1].second = test::npy("|u1", "(6,)", {3, 1, 4, 1, 12, 9});
    expectError(test::zip(m, false, false), "label 12 of sample 4 is not a digit");
    m = mnistMembers();
    m[0].second = test::npy("|u1", "(6, 28, 27)", std::vector<std::uint8_t>(6 * 28 * 27));
    expectError(test::zip(m, false, false), "MNIST images are 28x28");
    m = mnistMembers();
    m[0].second = std::vector<std::uint8_t>(m[0].second.begin(), m[0].second.begin() + 500);
    expectError(test::zip(m, false, false), "array data runs past the end");
}

}  // namespace ll
