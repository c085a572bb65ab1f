// The real `layerlens` program started as a child process without a display: the cases that used
// to reach Qt and abort (SIGABRT, exit 134) now exit 2 with one line, and every command's --help
// works.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "app/cli.h"
#include "support/run_cli.h"

namespace ll {

namespace {

using test::CliResult;

CliResult layerlens(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {}) {
    return test::runProgram(LAYERLENS_BIN, args, env);
}

std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST(CliLaunch, UnknownCommandIsRefusedWithoutOpeningTheWindow) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"bogus"}, {"bogus", "--model", "lenet5"}}) {
        const CliResult r = layerlens(args);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_EQ(r.err, "layerlens: unknown command 'bogus'; see layerlens help\n");
        EXPECT_EQ(r.out, "");
    }
    // Asking for the help of a word that is no command is the same unknown command.
    const CliResult r = layerlens({"predict", "--help"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(r.err, "layerlens: unknown command 'predict'; see layerlens help\n");
}

TEST(CliLaunch, EveryCommandTakesHelp) {
    for (const cli::Command* c : cli::commands()) {
        for (const char* flag : {"--help", "-h"}) {
            const CliResult r = layerlens({c->name, flag});
            EXPECT_EQ(r.code, 0) << c->name << " " << flag << ": " << r.err;
            EXPECT_EQ(r.out.rfind("usage: layerlens " + c->name, 0), 0u) << r.out;
            EXPECT_NE(r.out.find("-h, --help"), std::string::npos) << r.out;
            EXPECT_EQ(r.err, "") << c->name;
        }
    }
    // Help wins over a mistake next to it.
    CliResult r = layerlens({"demo", "--bogus", "--help"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, cli::demoCommand().usage());
    // The overview lists every command; it and the window's help need no display.
    for (const char* word : {"help", "--help", "-h"}) {
        r = layerlens({word});
        EXPECT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(r.out, cli::overview());
    }
    for (const cli::Command* c : cli::commands())
        EXPECT_NE(r.out.find("\n  " + c->name + " "), std::string::npos) << c->name;
    EXPECT_NE(r.out.find("--quit-when-done"), std::string::npos) << r.out;
    r = layerlens({"--model", "lenet5", "--help"});
#ifdef LAYERLENS_WINDOW
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, cli::windowCommand().usage());
#else  // a build without Qt (LAYERLENS_BUILD_UI=OFF, as the CI's sanitizer build) says so
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("built without the desktop window"), std::string::npos) << r.err;
#endif
}

