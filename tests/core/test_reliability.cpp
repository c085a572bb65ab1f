// Regression tests for the files that broke the parsers (../shared/reliability, bytes embedded in
// support/repro_files.h): each is refused with a one-line DataError or ModelError — never an
// out-of-bounds read, undefined behaviour, an escaping library exception, a multi-gigabyte
// allocation or a leak. Run under scripts/sanitize.sh address, these also prove the first two.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/analysis/cost.h"
#include "core/checkpoint.h"
#include "core/data/download.h"
#include "core/data/file_io.h"
#include "core/data/image_folder.h"
#include "core/data/npz.h"
#include "core/data/size_check.h"
#include "core/error.h"
#include "core/model_file.h"
#include "core/runs.h"
#include "support/data_files.h"
#include "support/repro_files.h"

namespace ll {

namespace fs = std::filesystem;

namespace {

// Peak resident memory of this process so far, in bytes.
std::int64_t peakRss() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<std::int64_t>(u.ru_maxrss) * 1024;
}

int openDescriptors() {
    int n = 0;
    for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
        (void)e;
        ++n;
    }
    return n;
}

// Writes a reproducer into a fresh folder and returns its path.
std::string reproPath(const std::string& name) {
    const std::string dir = test::freshDir("ll_repro_" + name);
    const std::string path = dir + "/" + name;
    const auto bytes = test::reproBytes(name);
    EXPECT_FALSE(bytes.empty()) << name;
    test::writeBytes(path, bytes);
    return path;
}

// Runs f, which must throw exactly E (a project error) whose message holds `words`.
template <typename E, typename F>
void expectError(F f, const std::string& words) {
    try {
        f();
        ADD_FAILURE() << "no error; expected one saying '" << words << "'";
    } catch (const E& e) {
        EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos)
            << "a one-line message: " << e.what();
    }
}

// Sets an environment variable for the life of the object.
struct ScopedEnv {
    std::string name;
    ScopedEnv(const char* n, const char* value) : name(n) { setenv(n, value, 1); }
    ~ScopedEnv() { unsetenv(name.c_str()); }
};

}  // namespace

