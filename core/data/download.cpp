#include "core/data/download.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "core/error.h"

namespace ll {

namespace fs = std::filesystem;

DataSource officialSource(const std::string& dataset, const std::string& baseUrl) {
    DataSource s;
    s.dataset = dataset;
    if (dataset == "mnist") {
        s.baseUrl = baseUrl.empty() ? "https://ossci-datasets.s3.amazonaws.com/mnist" : baseUrl;
        s.subdir = "mnist";
        s.files = {{"train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"},
                   {"train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"},
                   {"t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"},
                   {"t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"}};
    } else if (dataset == "cifar10") {
        s.baseUrl = baseUrl.empty() ? "https://www.cs.toronto.edu/~kriz" : baseUrl;
        s.files = {{"cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530"}};
        s.extract = true;
    } else {
        throw UsageError(strCat("no download for '", dataset, "' (known: mnist, cifar10)"));
    }
    return s;
}

std::string md5File(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(strCat("cannot read '", path, "'"));
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx, md, &n);
    EVP_MD_CTX_free(ctx);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

namespace {

struct Transfer {
    std::FILE* file = nullptr;
    std::int64_t offset = 0;  // bytes already in the .part file
    const DownloadProgress* progress = nullptr;
    std::string name;
    bool cancelled = false;
    bool restart = false;  // the server ignored the range request: start the file again
    long status = 0;
};

std::size_t onData(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    return std::fwrite(data, size, n, t->file) * size;
}

int onProgress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t->progress && *t->progress) {
        const std::int64_t all = total > 0 ? t->offset + total : -1;
        if (!(*t->progress)(t->name, t->offset + now, all)) {
            t->cancelled = true;
            return 1;  // aborts the transfer
        }
    }
    return 0;
}

void initCurl() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Fetches url into part (appending from its current size when resuming).
void fetch(const std::string& url, const std::string& part, const std::string& name,
           const DownloadProgress& progress, const DownloadOptions& o) {
    initCurl();
    std::int64_t have = 0;
    std::error_code ec;
    if (o.resume && fs::exists(part, ec)) have = static_cast<std::int64_t>(fs::file_size(part, ec));
    for (int attempt = 0; attempt < 2; ++attempt) {
        Transfer t;
        t.offset = have;
        t.progress = &progress;
        t.name = name;
        t.file = std::fopen(part.c_str(), have > 0 ? "ab" : "wb");
        if (!t.file) throw DataError(strCat("cannot write '", part, "'"));
        CURL* c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onData);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onProgress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(o.connectSeconds));
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o.stallSeconds));
        curl_easy_setopt(c, CURLOPT_USERAGENT, "LayerLens");
        if (have > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(have));
        const CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.status);
        curl_easy_cleanup(c);
        std::fclose(t.file);
        if (rc == CURLE_RANGE_ERROR || (have > 0 && rc == CURLE_OK && t.status == 200)) {
            // No resume from this server (or 200 with the whole file appended): clean restart.
            fs::remove(part, ec);
            have = 0;
            continue;
        }
        if (t.cancelled) throw DataError(strCat(name, ": download cancelled; run again to resume"));
        if (rc == CURLE_OK) return;
        if (rc == CURLE_HTTP_RETURNED_ERROR && t.status == 416 && have > 0) return;  // complete
        if (rc == CURLE_HTTP_RETURNED_ERROR) {
            if (have == 0) fs::remove(part, ec);
            throw DataError(strCat(name, ": the server answered HTTP ", t.status, " for ", url));
        }
        if (rc == CURLE_OPERATION_TIMEDOUT)
            throw DataError(strCat(name, ": the download stalled (no data for ", o.stallSeconds,
                                   " s); run again to resume"));
        if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR)
            throw DataError(strCat(name,
                                   ": the connection closed before the end of the file; run "
                                   "again to resume"));
        throw DataError(
            strCat(name, ": download failed: ", curl_easy_strerror(rc), " (", url, ")"));
    }
    throw DataError(strCat(name, ": the server does not support resuming and the restart failed"));
}

// --- tar ------------------------------------------------------------------------------------

struct TarEntry {
    std::string name;
    char type;
    std::int64_t size;
};

bool safeRelative(const std::string& name) {
    if (name.empty() || name[0] == '/') return false;
    for (const auto& part : fs::path(name))
        if (part == "..") return false;
    return true;
}

