#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/data/image_folder.h"
#include "core/data/load.h"
#include "support/data_files.h"

namespace ll {

namespace {

namespace fs = std::filesystem;

std::string makeFolder(const std::string& name, bool withTestSplit) {
    const std::string root = test::freshDir(name);
    const char* classes[] = {"circle", "bar", "dot"};
    for (int c = 0; c < 3; ++c) {
        for (const char* part : withTestSplit ? std::vector<const char*>{"train", "test"}
                                              : std::vector<const char*>{""}) {
            const fs::path dir = fs::path(root) / part / classes[c];
            fs::create_directories(dir);
            const int n = std::string(part) == "test" ? 2 : 6;
            for (int i = 0; i < n; ++i)
                test::writeNetpbm(
                    (dir / ("img" + std::to_string(i) + (i % 2 ? ".ppm" : ".pgm"))).string(),
                    10 + i, 12, i % 2 == 1, 2 + 3 * c, i);
        }
    }
    return root;
}

}  // namespace

TEST(ImageFolder, ClassFoldersWithASeededSplitAndABadFileSkipped) {
    const std::string root = makeFolder("imgfolder_flat", false);
    // A damaged file and a file that is not an image at all.
    std::ofstream(root + "/bar/broken.pgm", std::ios::binary) << "P5\n10 12\n255\nabc";
    std::ofstream(root + "/bar/notes.txt") << "ignored: not an image name";
    const ImageFolderSplit f = loadImageFolder(root, 1, 28, 28, 1);
    EXPECT_EQ(f.train.classNames, (std::vector<std::string>{"bar", "circle", "dot"}));  // sorted
    EXPECT_EQ(f.train.size() + f.test.size(), 18);  // 19 images, one skipped
    EXPECT_EQ(f.test.size(), 3);                    // one in five of each class of six
    ASSERT_EQ(f.train.warnings.size() + f.test.warnings.size(), 1u);
    const std::string w = f.train.warnings.empty() ? f.test.warnings[0] : f.train.warnings[0];
    EXPECT_NE(w.find("broken.pgm"), std::string::npos) << w;
    EXPECT_NE(w.find("truncated"), std::string::npos) << w;
    EXPECT_EQ(f.train.sampleShape(), Shape({1, 28, 28}));
    // Deterministic by seed.
    EXPECT_EQ(loadImageFolder(root, 1, 28, 28, 1).train.labels, f.train.labels);
}

TEST(ImageFolder, TrainAndTestFoldersAndConversionToTheModelInput) {
    const std::string root = makeFolder("imgfolder_split", true);
    DataOptions o;
    o.dataset = "images";
    o.dir = root;
    o.channels = 3;
    o.height = 24;
    o.width = 20;
    const DataPair p = loadData(o);
    EXPECT_EQ(p.train.size(), 18);
    EXPECT_EQ(p.test.size(), 6);
    EXPECT_EQ(p.train.sampleShape(), Shape({3, 24, 20}));
    // Grey files became three equal channels; the bright column survives resizing.
    const std::uint8_t* img = p.train.image(0);
    const int plane = 24 * 20;
    for (int k = 0; k < plane; ++k) {
        EXPECT_EQ(img[k], img[plane + k]);
        EXPECT_EQ(img[k], img[2 * plane + k]);
    }
    EXPECT_EQ(p.train.mean.size(), 3u);
}

TEST(ImageFolder, ClearErrors) {
    EXPECT_THROW(loadImageFolder("/no/such/folder", 1, 28, 28, 1), DataError);
    const std::string empty = test::freshDir("imgfolder_empty");
    try {
        loadImageFolder(empty, 1, 28, 28, 1);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("no class folders"), std::string::npos);
    }
    fs::create_directories(empty + "/cats");
    fs::create_directories(empty + "/dogs");
    test::writeNetpbm(empty + "/cats/a.pgm", 8, 8, false, 1, 0);
    try {
        loadImageFolder(empty, 1, 28, 28, 1);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("'dogs'"), std::string::npos) << e.what();
    }
    DataOptions o;
    o.dataset = "images";
    o.dir = empty;
    EXPECT_THROW(loadData(o), UsageError);  // no input size
}

TEST(ImageFolder, DecoderCanBeReplaced) {
    setImageDecoder([](const std::string&, DecodedImage& out, std::string*) {
        out.rows = out.cols = 4;
        out.channels = 1;
        out.pixels.assign(16, 77);
        return true;
    });
    DecodedImage img;
    EXPECT_TRUE(decodeImage("anything.png", img, nullptr));
    EXPECT_EQ(img.pixels[5], 77);
    setImageDecoder(nullptr);
    std::string why;
    EXPECT_FALSE(decodeImage("anything.png", img, &why));
    EXPECT_FALSE(why.empty());
}

}  // namespace ll