TEST(SizeCheck, OverflowAndBoundsAreCaughtWithoutWrapping) {
    EXPECT_EQ(checkedMul(1u << 20, 1u << 20, "x"), std::uint64_t{1} << 40);
    EXPECT_THROW(checkedMul(std::uint64_t{1} << 32, std::uint64_t{1} << 32, "x"), DataError);
    EXPECT_THROW(checkedAdd(~std::uint64_t{0}, 1, "x"), DataError);
    EXPECT_NO_THROW(requireInside(100, 0, 100, "x"));
    EXPECT_NO_THROW(requireInside(100, 100, 0, "x"));
    EXPECT_THROW(requireInside(100, 1, 100, "x"), DataError);
    // The check of the checkpoint reader before the fix: at + n wraps to a small number.
    EXPECT_THROW(requireInside(100, 24, ~std::uint64_t{0} - 10, "x"), DataError);
    EXPECT_THROW(requireInside(100, ~std::uint64_t{0} - 3, 8, "x"), DataError);
    ScopedEnv budget("LAYERLENS_MEMORY_BUDGET_MB", "64");
    EXPECT_EQ(memoryBudget(), std::uint64_t{64} << 20);
    EXPECT_NO_THROW(requireBudget(std::uint64_t{64} << 20, "x"));
    expectError<DataError>([] { requireBudget((std::uint64_t{64} << 20) + 1, "the images"); },
                           "the images needs 67.1 MB, more than the 67.1 MB");
    EXPECT_EQ(formatBytes(999), "999 bytes");
    EXPECT_EQ(formatBytes(2'200'000'000), "2.2 GB");
}

TEST(Reliability, CheckpointHeaderLengthNear2To64IsRefused) {
    // 24 + headerLen + 4 wrapped to 8 and passed; the JSON parser then read past the buffer.
    const std::string path = reproPath("ckpt-hdrlen-wrap-heap-overflow.llck");
    expectError<DataError>([&] { readCheckpointInfo(path); }, "the header runs past the end");
}

TEST(Reliability, CheckpointTensorOffsetThatWrapsIsRefused) {
    // offset 2^64 - 8: dataStart + offset + nbytes wrapped, a pointer overflow (UB) followed.
    const std::string path = reproPath("ckpt-offset-wrap-ptr-overflow.llck");
    expectError<DataError>([&] { readCheckpointInfo(path); }, "tensor param:c.weight runs past");
}

TEST(Reliability, NpyShapeWhoseCountOverflowsIsRefused) {
    const auto bytes = test::reproBytes("npy-count-signed-overflow.npy");
    expectError<DataError>([&] { parseNpy(bytes, "a.npy"); }, "a.npy");
    // And count() itself never overflows (it was signed overflow, UB).
    NpyArray a;
    a.shape = {std::int64_t{1} << 32, std::int64_t{1} << 32};
    EXPECT_THROW(a.count(), DataError);
}

TEST(Reliability, NpzWithOverflowingCountsIsRefused) {
    for (const char* name :
         {"npz-count-signed-overflow.npz", "npz-label-size-wrap-huge-alloc.npz"}) {
        const std::string path = reproPath(name);
        const std::int64_t before = peakRss();
        expectError<DataError>([&] { loadMnistNpz(path, "train"); }, path);
        EXPECT_LT(peakRss() - before, 256 << 20) << name;
    }
}

TEST(Reliability, NpzMemberDeclaringTwoGigabytesIsRefusedWithoutAllocatingThem) {
    // 125 bytes whose member says it inflates to 2 GB: the reader zero-filled 2 GB first.
    const std::string path = reproPath("npz-deflate-usize-2GB-alloc.npz");
    const std::int64_t before = peakRss();
    expectError<DataError>([&] { loadMnistNpz(path, "train"); }, path);
    EXPECT_LT(peakRss() - before, 64 << 20);
}

TEST(Reliability, GzipSizeTrailerIsOnlyAHint) {
    // A 30-byte .gz whose trailer claims 4 GB - 1: the reader reserved up to 1 GiB from it.
    const std::string dir = test::freshDir("ll_repro_gz");
    test::writeGzip(dir + "/small.gz", {1, 2, 3, 4, 5});
    std::vector<std::uint8_t> b;
    {
        std::ifstream in(dir + "/small.gz", std::ios::binary);
        b.assign(std::istreambuf_iterator<char>(in), {});
    }
    ASSERT_GT(b.size(), 4u);
    for (std::size_t i = b.size() - 4; i < b.size(); ++i)
        b[i] = 0xFF;
    test::writeBytes(dir + "/lying.gz", b);
    const std::int64_t before = peakRss();
    try {
        const auto out = readMaybeGzip(dir + "/lying.gz");
        EXPECT_LE(out.capacity(), 64u * 1024) << "reserved from the trailer";
    } catch (const DataError&) {
        // zlib may also notice the wrong length: an error is fine, an allocation is not.
    }
    EXPECT_LT(peakRss() - before, 32 << 20);
}

TEST(Reliability, GzipThatInflatesBeyondTheBudgetIsRefused) {
    const std::string dir = test::freshDir("ll_repro_gzbomb");
    test::writeGzip(dir + "/zeros.gz", std::vector<std::uint8_t>(std::size_t{48} << 20, 0));
    ScopedEnv budget("LAYERLENS_MEMORY_BUDGET_MB", "16");
    expectError<DataError>([&] { readMaybeGzip(dir + "/zeros.gz"); }, "of memory available");
}

TEST(Reliability, HugeLinearLayerGetsItsCostTableWithoutWeights) {
    // 93 bytes: a Linear layer of 700,000 outputs. `layerlens summary` peaked at 2.2 GB.
    const std::string doc =
        R"({"name":"big","input":[1,28,28],"layers":[{"type":"Flatten"},{"type":"Linear","out":700000}]})";
    const std::int64_t before = peakRss();
    const Net net = buildNet(doc, nullptr, "big.json", Build::ShapesOnly);
    EXPECT_TRUE(net.shapesOnly());
    const CostTable t = computeCosts(net);
    EXPECT_EQ(t.totals.params(), 784LL * 700000 + 700000);
    EXPECT_EQ(t.totals.multiplications, 784LL * 700000);
    EXPECT_LT(peakRss() - before, 64 << 20);
    // A shapes-only net cannot run: a clear error, not a crash on empty weights.
    Net copy = buildNet(doc, nullptr, "big.json", Build::ShapesOnly);
    EXPECT_THROW(copy.forward(Tensor({1, 1, 28, 28}), Mode::Eval), CheckError);
}

TEST(Reliability, TenBillionParametersGetACostTableInLittleMemory) {
    const std::string doc = R"({"name":"giant","input":[3,224,224],"layers":[
        {"type":"Conv2d","out":4096,"kernel":3,"padding":1},
        {"type":"BatchNorm2d"},{"type":"ReLU"},
        {"type":"Conv2d","out":4096,"kernel":3,"padding":1},
        {"type":"Flatten"},{"type":"Linear","out":50}]})";
    const std::int64_t before = peakRss();
    const Net net = buildNet(doc, nullptr, "giant.json", Build::ShapesOnly);
    const CostTable t = computeCosts(net);
    EXPECT_GT(t.totals.params(), 10'000'000'000LL);
    EXPECT_LT(peakRss() - before, 64 << 20);
    // Building its weights is refused, naming the size, before anything is allocated.
    expectError<ModelError>([&] { buildNet(doc, nullptr, "giant.json"); }, "more than the");
    EXPECT_LT(peakRss() - before, 64 << 20);
    // So is training it.
    expectError<ModelError>([&] { requireTrainingMemory(net, 32, "adam"); }, "needs about");
}

