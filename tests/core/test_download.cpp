// Downloads against a local HTTP server (127.0.0.1): good files, a truncated transfer that is
// resumed, a wrong checksum, a 404, a stalled connection, a cancel, a server without ranges, and
// tar.gz extraction with path-traversal entries refused.
#include <gtest/gtest.h>
#include <zlib.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/data/download.h"
#include "core/error.h"
#include "support/data_files.h"
#include "support/http_server.h"

namespace ll {

namespace {

namespace fs = std::filesystem;
using Server = test::LocalHttpServer;

std::string md5Of(const std::string& bytes) {
    // One probe file per process: ctest runs these tests as parallel processes.
    const std::string path = ::testing::TempDir() + "/ll_md5_probe_" + std::to_string(::getpid());
    std::ofstream(path, std::ios::binary) << bytes;
    return md5File(path);
}

std::string bytes(std::size_t n, int seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 31 + static_cast<std::size_t>(seed) * 7) % 251);
    return s;
}

DataSource source(const Server& server,
                  const std::vector<std::pair<std::string, std::string>>& files) {
    DataSource s;
    s.dataset = "test";
    s.baseUrl = server.url() + "/files";
    s.subdir = "set";
    for (const auto& [name, body] : files)
        s.files.push_back({name, md5Of(body)});
    return s;
}

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A tar archive (ustar headers) of (name, content, type) entries, gzipped.
void writeTarGz(const std::string& path,
                const std::vector<std::tuple<std::string, std::string, char>>& entries) {
    std::string tar;
    for (const auto& [name, content, type] : entries) {
        char h[512] = {};
        std::snprintf(h, 100, "%s", name.c_str());
        std::snprintf(h + 100, 8, "0000644");
        std::snprintf(h + 108, 8, "0000000");
        std::snprintf(h + 116, 8, "0000000");
        std::snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(content.size()));
        std::snprintf(h + 136, 12, "%011o", 0);
        h[156] = type;
        std::memcpy(h + 257, "ustar", 5);
        std::memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (unsigned char ch : h)
            sum += ch;
        std::snprintf(h + 148, 8, "%06o", sum);
        tar.append(h, 512);
        tar += content;
        tar.append((512 - content.size() % 512) % 512, '\0');
    }
    tar.append(1024, '\0');
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, tar.data(), static_cast<unsigned>(tar.size()));
    gzclose(f);
}

}  // namespace

TEST(Download, GoodFilesAreVerifiedAndNotFetchedTwice) {
    Server server;
    const std::string a = bytes(300000, 1), b = bytes(1000, 2);
    server.route("/files/a.bin", {a});
    server.route("/files/b.bin", {b});
    const std::string dest = test::freshDir("dl_good");
    int calls = 0;
    std::int64_t last = 0, total = 0;
    const DownloadProgress progress = [&](const std::string&, std::int64_t done, std::int64_t all) {
        ++calls;
        last = done;
        total = all;
        return true;
    };
    downloadDataset(source(server, {{"a.bin", a}, {"b.bin", b}}), dest, progress);
    EXPECT_EQ(readAll(dest + "/set/a.bin"), a);
    EXPECT_EQ(readAll(dest + "/set/b.bin"), b);
    EXPECT_FALSE(fs::exists(dest + "/set/a.bin.part"));
    EXPECT_GT(calls, 0);
    EXPECT_EQ(last, 1000);
    EXPECT_EQ(total, 1000);
    const int requests = server.requests();
    downloadDataset(source(server, {{"a.bin", a}, {"b.bin", b}}), dest);
    EXPECT_EQ(server.requests(), requests);  // both already there with the right checksum
}

TEST(Download, WrongChecksumLeavesNothing) {
    Server server;
    const std::string good = bytes(5000, 3);
    server.route("/files/x.bin", {bytes(5000, 4)});  // tampered
    const std::string dest = test::freshDir("dl_bad");
    try {
        downloadDataset(source(server, {{"x.bin", good}}), dest);
        FAIL() << "a tampered file was accepted";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest + "/set/x.bin"));
    EXPECT_FALSE(fs::exists(dest + "/set/x.bin.part"));
}

TEST(Download, NotFoundSaysTheStatus) {
    Server server;
    const std::string dest = test::freshDir("dl_404");
    try {
        downloadDataset(source(server, {{"missing.bin", "abc"}}), dest);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("HTTP 404"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest + "/set/missing.bin.part"));
}

