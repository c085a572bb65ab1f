#include <gtest/gtest.h>

#include <sstream>

#include "app/cli.h"

namespace ll {

namespace {
struct Result {
    int code;
    std::string out, err;
};
Result runCli(std::vector<std::string> args) {
    std::ostringstream out, err;
    const int code = cli::run(args, out, err);
    return {code, out.str(), err.str()};
}
}  // namespace

TEST(Cli, DemoPassesEveryGradientCheckAndPrintsCounts) {
    const Result r = runCli({"demo"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("lenet5: 61706 parameters"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("lenet5-c3: 60806 parameters"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("All gradient checks passed."), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST(Cli, BadInputGivesOneLineAndNonZeroExit) {
    Result r = runCli({"frobnicate"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown command"), std::string::npos);
    r = runCli({"demo", "--seed"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--seed needs a value"), std::string::npos) << r.err;
    r = runCli({"demo", "--bogus", "1"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown option --bogus"), std::string::npos) << r.err;
    r = runCli({"demo", "--seed", "abc"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("needs a number"), std::string::npos) << r.err;
}

TEST(Cli, ModelsListsPresetsWithCounts) {
    const Result r = runCli({"models"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("lenet5-c3"), std::string::npos);
    EXPECT_NE(r.out.find("60806"), std::string::npos);
}

}  // namespace ll