std::int64_t octal(const char* p, int n) {
    std::int64_t v = 0;
    for (int i = 0; i < n && p[i]; ++i)
        if (p[i] >= '0' && p[i] <= '7') v = v * 8 + (p[i] - '0');
    return v;
}

// Reads n bytes of the archive into *out (or drops them); closes f and throws when it ends early.
void readBytes(gzFile f, std::int64_t n, std::ostream* out, const std::string& archive) {
    std::vector<char> buf(1 << 16);
    while (n > 0) {
        const int want =
            static_cast<int>(std::min<std::int64_t>(n, static_cast<std::int64_t>(buf.size())));
        if (gzread(f, buf.data(), static_cast<unsigned>(want)) != want) {
            gzclose(f);
            throw DataError(strCat(archive, " is truncated"));
        }
        if (out) out->write(buf.data(), want);
        n -= want;
    }
}

}  // namespace

void extractTarGz(const std::string& archive, const std::string& destDir) {
    // Pass 1 checks every entry; pass 2 writes into a staging folder that is moved in at the end.
    for (int pass = 0; pass < 2; ++pass) {
        gzFile f = gzopen(archive.c_str(), "rb");
        if (!f) throw DataError(strCat("cannot open '", archive, "'"));
        const fs::path staging = fs::path(destDir) / ".extracting";
        std::error_code ec;
        if (pass == 1) {
            fs::remove_all(staging, ec);
            fs::create_directories(staging);
        }
        std::vector<std::string> tops;
        char block[512];
        bool ended = false;
        while (gzread(f, block, 512) == 512) {
            if (block[0] == 0) {
                ended = true;
                break;
            }
            std::string name(block, strnlen(block, 100));
            const std::string prefix(block + 345, strnlen(block + 345, 155));
            if (!prefix.empty()) name = prefix + "/" + name;
            const char type = block[156];
            const std::int64_t size = octal(block + 124, 12);
            if (!safeRelative(name)) {
                gzclose(f);
                throw DataError(
                    strCat(archive, ": refusing entry '", name, "' (outside the destination)"));
            }
            if (type != '0' && type != '\0' && type != '5') {
                gzclose(f);
                throw DataError(strCat(archive, ": refusing entry '", name,
                                       "' (links and devices are not extracted)"));
            }
            const std::int64_t padded = (size + 511) / 512 * 512;
            if (pass == 1) {
                const fs::path out = staging / name;
                if (type == '5') {
                    fs::create_directories(out);
                } else {
                    fs::create_directories(out.parent_path());
                    std::ofstream o(out, std::ios::binary);
                    readBytes(f, size, &o, archive);
                    readBytes(f, padded - size, nullptr, archive);
                    continue;
                }
            }
            // Pass 0 (and directories): skip the data.
            readBytes(f, padded, nullptr, archive);
        }
        gzclose(f);
        if (!ended) throw DataError(strCat(archive, " is truncated or not a tar.gz archive"));
        if (pass == 1) {
            for (const auto& e : fs::directory_iterator(staging)) {
                const fs::path target = fs::path(destDir) / e.path().filename();
                fs::remove_all(target, ec);
                fs::rename(e.path(), target);
            }
            fs::remove_all(staging, ec);
        }
    }
}

std::string downloadDataset(const DataSource& source, const std::string& destDir,
                            const DownloadProgress& progress, const DownloadOptions& o) {
    const fs::path dir =
        source.subdir.empty() ? fs::path(destDir) : fs::path(destDir) / source.subdir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw DataError(strCat("cannot create '", dir.string(), "': ", ec.message()));
    for (const RemoteFile& rf : source.files) {
        const fs::path final = dir / rf.name;
        if (fs::exists(final, ec) && md5File(final.string()) == rf.md5) continue;  // already here
        const std::string part = final.string() + ".part";
        fetch(source.baseUrl + "/" + rf.name, part, rf.name, progress, o);
        const std::string got = md5File(part);
        if (got != rf.md5) {
            fs::remove(part, ec);
            throw DataError(strCat(rf.name, ": checksum mismatch (MD5 ", got, ", expected ", rf.md5,
                                   "); the file was deleted. The server sent something else: try "
                                   "again or another mirror (--url)"));
        }
        fs::rename(part, final, ec);
        if (ec) throw DataError(strCat("cannot rename '", part, "': ", ec.message()));
        if (source.extract) extractTarGz(final.string(), dir.string());
    }
    return destDir;
}

}  // namespace ll