#ifdef LAYERLENS_WINDOW
TEST(CliLaunch, WindowWithoutADisplaySaysSoAndExits2) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{}, {"--model", "lenet5", "--epochs", "1"}}) {
        const CliResult r = layerlens(args);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_EQ(lines(r.err), 1u) << r.err;
        EXPECT_EQ(r.err.rfind("layerlens: no display to open the window on", 0), 0u) << r.err;
        EXPECT_NE(r.err.find("'xvfb-run -a layerlens ...'"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("'layerlens help'"), std::string::npos) << r.err;
    }
    // Options are checked before the display: a mistake is named as such.
    const CliResult r = layerlens({"--bogus"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(r.err, "layerlens: unknown option --bogus; see 'layerlens --help'\n");
}

// A display variable that is set but unusable: Qt's fatal error becomes one line and exit 2.
TEST(CliLaunch, UnusableDisplayIsOneLineNotAnAbort) {
    int n = 900;  // an X display number nothing serves here
    while (std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(n)) ||
           std::filesystem::exists("/tmp/.X" + std::to_string(n) + "-lock"))
        ++n;
    for (const std::map<std::string, std::string>& env :
         {std::map<std::string, std::string>{{"QT_QPA_PLATFORM", "no-such-platform"}},
          {{"QT_QPA_PLATFORM", "xcb"}, {"DISPLAY", ":" + std::to_string(n)}}}) {
        const CliResult r = layerlens({"--model", "lenet5"}, env);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_EQ(lines(r.err), 1u) << r.err;
        EXPECT_EQ(r.err.rfind("layerlens: cannot open the window: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find("'xvfb-run -a layerlens ...'"), std::string::npos) << r.err;
    }
}

// export-plots is headless: without a display it still runs (offscreen), and says what is wrong.
TEST(CliLaunch, ExportPlotsNeedsNoDisplay) {
    // Qt warns about a missing XDG_RUNTIME_DIR; give it one, so stderr is ours alone.
    const std::string xdg = ::testing::TempDir() + "/ll_launch_xdg";
    std::filesystem::create_directories(xdg);
    std::filesystem::permissions(xdg, std::filesystem::perms::owner_all);
    const CliResult r =
        layerlens({"export-plots", "--run", ::testing::TempDir() + "/no-such-run", "--out", "/tmp"},
                  {{"XDG_RUNTIME_DIR", xdg}});
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("layerlens export-plots: cannot read ", 0), 0u) << r.err;
}
#endif

TEST(CliUsage, MistakesAreOneLineWithExit2) {
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    const Case cases[] = {
        {{"models", "extra"},
         "layerlens models: unexpected argument 'extra'; see 'layerlens "
         "models --help'\n"},
        {{"download"},
         "layerlens download: expected the data set to download, mnist or "
         "cifar10; see 'layerlens download --help'\n"},
        {{"experiment", "optimizers", "batchnorm"},
         "layerlens experiment: unexpected argument 'batchnorm'; see 'layerlens experiment "
         "--help'\n"},
        {{"bench", "--bogus"},
         "layerlens bench: unknown option --bogus; see 'layerlens bench --help'\n"},
        {{"models", "--verbose=yes"}, "layerlens models: --verbose takes no value\n"},
        {{"help", "bogus"}, "layerlens help: unknown command 'bogus'; see layerlens help\n"},
    };
    for (const Case& c : cases) {
        const test::CliResult r = test::runCli(c.args);
        EXPECT_EQ(r.code, 2) << c.args[0];
        EXPECT_EQ(r.err, c.err);
        EXPECT_EQ(r.out, "");
    }
}

// `layerlens FILE` (what a file manager runs) is a window launch when FILE exists, and an unknown
// command when it does not.
TEST(CliLaunch, AnExistingFileOpensTheWindow) {
    const std::string file =
        (std::filesystem::temp_directory_path() / "layerlens-launch-test.llck").string();
    { std::ofstream(file) << "x"; }
    EXPECT_TRUE(cli::isWindowLaunch({file}));
    EXPECT_FALSE(cli::isWindowLaunch({"summary"}));
    EXPECT_FALSE(cli::isWindowLaunch({file + ".missing"}));
#ifdef LAYERLENS_WINDOW
    const CliResult r = layerlens({file});  // no display: the window's message
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("layerlens: no display to open the window on", 0), 0u) << r.err;
#endif
    const CliResult missing = layerlens({file + ".missing"});
    EXPECT_EQ(missing.code, 2);
    EXPECT_NE(missing.err.find("unknown command"), std::string::npos) << missing.err;
    std::filesystem::remove(file);
}

// The manual page and the bash completion come from the same table as the help texts: every
// command and every option of each is in both.
TEST(CliUsage, ManPageAndCompletionNameEveryCommandAndOption) {
    const std::string man = cli::manPage(), completion = cli::bashCompletion();
    EXPECT_EQ(man.rfind(".TH LAYERLENS 1", 0), 0u);
    EXPECT_NE(completion.find("complete -o filenames -F _layerlens layerlens"), std::string::npos);
    auto roffed = [](std::string s) {
        std::string out;
        for (char c : s)
            out += c == '-' ? std::string("\\-") : std::string(1, c);
        return out;
    };
    for (const cli::Command* c : cli::commands()) {
        EXPECT_NE(man.find(".SS " + roffed(c->name)), std::string::npos) << c->name;
        EXPECT_NE(completion.find("        " + c->name + ") opts=\""), std::string::npos)
            << c->name;
        for (const cli::Option& o : c->options) {
            EXPECT_NE(man.find(".B \\-\\-" + roffed(o.name)), std::string::npos) << o.name;
            EXPECT_NE(completion.find("--" + o.name + " "), std::string::npos) << o.name;
        }
    }
    for (const cli::Option& o : cli::windowCommand().options)
        EXPECT_NE(man.find(".B \\-\\-" + roffed(o.name)), std::string::npos) << o.name;
    // Through the program too, and the version's build facts.
    EXPECT_EQ(test::runCli({"help", "--man"}).out, man);
    const CliResult v = layerlens({"version"});
    EXPECT_EQ(v.code, 0);
    for (const char* fact : {"commit: ", "build type: ", "compiled for: ", "convolution GEMM: ",
                             "3×3 convolutions: ", "OpenCV: ", "Eigen: "})
        EXPECT_NE(v.out.find(fact), std::string::npos) << fact << " in " << v.out;
#ifdef LAYERLENS_WINDOW
    EXPECT_NE(v.out.find("Qt: 6."), std::string::npos) << v.out;
#endif
}

// The commit `layerlens version` names is the checkout's at the last build, not at the last
// configure (it went on naming an old commit after later ones were built). It needs a build of
// the checkout's HEAD: a commit made after the build fails it, as it should.
TEST(CliLaunch, VersionNamesTheCommitItWasBuiltFrom) {
    const std::filesystem::path git = "/usr/bin/git";
    if (!std::filesystem::exists(git) ||
        !std::filesystem::exists(std::filesystem::path(LAYERLENS_SOURCE_DIR) / ".git"))
        GTEST_SKIP() << "not built from a git checkout, or no git here";
    const CliResult head = test::runProgram(
        git.string(), {"-C", LAYERLENS_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"});
    if (head.code != 0) GTEST_SKIP() << "git cannot read the checkout: " << head.err;
    ASSERT_EQ(head.out.size(), 13u) << head.out;
    const CliResult v = layerlens({"version"});
    EXPECT_NE(v.out.find("commit: " + head.out.substr(0, 12)), std::string::npos)
        << v.out << "(HEAD is " << head.out << ")";
}

TEST(CliUsage, HelpCommandShowsACommandsOptions) {
    const test::CliResult r = test::runCli({"help", "train"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, cli::trainCommand().usage());
    // Every option train reads is in its help, with its value.
    for (const char* option : {"--model NAME|FILE", "--resume FILE", "--no-progress", "--lr X"})
        EXPECT_NE(r.out.find(option), std::string::npos) << option;
}

}  // namespace ll
