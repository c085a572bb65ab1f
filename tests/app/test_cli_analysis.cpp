#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "support/run_cli.h"

namespace ll {

using Result = test::CliResult;
using test::runCli;

TEST(CliSummary, JsonHasTheDocumentedKeysAndGoldenValues) {
    const Result r = runCli({"summary", "--model", "inception-naive", "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["model"], "inception-naive");
    EXPECT_EQ(j["input"], nlohmann::json({256, 32, 32}));
    EXPECT_EQ(j["convention"], "course");
    EXPECT_EQ(j["totals"]["params"], 1089952);
    EXPECT_EQ(j["totals"]["additions"], 1115684864);
    EXPECT_EQ(j["totals"]["activations"], 425984);
    ASSERT_GE(j["layers"].size(), 2u);
    const auto& module = j["layers"][0];
    EXPECT_EQ(module["leaf"], false);
    EXPECT_EQ(module["type"], "Concat");
    const auto& leaf = j["layers"][2];
    EXPECT_EQ(leaf["type"], "Conv2d");
    EXPECT_EQ(leaf["leaf"], true);
    for (const char* key : {"name", "type", "leaf", "output_shape", "params", "multiplications",
                            "additions", "flops", "macs", "activations", "activation_bytes", "rf"})
        EXPECT_TRUE(leaf.contains(key)) << key;
    EXPECT_EQ(leaf["rf"]["size"], nlohmann::json({1, 1}));
}

TEST(CliSummary, TableCsvMarkdownAndInputOverride) {
    Result r = runCli({"summary", "--model", "lenet5"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("61,706"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("convention course"), std::string::npos);
    r = runCli({"summary", "--model", "rf-demo", "--format", "csv", "--input", "3,32,32"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("pool2,MaxPool2d,true,0,32x8x8"), std::string::npos) << r.out;
    r = runCli({"summary", "--model", "lenet5", "--format", "markdown", "--convention", "macs"});
    EXPECT_NE(r.out.find("| **total** |"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("convention `macs`"), std::string::npos) << r.out;
}

// Two designs side by side: LeNet-5 with full c3 against LeCun's sparse c3 table (lenet5-c3):
// 900 fewer weights in c3 (6·16 − 60 = 36 maps of 5×5), 180,000 fewer FLOPs (36·25·10·10·2).
TEST(CliSummary, ComparesDesigns) {
    Result r = runCli({"summary", "--model", "lenet5", "--compare", "lenet5-c3,mlp-mnist"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("lenet5-c3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("60,806"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("653,040"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("0.784×"), std::string::npos) << r.out;  // 653,040 / 833,040
    EXPECT_NE(r.out.find("10.9×"), std::string::npos) << r.out;   // mlp-mnist's parameters
    r = runCli({"summary", "--model", "lenet5", "--compare", "lenet5-c3", "--format", "csv"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("lenet5-c3,1x28x28,5,60806,0.985415,653040,0.783924,"), std::string::npos)
        << r.out;
    r = runCli({"summary", "--model", "lenet5", "--compare", "lenet5-c3", "--format", "markdown"});
    EXPECT_NE(r.out.find("|---|---|---:|"), std::string::npos) << r.out;
    r = runCli({"summary", "--model", "lenet5", "--compare", "lenet6"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown model 'lenet6'"), std::string::npos) << r.err;
    r = runCli({"summary", "--model", "lenet5", "--compare", "lenet5-c3", "--format", "json"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("expected table, csv or markdown"), std::string::npos) << r.err;
}

TEST(CliSummary, BadInputIsAOneLineError) {
    Result r = runCli({"summary", "--model", "lenet5", "--convention", "gflops"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown convention 'gflops'"), std::string::npos) << r.err;
    r = runCli({"summary", "--model", "lenet5", "--input", "3,32,32"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("c1"), std::string::npos) << r.err;  // the layer that does not fit
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    r = runCli({"summary", "--model", "lenet5", "--input", "1,x,28"});
    EXPECT_EQ(r.code, 2);
    r = runCli({"summary"});
    EXPECT_EQ(r.code, 2);
}

TEST(CliRf, UnitRectangleClippedAndUnclipped) {
    Result r =
        runCli({"rf", "--model", "rf-demo", "--layer", "3", "--unit", "0,0", "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["layer"], "pool2");
    EXPECT_EQ(j["unit"], nlohmann::json({0, 0}));
    EXPECT_EQ(j["size"], nlohmann::json({16, 16}));
    EXPECT_EQ(j["jump"], nlohmann::json({4, 4}));
    EXPECT_EQ(j["start"], nlohmann::json({-6, -6}));
    EXPECT_EQ(j["unclipped"]["rows"], nlohmann::json({-6, 10}));
    EXPECT_EQ(j["clipped"]["rows"], nlohmann::json({0, 10}));
    r = runCli({"rf", "--model", "rf-demo", "--layer", "conv2", "--unit", "3,4"});
    ASSERT_EQ(r.code, 0) << r.err;
    // conv2: size 14, jump 2, start -6 → rows [0, 14), cols [2, 16).
    EXPECT_NE(r.out.find("unclipped: rows [0, 14), cols [2, 16)"), std::string::npos) << r.out;
    r = runCli({"rf", "--model", "rf-demo", "--layer", "pool9", "--unit", "0,0"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("no layer 'pool9'"), std::string::npos) << r.err;
    r = runCli({"rf", "--model", "rf-demo", "--layer", "3", "--unit", "56,0"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("outside"), std::string::npos) << r.err;
    r = runCli({"rf", "--model", "rf-demo", "--layer", "3", "--unit", "1;2"});
    EXPECT_EQ(r.code, 2);
}

}  // namespace ll