TEST(Download, TruncatedTransferResumesWithARangeRequest) {
    Server server;
    const std::string body = bytes(200000, 5);
    server.route("/files/t.bin", {body, Server::Mode::Truncate});
    const std::string dest = test::freshDir("dl_trunc");
    const DataSource src = source(server, {{"t.bin", body}});
    try {
        downloadDataset(src, dest);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("run again to resume"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest + "/set/t.bin"));
    ASSERT_TRUE(fs::exists(dest + "/set/t.bin.part"));
    const auto half = fs::file_size(dest + "/set/t.bin.part");
    EXPECT_EQ(half, body.size() / 2);
    server.route("/files/t.bin", {body});
    downloadDataset(src, dest);
    EXPECT_EQ(server.lastRange(), std::to_string(half) + "-");
    EXPECT_EQ(readAll(dest + "/set/t.bin"), body);
}

TEST(Download, ServerWithoutRangesRestartsCleanly) {
    Server server;
    const std::string body = bytes(50000, 6);
    server.route("/files/n.bin", {body, Server::Mode::NoRange});
    const std::string dest = test::freshDir("dl_norange");
    fs::create_directories(dest + "/set");
    std::ofstream(dest + "/set/n.bin.part", std::ios::binary) << body.substr(0, 1000) << "garbage";
    downloadDataset(source(server, {{"n.bin", body}}), dest);
    EXPECT_EQ(readAll(dest + "/set/n.bin"), body);
}

TEST(Download, StalledConnectionGivesUp) {
    Server server;
    const std::string body = bytes(100000, 7);
    server.route("/files/s.bin", {body, Server::Mode::Stall});
    const std::string dest = test::freshDir("dl_stall");
    DownloadOptions o;
    o.stallSeconds = 1;
    try {
        downloadDataset(source(server, {{"s.bin", body}}), dest, {}, o);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("stalled"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest + "/set/s.bin"));
}

TEST(Download, CancelFromTheProgressCallback) {
    Server server;
    const std::string body = bytes(400000, 8);
    server.route("/files/c.bin", {body});
    const std::string dest = test::freshDir("dl_cancel");
    try {
        downloadDataset(source(server, {{"c.bin", body}}), dest,
                        [](const std::string&, std::int64_t, std::int64_t) { return false; });
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("cancelled"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest + "/set/c.bin"));
}

TEST(Download, TarGzExtractionRefusesPathsOutsideTheDestination) {
    const std::string dir = test::freshDir("dl_tar");
    writeTarGz(dir + "/good.tar.gz",
               {{"cifar-10-batches-bin/", "", '5'},
                {"cifar-10-batches-bin/test_batch.bin", "abc", '0'},
                {"cifar-10-batches-bin/readme.html", std::string(700, 'x'), '0'}});
    extractTarGz(dir + "/good.tar.gz", dir + "/out");
    EXPECT_EQ(readAll(dir + "/out/cifar-10-batches-bin/test_batch.bin"), "abc");
    EXPECT_EQ(fs::file_size(dir + "/out/cifar-10-batches-bin/readme.html"), 700u);
    EXPECT_FALSE(fs::exists(dir + "/out/.extracting"));
    for (const auto& evil :
         {std::string("../escape.txt"), std::string("/tmp/abs.txt"), std::string("a/../../b")}) {
        writeTarGz(dir + "/evil.tar.gz", {{"fine.txt", "ok", '0'}, {evil, "pwned", '0'}});
        try {
            extractTarGz(dir + "/evil.tar.gz", dir + "/out2");
            FAIL() << evil;
        } catch (const DataError& e) {
            EXPECT_NE(std::string(e.what()).find("refusing"), std::string::npos) << e.what();
        }
        EXPECT_FALSE(fs::exists(dir + "/out2/fine.txt")) << "nothing is written before the check";
    }
    EXPECT_FALSE(fs::exists(dir + "/escape.txt"));
    writeTarGz(dir + "/link.tar.gz", {{"l", "", '2'}});
    EXPECT_THROW(extractTarGz(dir + "/link.tar.gz", dir + "/out3"), DataError);
}

TEST(Download, OfficialSourcesMatchThePublishedChecksums) {
    const DataSource m = officialSource("mnist");
    ASSERT_EQ(m.files.size(), 4u);
    EXPECT_EQ(m.files[0].md5, "f68b3c2dcbeaaa9fbdd348bbdeb94873");  // torchvision's list
    EXPECT_EQ(officialSource("mnist", "http://mirror.example/mnist").baseUrl,
              "http://mirror.example/mnist");
    EXPECT_TRUE(officialSource("cifar10").extract);
    EXPECT_THROW(officialSource("svhn"), UsageError);
    // Against the real files when present: the published MD5 of each MNIST file.
    const std::string real = test::realDataDir();
    if (real.empty()) return;
    for (const RemoteFile& f : m.files)
        EXPECT_EQ(md5File(real + "/mnist/" + f.name), f.md5) << f.name;
}

}  // namespace ll