TEST(Reliability, TrainingMemoryEstimateOfLeNet5) {
    const Net net = loadModel("lenet5", nullptr, Build::ShapesOnly);
    const TrainingMemory m = estimateTrainingMemory(computeCosts(net), 100, "momentum");
    EXPECT_EQ(m.weights, 4 * 61706);
    EXPECT_EQ(m.gradients, m.weights);
    EXPECT_EQ(m.optimizerState, m.weights);
    EXPECT_GT(m.activations, 0);
    EXPECT_NO_THROW(requireTrainingMemory(net, 100, "momentum"));
    ScopedEnv budget("LAYERLENS_MEMORY_BUDGET_MB", "1");
    expectError<ModelError>([&] { requireTrainingMemory(net, 100, "momentum"); },
                            "training model 'lenet5' with batch 100 and momentum needs about");
}

TEST(Reliability, LayerOfTwoBillionOutputsIsAModelError) {
    // `out: 2e9`-sized layers: std::bad_alloc escaped.
    const std::string doc =
        R"({"name":"big","input":[1,28,28],"layers":[{"type":"Flatten"},{"type":"Linear","out":2000000000}]})";
    expectError<ModelError>([&] { buildNet(doc, nullptr, "big.json"); }, "big.json");
    EXPECT_EQ(buildNet(doc, nullptr, "big.json", Build::ShapesOnly).numParams(),
              784LL * 2000000000 + 2000000000);
}

TEST(Reliability, NumbersOutOfRangeInModelFilesAreModelErrors) {
    // 1e999: nlohmann's out_of_range escaped.
    expectError<ModelError>(
        [] {
            buildNet(R"({"name":"x","input":[1,28,28],"layers":[],"lr":1e999})", nullptr, "x.json");
        },
        "x.json");
    const std::string base = R"({"name":"x","input":[1,8,8],"layers":[{"type":"Flatten"},)";
    for (const char* layer :
         {R"({"type":"Linear","out":5000000000}]})", R"({"type":"Linear","out":-5000000000}]})",
          R"({"type":"Linear","out":18446744073709551615}]})"}) {
        expectError<ModelError>([&] { buildNet(base + std::string(layer), nullptr, "x.json"); },
                                "out of range");
    }
    expectError<ModelError>(
        [] {
            buildNet(R"({"name":"x","input":[1,8,8],"defaults":{"batch":1e300},
                "layers":[{"type":"Flatten"}]})",
                     nullptr, "x.json");
        },
        "\"batch\" must be an integer");
    expectError<ModelError>(
        [] {
            buildNet(R"({"name":"x","input":[1,8,8],"defaults":{"lr":1e300},
                "layers":[{"type":"Flatten"}]})",
                     nullptr, "x.json");
        },
        "\"lr\" is out of range");
    expectError<ModelError>(
        [] {
            buildNet(R"({"name":"x","input":[1,8,8],"layers":[{"type":"Flatten"},
                {"type":"Dropout","p":1e300}]})",
                     nullptr, "x.json");
        },
        "out of range");
    expectError<ModelError>(
        [] {
            buildNet(R"({"name":"x","input":[65536,65536,65536],"layers":[{"type":"Flatten"}]})",
                     nullptr, "x.json");
        },
        "x.json");
}

