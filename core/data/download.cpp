#include "core/data/download.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

#include "core/data/archive_message.h"
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

bool safeRelative(const std::string& name) {
    if (name.empty() || name[0] == '/') return false;
    for (const auto& part : fs::path(name))
        if (part == "..") return false;
    return true;
}

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

// A reader of a gzip-compressed tar archive (libarchive: ustar, pax and GNU headers).
ArchivePtr openTarGz(const std::string& path) {
    ArchivePtr ar(archive_read_new(), &archive_read_free);
    if (!ar) throw DataError(strCat(path, ": out of memory"));
    archive_read_support_filter_gzip(ar.get());
    archive_read_support_format_tar(ar.get());
    if (archive_read_open_filename(ar.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
        const std::string msg = archiveMessage(ar.get());
        throw DataError(strCat("cannot read '", path, "' as a tar.gz archive",
                               msg.empty() ? "" : " (" + msg + ")"));
    }
    return ar;
}

[[noreturn]] void archiveFailure(archive* ar, const std::string& path, const std::string& what) {
    const std::string msg = archiveMessage(ar);
    throw DataError(
        strCat(path, ": ", what, msg.empty() ? "" : " (" + msg + ")", "; download it again"));
}

// Removes a folder when it goes out of scope (the staging folder of an extraction that failed).
struct RemoveOnExit {
    fs::path dir;
    ~RemoveOnExit() {
        std::error_code ec;
        if (!dir.empty()) fs::remove_all(dir, ec);
    }
};

}  // namespace

void extractTarGz(const std::string& archivePath, const std::string& destDir) {
    // Pass 1 checks every entry; pass 2 writes into a staging folder that is moved in at the end.
    // Every file-system error becomes a DataError, and the staging folder never outlives a
    // failure.
    for (int pass = 0; pass < 2; ++pass) {
        ArchivePtr ar = openTarGz(archivePath);
        RemoveOnExit staging;
        if (pass == 1) {
            staging.dir = fs::path(destDir) / ".extracting";
            std::error_code ec;
            fs::remove_all(staging.dir, ec);
            fs::create_directories(staging.dir, ec);
            if (ec)
                throw DataError(
                    strCat("cannot create '", staging.dir.string(), "': ", ec.message()));
        }
        for (;;) {
            archive_entry* e = nullptr;
            const int rc = archive_read_next_header(ar.get(), &e);
            if (rc == ARCHIVE_EOF) break;
            if (rc < ARCHIVE_WARN) archiveFailure(ar.get(), archivePath, "is truncated or damaged");
            const char* p = archive_entry_pathname(e);
            const std::string name = p ? p : "";
            if (!safeRelative(name)) {
                throw DataError(
                    strCat(archivePath, ": refusing entry '", name, "' (outside the destination)"));
            }
            const auto type = archive_entry_filetype(e);
            if (type != AE_IFREG && type != AE_IFDIR) {
                throw DataError(strCat(archivePath, ": refusing entry '", name,
                                       "' (links and devices are not extracted)"));
            }
            if (pass == 0 || type == AE_IFDIR) {
                if (pass == 1) {
                    std::error_code ec;
                    fs::create_directories(staging.dir / name, ec);
                    if (ec)
                        throw DataError(strCat(archivePath, ": cannot create folder '", name,
                                               "': ", ec.message()));
                }
                if (archive_read_data_skip(ar.get()) < ARCHIVE_WARN)
                    archiveFailure(ar.get(), archivePath, "is truncated or damaged");
                continue;
            }
            const fs::path out = staging.dir / name;
            std::error_code ec;
            fs::create_directories(out.parent_path(), ec);
            if (ec)
                throw DataError(
                    strCat(archivePath, ": cannot create '", name, "' (", ec.message(), ")"));
            std::ofstream o(out, std::ios::binary | std::ios::trunc);
            if (!o)
                throw DataError(strCat(archivePath, ": cannot write '", name,
                                       "' (a file and a folder of the same name?)"));
            char buf[1 << 16];
            for (;;) {
                const la_ssize_t n = archive_read_data(ar.get(), buf, sizeof buf);
                if (n < 0) archiveFailure(ar.get(), archivePath, "is truncated or damaged");
                if (n == 0) break;
                o.write(buf, n);
            }
            if (!o.flush()) throw DataError(strCat(archivePath, ": cannot write '", name, "'"));
        }
        if (pass == 1) {
            std::error_code ec;
            for (const auto& e : fs::directory_iterator(staging.dir, ec)) {
                const fs::path target = fs::path(destDir) / e.path().filename();
                fs::remove_all(target, ec);
                fs::rename(e.path(), target, ec);
                if (ec)
                    throw DataError(strCat("cannot move '", e.path().string(), "' to '",
                                           target.string(), "': ", ec.message()));
            }
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
