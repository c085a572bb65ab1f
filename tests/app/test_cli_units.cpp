// `layerlens topk` and `layerlens maximize` on the built-in synthetic digits (no files needed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli.h"
#include "support/data_files.h"
#include "support/run_cli.h"

namespace ll {

using Result = test::CliResult;
using test::runCli;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A LeNet-5 checkpoint after one short epoch on synthetic digits, made once.
const std::string& trainedCheckpoint() {
    static const std::string path = [] {
        const std::string dir = test::freshDir("cli_units_run");
        const Result r = runCli({"train", "--model", "lenet5", "--dataset", "synthetic-digits",
                                 "--train-subset", "300", "--test-subset", "100", "--batch", "50",
                                 "--epochs", "1", "--no-progress", "--out", dir});
        EXPECT_EQ(r.code, 0) << r.err;
        return dir + "/checkpoint.llck";
    }();
    return path;
}

std::uint32_t be32(const std::string& s, std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
           static_cast<unsigned char>(s[at + 3]);
}

}  // namespace

TEST(CliTopK, WritesAGridPerChannelAndARankedCsv) {
    const std::string out = test::freshDir("cli_topk");
    const Result r =
        runCli({"topk", "--checkpoint", trainedCheckpoint(), "--layer", "c3", "--k", "4",
                "--dataset", "synthetic-digits", "--subset", "300", "--scale", "2", "--out", out});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("layer c3 (16 channels of 10×10), max per channel"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("300 test images"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("receptive field 14×14, jump 2"), std::string::npos) << r.out;
    for (int c = 0; c < 16; ++c) {
        const std::string png = slurp(out + "/c3-c" + std::to_string(c) + ".png");
        ASSERT_GT(png.size(), 33u) << c;
        EXPECT_EQ(png.substr(1, 3), "PNG");
        EXPECT_EQ(be32(png, 16), 2u * 56 + 3 * 2);  // 4 tiles: 2 columns of 56 pixels, 3 gaps
    }
    std::istringstream csv(slurp(out + "/c3.csv"));
    std::string line;
    std::getline(csv, line);
    EXPECT_EQ(line, "channel,rank,index,label,activation,row,col,rf_row0,rf_row1,rf_col0,rf_col1");
    int rows = 0, lastChannel = -1;
    double last = 0;
    while (std::getline(csv, line)) {
        int ch, rank, index, label, row, col, r0, r1, c0, c1;
        double a;
        ASSERT_EQ(std::sscanf(line.c_str(), "%d,%d,%d,%d,%lf,%d,%d,%d,%d,%d,%d", &ch, &rank, &index,
                              &label, &a, &row, &col, &r0, &r1, &c0, &c1),
                  11)
            << line;
        if (ch == lastChannel) {
            EXPECT_LE(a, last) << line;  // best first
        }
        EXPECT_EQ(rank, rows % 4 + 1);
        EXPECT_TRUE(index >= 0 && index < 300) << line;
        // c3's field: 14×14 with jump 2 from row 2·row − 2 (c1's padding of 2), clipped.
        EXPECT_EQ(r0, std::max(0, 2 * row - 2)) << line;
        EXPECT_EQ(r1, std::min(28, 2 * row + 12)) << line;
        EXPECT_EQ(c0, std::max(0, 2 * col - 2)) << line;
        EXPECT_EQ(c1, std::min(28, 2 * col + 12)) << line;
        lastChannel = ch;
        last = a;
        ++rows;
    }
    EXPECT_EQ(rows, 16 * 4);
}

TEST(CliMaximize, PrintsTheActivationAndTheBestTestImage) {
    const std::string dir = test::freshDir("cli_maximize");
    const Result r = runCli({"maximize", "--checkpoint", trainedCheckpoint(), "--layer", "c1",
                             "--channel", "2", "--steps", "60", "--dataset", "synthetic-digits",
                             "--subset", "300", "--out", dir + "/c1.png"});
    ASSERT_EQ(r.code, 0) << r.err;
    double reached = 0, best = 0, ratio = 0;
    const auto at = r.out.find("activation reached: ");
    ASSERT_NE(at, std::string::npos) << r.out;
    std::sscanf(r.out.c_str() + at, "activation reached: %lf", &reached);
    const auto bt = r.out.find("best test image: ");
    ASSERT_NE(bt, std::string::npos) << r.out;
    std::sscanf(r.out.c_str() + bt, "best test image: %lf", &best);
    const auto rt = r.out.find("ratio ");
    ASSERT_NE(rt, std::string::npos) << r.out;
    std::sscanf(r.out.c_str() + rt, "ratio %lf", &ratio);
    EXPECT_GT(reached, best) << r.out;
    EXPECT_NEAR(ratio, reached / best, 1e-3 * std::abs(ratio)) << r.out;
    const std::string png = slurp(dir + "/c1.png");
    ASSERT_GT(png.size(), 24u);
    EXPECT_EQ(be32(png, 16), 28u * 8);  // --scale 8 by default

    // Every channel: one image and one line each.
    const Result all = runCli({"maximize", "--checkpoint", trainedCheckpoint(), "--layer", "c1",
                               "--channel", "all", "--steps", "20", "--dataset", "synthetic-digits",
                               "--subset", "100", "--out", dir + "/all.png"});
    ASSERT_EQ(all.code, 0) << all.err;
    for (int c = 0; c < 6; ++c)
        EXPECT_TRUE(std::filesystem::exists(dir + "/all-c" + std::to_string(c) + ".png")) << c;
    EXPECT_NE(all.out.find("channel  maximized"), std::string::npos) << all.out;
    // ... and all of them in a row: 6 images of 224 pixels, 2 pixels around each.
    const std::string row = slurp(dir + "/all-all.png");
    ASSERT_GT(row.size(), 24u);
    EXPECT_EQ(be32(row, 16), 6u * (224 + 2) + 2);
    EXPECT_EQ(be32(row, 20), 224u + 4);
}

TEST(CliUnits, BadInputIsAClearMessage) {
    const std::string dir = test::freshDir("cli_units_bad");
    Result r = runCli({"topk", "--model", "lenet5", "--layer", "c9", "--dataset",
                       "synthetic-digits", "--out", dir});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--layer 'c9': lenet5 has no node of that name; its 12 nodes are c1"),
              std::string::npos)
        << r.err;
    r = runCli({"maximize", "--model", "lenet5", "--layer", "c1", "--channel", "6", "--out",
                dir + "/x.png"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("channel 6 is outside c1's 6 channels (0 to 5)"), std::string::npos)
        << r.err;
    r = runCli({"maximize", "--model", "lenet5", "--layer", "c1", "--channel", "0", "--reduce",
                "unit", "--unit", "40,1", "--out", dir + "/x.png"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unit (40, 1) is outside c1's 28×28 positions"), std::string::npos)
        << r.err;
    r = runCli({"topk", "--model", "lenet5", "--layer", "c1", "--reduce", "median", "--out", dir});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--reduce must be max, mean or unit"), std::string::npos) << r.err;
    r = runCli({"topk", "--model", "lenet5", "--layer", "c1"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--out is required"), std::string::npos) << r.err;
    std::ofstream(dir + "/bad.llck") << "not a checkpoint";
    r = runCli({"topk", "--model", "lenet5", "--checkpoint", dir + "/bad.llck", "--layer", "c1",
                "--dataset", "synthetic-digits", "--out", dir});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("bad.llck"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/c1.csv"));
}

}  // namespace ll