TEST(Reliability, TarEntryUnderAFileIsRefusedWithoutLeaks) {
    // Entry `x` (a file), then `x/y`: std::filesystem_error escaped, the gzip handle and its
    // descriptor leaked, and `.extracting` stayed behind.
    const std::string path = reproPath("tar-file-then-child-fs-error-leak.tar.gz");
    const std::string out = fs::path(path).parent_path().string() + "/out";
    fs::create_directories(out);
    const int fds = openDescriptors();
    expectError<DataError>([&] { extractTarGz(path, out); }, path);
    EXPECT_EQ(openDescriptors(), fds);
    EXPECT_FALSE(fs::exists(out + "/.extracting"));
    EXPECT_FALSE(fs::exists(out + "/x"));
}

TEST(Reliability, RunCsvNumbersOutOfRangeAreMalformedLines) {
    // `1e300` and `nan` in count columns were cast to integers (UB).
    const std::string dir = test::freshDir("ll_repro_runcsv");
    std::ofstream(dir + "/config.json") << "{}";
    std::ofstream(dir + "/batches.csv") << "step,epoch,batch,loss,accuracy,lr,images_per_s\n"
                                           "1e300,nan,0,0,0,0,0\n"
                                           "1,1,1,2.3,0.1,1e300,100\n"
                                           "2,1,2.5,2.3,0.1,0.1,100\n"
                                           "3,-1,2,2.3,0.1,0.1,100\n"
                                           "4,1,4,2.2,0.2,0.1,100\n";
    std::ofstream(dir + "/evals.csv") << "step,epoch,loss,accuracy,samples\n1,1e10,1,1,1e20\n";
    std::ofstream(dir + "/epochs.csv")
        << "epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s\ninf,1,1,1,1,1,1\n";
    std::ofstream(dir + "/norms.csv")
        << "step,layer,weight_norm,grad_norm\n-nan,c1,1,1\n4,c1,1,2\n";
    const RunData r = loadRun(dir);
    ASSERT_EQ(r.batches.size(), 2u);  // the lr of 1e300 is a float out of range: NaN, kept
    EXPECT_EQ(r.batches[0].step, 1);
    EXPECT_TRUE(std::isnan(r.batches[0].lr));
    EXPECT_EQ(r.batches[1].step, 4);
    ASSERT_EQ(r.batches[1].norms.size(), 1u);
    EXPECT_EQ(r.batches[1].norms[0].gradNorm, 2);
    EXPECT_TRUE(r.evals.empty());
    EXPECT_TRUE(r.epochs.empty());
    EXPECT_GE(r.warnings.size(), 6u);
}

TEST(Reliability, RunFolderProblemsAreDataErrors) {
    // A file where the run folder should go: std::filesystem_error escaped RunLog::create.
    const std::string dir = test::freshDir("ll_repro_runfs");
    std::ofstream(dir + "/taken") << "a file";
    expectError<DataError>([&] { RunLog::create(dir + "/taken", "run", "{}"); },
                           "cannot create run");
    expectError<DataError>([&] { loadRun(dir + "/missing"); }, "not a LayerLens run");
}

TEST(Reliability, StaleTemporaryFilesOfKilledWritersAreRemoved) {
    // A kill during a checkpoint write left checkpoint.llck.tmp.<pid> forever.
    const std::string root = test::freshDir("ll_repro_tmp");
    const std::string dir = root + "/run1";
    fs::create_directories(dir);
    std::ofstream(dir + "/config.json") << "{}";
    // A pid that cannot be running (above the kernel's pid_max of 4194304).
    std::ofstream(dir + "/checkpoint.llck.tmp.99999999") << "half";
    const std::string mine = dir + "/checkpoint.llck.tmp." + std::to_string(::getpid());
    std::ofstream(mine) << "being written";
    std::ofstream(dir + "/notes.tmp.txt") << "not ours";
    EXPECT_EQ(listRuns(root), std::vector<std::string>{dir});
    EXPECT_FALSE(fs::exists(dir + "/checkpoint.llck.tmp.99999999"));
    EXPECT_TRUE(fs::exists(mine));  // a live writer keeps its file
    EXPECT_TRUE(fs::exists(dir + "/notes.tmp.txt"));
    std::ofstream(dir + "/checkpoint.llck.tmp.99999998") << "half";
    writeFileAtomic(dir + "/checkpoint.llck", "new");
    EXPECT_FALSE(fs::exists(dir + "/checkpoint.llck.tmp.99999998"));
}

}  // namespace ll

