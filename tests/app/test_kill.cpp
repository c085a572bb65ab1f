// Crash consistency: `layerlens train` is killed (SIGKILL) at random moments, and every run folder
// it leaves is opened with the code the window uses (loadRun for the Runs list and the curves,
// readCheckpointInfo and loadCheckpoint for the weights, listRuns for the folder list, which also
// removes the temp files of dead writers). 20 kills here; scripts/kill_test.sh runs more
// (LAYERLENS_KILL_ROUNDS) and prints the tally.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/checkpoint.h"
#include "core/model_file.h"
#include "core/runs.h"

namespace fs = std::filesystem;
using namespace ll;

namespace {

int envInt(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Starts the program with stdout and stderr to /dev/null; everything is prepared before fork.
pid_t spawn(std::vector<std::string> words) {
    std::vector<char*> argv;
    for (std::string& w : words)
        argv.push_back(w.data());
    argv.push_back(nullptr);
    const int devnull = ::open("/dev/null", O_WRONLY);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
        ::alarm(120);  // a child that outlives the test cannot hang it
        ::execv(words[0].c_str(), argv.data());
        ::_exit(127);
    }
    ::close(devnull);
    return pid;
}

struct Tally {
    int rounds = 0, finished = 0, noFolder = 0, noConfig = 0, firstEpoch = 0, later = 0,
        checkpoints = 0, tempFiles = 0, cutLines = 0, readable = 0;
};

}  // namespace

TEST(KillTrain, EveryFolderIsReadableAfterAKillAtARandomMoment) {
    const int rounds = envInt("LAYERLENS_KILL_ROUNDS", 20);
    const unsigned seed = static_cast<unsigned>(envInt("LAYERLENS_KILL_SEED", 20261202));
    const fs::path root = fs::path(::testing::TempDir()) / "ll_kill_runs";
    fs::remove_all(root);
    fs::create_directories(root);

    // How long an uninterrupted run takes here: kills are spread over it (and a bit beyond).
    const std::vector<std::string> trainArgs = {
        LAYERLENS_BIN,  "train", "--model",        "lenet5", "--dataset",     "synthetic-digits",
        "--epochs",     "3",     "--train-subset", "1500",   "--test-subset", "300",
        "--eval-every", "7",     "--threads",      "1",      "--no-progress"};
    auto withOut = [&](const fs::path& dir) {
        std::vector<std::string> a = trainArgs;
        a.push_back("--out");
        a.push_back(dir.string());
        return a;
    };
    const auto t0 = std::chrono::steady_clock::now();
    {
        int status = 0;
        const pid_t pid = spawn(withOut(root / "uninterrupted"));
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    }
    const auto fullMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    std::mt19937 rng(seed);
    std::uniform_int_distribution<long> when(0, fullMs * 11 / 10);

    Tally t;
    ModelSpec spec;
    for (int k = 0; k < rounds; ++k) {
        const fs::path dir = root / ("killed-" + std::to_string(k));
        const long ms = when(rng);
        const pid_t pid = spawn(withOut(dir));
        ASSERT_GT(pid, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        ::kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ++t.rounds;
        if (WIFEXITED(status)) ++t.finished;
        SCOPED_TRACE("round " + std::to_string(k) + ", killed after " + std::to_string(ms) +
                     " ms, seed " + std::to_string(seed));
        if (!fs::exists(dir)) {
            ++t.noFolder;
            continue;
        }
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().filename().string().find(".tmp.") != std::string::npos) ++t.tempFiles;
        if (!fs::exists(dir / "config.json")) {
            ++t.noConfig;
            continue;
        }
        // config.json: whole (it is written atomically).
        const std::string config = slurp(dir / "config.json");
        EXPECT_TRUE(nlohmann::json::accept(config)) << config;
        // The logs: read as the window reads them; at most a last line cut short.
        RunData run;
        ASSERT_NO_THROW(run = loadRun(dir.string()));
        for (const std::string& w : run.warnings) {
            EXPECT_NE(w.find("cut short"), std::string::npos) << w;
            ++t.cutLines;
        }
        (run.epochs.empty() ? t.firstEpoch : t.later) += 1;
        // metrics.csv: empty or starting with its header.
        if (fs::exists(dir / "metrics.csv")) {
            const std::string m = slurp(dir / "metrics.csv");
            EXPECT_TRUE(m.empty() || m.rfind("epoch,train_loss,", 0) == 0) << m;
            // Its header is flushed before the first batch: a run with batches has it.
            if (!run.batches.empty()) {
                EXPECT_FALSE(m.empty());
            }
        }
        // The checkpoint, when there is one under its final name, loads into the run's model.
        const fs::path ckpt = runCheckpointPath(dir.string());
        if (fs::exists(ckpt)) {
            ++t.checkpoints;
            EXPECT_NO_THROW({
                const CheckpointInfo info = readCheckpointInfo(ckpt.string());
                EXPECT_GE(info.epoch, 1);
                Net net = loadModel("lenet5", &spec);
                loadCheckpoint(ckpt.string(), net);
            });
        }
        ++t.readable;
    }
    // The next start (the window's run list) removes what dead writers left.
    const std::vector<std::string> listed = listRuns(root.string());
    EXPECT_GE(listed.size(), static_cast<std::size_t>(t.readable));
    for (const auto& e : fs::recursive_directory_iterator(root))
        EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();

    std::cout << "kills: " << t.rounds << " (uninterrupted run " << fullMs << " ms)"
              << ", readable " << t.readable << "/" << t.rounds - t.noFolder - t.noConfig
              << " folders with a config; before the folder " << t.noFolder
              << ", before config.json " << t.noConfig << ", in the first epoch " << t.firstEpoch
              << ", later " << t.later << ", finished before the kill " << t.finished
              << "; checkpoints loaded " << t.checkpoints << ", temp files left then removed "
              << t.tempFiles << ", last lines cut short " << t.cutLines << "\n";
    EXPECT_EQ(t.readable, t.rounds - t.noFolder - t.noConfig);
    fs::remove_all(root);
}
