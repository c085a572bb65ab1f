// Keras' mnist.npz: archives written the ways numpy writes them (deflated with zip64 fields,
// stored without), read through loadMnist; damaged or unexpected archives are clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/data/discovery.h"
#include "core/data/file_io.h"
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

// The .npy writer (`layerlens infer`'s output): what np.save writes for a float32 array.

namespace {

std::vector<std::uint8_t> asBytes(const std::string& s) {
    return std::vector<std::uint8_t>(s.begin(), s.end());
}

std::uint32_t bitsOf(float v) {
    std::uint32_t b = 0;
    std::memcpy(&b, &v, 4);
    return b;
}

}  // namespace

// np.save(np.arange(6, dtype='<f4').reshape(2, 3)): numpy's header, byte for byte (the dict,
// 20 spaces of room for the first axis to grow to 21 digits, padding to 128 bytes), then the
// little-endian floats.
TEST(NpyWrite, HeaderAndDataAsNumpyWritesThem) {
    const Tensor t({2, 3}, {0.0f, 1.0f, 2.0f, 3.0f, -0.5f, 1e-42f});
    const std::string b = npyBytes(t);
    ASSERT_EQ(b.size(), 128u + 6 * 4);
    EXPECT_EQ(b.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    EXPECT_EQ(static_cast<unsigned char>(b[8]) | static_cast<unsigned char>(b[9]) << 8, 118);
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    EXPECT_EQ(b.substr(10, 118), dict + std::string(118 - dict.size() - 1, ' ') + "\n");
    // 1.0f is 0x3f800000, stored least significant byte first.
    EXPECT_EQ(b.substr(128 + 4, 4), std::string("\x00\x00\x80\x3f", 4));
    EXPECT_EQ(b.substr(128 + 16, 4), std::string("\x00\x00\x00\xbf", 4));  // -0.5f
    EXPECT_NE(npyBytes(Tensor(Shape{7})).find("'shape': (7,), }"), std::string::npos);
    EXPECT_NE(npyBytes(Tensor(Shape{})).find("'shape': (), }"), std::string::npos);
}

// Through the existing reader: shape, dtype and every bit of every value come back, for every
// rank and for the special values (signed zero, subnormals, infinities, NaN).
TEST(NpyWrite, RoundTripsThroughTheReader) {
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> special = {-0.0f,
                                        0.0f,
                                        std::numeric_limits<float>::denorm_min(),
                                        std::numeric_limits<float>::min(),
                                        std::numeric_limits<float>::max(),
                                        -inf,
                                        inf,
                                        std::numeric_limits<float>::quiet_NaN(),
                                        3.14159274f,
                                        -1e-30f};
    for (const Shape& shape : {Shape{10}, Shape{2, 5}, Shape{1, 2, 1, 5}, Shape{2, 1, 5, 1, 1}}) {
        const Tensor t(shape, special);
        const NpyArray a = parseNpy(asBytes(npyBytes(t)), "round trip");
        EXPECT_EQ(a.descr, "<f4");
        EXPECT_EQ(a.shape, std::vector<std::int64_t>(shape.begin(), shape.end()));
        const Tensor back = npyToTensor(a, "round trip");
        ASSERT_EQ(back.shape(), shape);
        for (std::int64_t i = 0; i < t.numel(); ++i)
            EXPECT_EQ(bitsOf(back[i]), bitsOf(t[i])) << shape << " element " << i;
    }
    const Tensor scalar(Shape{}, 2.5f);
    const Tensor s = npyToTensor(parseNpy(asBytes(npyBytes(scalar)), "scalar"), "scalar");
    EXPECT_EQ(s.rank(), 0);
    EXPECT_EQ(s[0], 2.5f);
    const Tensor empty({3, 0, 4});
    const NpyArray e = parseNpy(asBytes(npyBytes(empty)), "empty");
    EXPECT_EQ(e.shape, (std::vector<std::int64_t>{3, 0, 4}));
    EXPECT_TRUE(e.data.empty());
}

// The data starts at a multiple of 64 bytes whatever the shape; the padding is 1 to 64 spaces
// (a full 64 when the header is already aligned, numpy's rule), after the 20 spaces of growth
// room a 1-digit first axis gets.
TEST(NpyWrite, HeaderIsPaddedToAMultipleOf64) {
    bool sawFullPadding = false;
    for (int zeros = 0; zeros < 30; ++zeros) {
        for (int last : {1, 10, 100, 1000, 10000, 100000}) {
            std::vector<int> dims{1};
            dims.insert(dims.end(), static_cast<std::size_t>(zeros), 0);
            dims.push_back(last);
            const std::string b = npyBytes(Tensor(Shape(dims)));
            const std::size_t hlen =
                static_cast<unsigned char>(b[8]) | static_cast<unsigned char>(b[9]) << 8;
            ASSERT_EQ((10 + hlen) % 64, 0u) << Shape(dims);
            ASSERT_EQ(b[10 + hlen - 1], '\n');
            const std::size_t close = b.rfind('}', 10 + hlen);
            const std::size_t spaces = 10 + hlen - 1 - close - 1;
            ASSERT_EQ(b.find_first_not_of(' ', close + 1), 10 + hlen - 1) << Shape(dims);
            ASSERT_GE(spaces, 20u + 1) << Shape(dims);
            ASSERT_LE(spaces, 20u + 64) << Shape(dims);
            sawFullPadding |= spaces == 20 + 64;
        }
    }
    EXPECT_TRUE(sawFullPadding);
}

TEST(NpyWrite, WritesAtomicallyAndReadsBackFromTheFile) {
    const std::string dir = test::freshDir("npy_write");
    const Tensor t({2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    writeNpy(dir + "/a.npy", t);
    const std::vector<std::uint8_t> bytes = readMaybeGzip(dir + "/a.npy");
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), npyBytes(t));
    EXPECT_EQ(npyToTensor(parseNpy(bytes, "a.npy"), "a.npy").values(), t.values());
    int files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir))
        ++files;
    EXPECT_EQ(files, 1);  // no temporary file left
    EXPECT_THROW(writeNpy(dir + "/missing/a.npy", t), DataError);
}

// What infer is given: float64 and uint8 become float32 (values kept, not scaled); other dtypes
// are named in the error.
TEST(NpyWrite, ReaderConvertsFloat64AndUint8) {
    std::vector<std::uint8_t> f8;
    for (double v : {1.5, -2.25, 1e300, -1e300, 0.1}) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, 8);
        test::putLe(f8, bits, 8);
    }
    const Tensor d = npyToTensor(parseNpy(test::npy("<f8", "(5,)", f8), "d"), "d");
    EXPECT_EQ(d.values(), (std::vector<float>{1.5f, -2.25f, std::numeric_limits<float>::infinity(),
                                              -std::numeric_limits<float>::infinity(), 0.1f}));
    const Tensor u = npyToTensor(parseNpy(test::npy("|u1", "(1, 3)", {0, 7, 255}), "u"), "u");
    EXPECT_EQ(u.shape(), (Shape{1, 3}));
    EXPECT_EQ(u.values(), (std::vector<float>{0.0f, 7.0f, 255.0f}));
    try {
        npyToTensor(parseNpy(test::npy("<i8", "(1,)", std::vector<std::uint8_t>(8)), "x.npy"),
                    "x.npy");
        ADD_FAILURE() << "int64 accepted";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("x.npy: arrays of type '<i8' are not read"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace ll