namespace ll {

// Found by fuzz_checkpoint: counts in the header were converted from any JSON number, so
// "epoch": 1e300 was a float-to-int conversion outside int's range (undefined behaviour).
TEST(Reliability, CheckpointCountsThatAreNotWholeNumbersAreRefused) {
    const std::string dir = test::freshDir("ll_repro_ckpt_counts");
    const std::string good = dir + "/good.llck", bad = dir + "/bad.llck";
    Net net = buildNet(R"({"name":"tiny","input":[4],"layers":[{"type":"Linear","out":2}]})");
    saveCheckpoint(good, net, nullptr, 3, 42, "");
    EXPECT_EQ(readCheckpointInfo(good).epoch, 3);
    EXPECT_EQ(readCheckpointInfo(good).step, 42);
    std::ifstream in(good, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::uint64_t len = 0;
    std::memcpy(&len, bytes.data() + 16, 8);  // little endian, as on this machine
    const std::string header = bytes.substr(24, len);
    const std::string data = bytes.substr(24 + len, bytes.size() - 4 - 24 - len);
    // The file with one header field replaced; length field and CRC-32 recomputed.
    auto writeWith = [&](const std::string& from, const std::string& to) {
        std::string h = header;
        const auto at = h.find(from);
        ASSERT_NE(at, std::string::npos) << h;
        h.replace(at, from.size(), to);
        const std::uint64_t n = h.size();
        std::string out = bytes.substr(0, 16);
        out.append(reinterpret_cast<const char*>(&n), 8);
        out += h + data;
        const auto crc = static_cast<std::uint32_t>(
            crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())));
        out.append(reinterpret_cast<const char*>(&crc), 4);
        std::ofstream(bad, std::ios::binary) << out;
    };
    writeWith("\"epoch\":3", "\"epoch\":3");
    EXPECT_EQ(readCheckpointInfo(bad).epoch, 3) << "the rewriting itself keeps a valid file";
    for (const char* epoch : {"1e300", "-1", "2.5", "\"3\"", "4294967296"}) {
        writeWith("\"epoch\":3", std::string("\"epoch\":") + epoch);
        expectError<DataError>([&] { readCheckpointInfo(bad); }, "malformed header");
        expectError<DataError>([&] { loadCheckpoint(bad, net); }, "malformed header");
    }
    writeWith("\"step\":42", "\"step\":1e300");
    expectError<DataError>([&] { readCheckpointInfo(bad); }, "'step' is");
}

// Found by fuzz_image_folder: a 20-byte P6 header declaring 32768×32768 pixels made the decoder
// allocate 3 GiB before it noticed the file holds none.
TEST(Reliability, NetpbmHeaderDeclaringGigabytesIsRefusedWithoutAllocatingThem) {
    const std::string dir = test::freshDir("ll_repro_netpbm");
    std::ofstream(dir + "/huge.ppm", std::ios::binary) << "P6\n32768 32768\n255\n\x01\x02";
    const std::int64_t before = peakRss();
    DecodedImage img;
    std::string error;
    EXPECT_FALSE(decodeImage(dir + "/huge.ppm", img, &error));
    EXPECT_NE(error.find("truncated"), std::string::npos) << error;
    EXPECT_LT(peakRss() - before, 64 << 20);
    // A whole small image still decodes.
    std::ofstream(dir + "/small.pgm", std::ios::binary) << "P5\n2 1\n255\n\x10\x20";
    ASSERT_TRUE(decodeImage(dir + "/small.pgm", img, &error)) << error;
    EXPECT_EQ(img.pixels, (std::vector<std::uint8_t>{0x10, 0x20}));
}

}  // namespace ll
