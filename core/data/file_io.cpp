#include "core/data/file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <set>

#include "core/data/size_check.h"
#include "core/error.h"

namespace ll {

bool fileExists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

namespace {

// Deflate cannot expand data more than about 1032:1; a gzip header and trailer take 18 bytes.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

struct FileHead {
    std::uint64_t size = 0;     // bytes on disk
    bool gzip = false;          // starts with the gzip magic
    std::uint64_t trailer = 0;  // a gzip member's ISIZE trailer: the size mod 2^32
};

FileHead fileHead(const std::string& path) {
    FileHead h;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_size > 0)
        h.size = static_cast<std::uint64_t>(st.st_size);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return h;
    unsigned char head[2] = {0, 0}, tail[4] = {0, 0, 0, 0};
    h.gzip = std::fread(head, 1, 2, f) == 2 && head[0] == 0x1f && head[1] == 0x8b;
    if (h.gzip && h.size >= 4 && std::fseek(f, -4, SEEK_END) == 0 &&
        std::fread(tail, 1, 4, f) == 4) {
        h.trailer = static_cast<std::uint64_t>(tail[0]) | static_cast<std::uint64_t>(tail[1]) << 8 |
                    static_cast<std::uint64_t>(tail[2]) << 16 |
                    static_cast<std::uint64_t>(tail[3]) << 24;
    }
    std::fclose(f);
    return h;
}

}  // namespace

std::vector<std::uint8_t> readMaybeGzip(const std::string& path) {
    const FileHead head = fileHead(path);
    // What the file can possibly hold once inflated, and what this machine lets us allocate:
    // both bound the reads below, so a damaged or hostile file cannot take all memory.
    // (A plain file holds what it holds: only the budget bounds it.)
    const std::uint64_t limit =
        head.gzip ? std::min(memoryBudget(), checkedMul(head.size, kMaxDeflateRatio, path) + 64)
                  : memoryBudget();
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw DataError(strCat("cannot open '", path, "': ", std::strerror(errno)));
    // zlib allocates three times this: 128 kB for big files, less for small ones (checkpoints and
    // test files are read often; the fuzzers read thousands a second).
    gzbuffer(f, static_cast<unsigned>(std::clamp<std::uint64_t>(head.size, 1 << 12, 1 << 17)));
    std::vector<std::uint8_t> out;
    // One allocation when the trailer is plausible (growth by doubling would peak at 2-3x); the
    // trailer is only a hint (it is the size mod 2^32), so it never asks for more than the limit.
    try {
        out.reserve(
            static_cast<std::size_t>(std::min(head.gzip ? head.trailer : head.size, limit)));
    } catch (const std::bad_alloc&) {
        gzclose(f);
        throw DataError(strCat("'", path, "': not enough memory to read it"));
    }
    std::uint8_t buf[1 << 16];
    for (;;) {
        const int n = gzread(f, buf, sizeof buf);
        if (n < 0) {
            int code = 0;
            const std::string msg = gzerror(f, &code);
            gzclose(f);
            throw DataError(strCat("'", path, "' is damaged (", msg, "); download it again"));
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > limit) {
            gzclose(f);
            requireBudget(out.size() + static_cast<std::size_t>(n), strCat("reading '", path, "'"));
            throw DataError(strCat("'", path, "' inflates to more than ", formatBytes(limit),
                                   ", which its size of ", formatBytes(head.size),
                                   " cannot hold: it is damaged"));
        }
        try {
            out.insert(out.end(), buf, buf + n);
        } catch (const std::bad_alloc&) {
            gzclose(f);
            throw DataError(strCat("'", path, "': not enough memory to read it"));
        }
    }
    // A gzip stream cut short reads as a clean end in zlib < 1.2.12 only via gzclose's status.
    const int rc = gzclose(f);
    if (rc == Z_BUF_ERROR) {
        throw DataError(strCat(
            "'", path, "' is truncated (the compressed stream ends early); download it again"));
    }
    return out;
}

int removeStaleTempFiles(const std::string& dir) {
    namespace fs = std::filesystem;
    int removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const std::size_t at = name.rfind(".tmp.");
        if (at == std::string::npos || at + 5 >= name.size()) continue;
        const std::string pid = name.substr(at + 5);
        if (pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
        // A live writer (this process included) still owns its file.
        if (::kill(static_cast<pid_t>(std::stol(pid)), 0) == 0 || errno == EPERM) continue;
        std::error_code rec;
        if (fs::remove(it->path(), rec)) ++removed;
    }
    return removed;
}

namespace {

// Writes `bytes` to the new file `tmp`, flushed and synced; removes it and throws DataError when
// that fails.
void writeSynced(const std::string& tmp, std::string_view bytes) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) throw DataError(strCat("cannot write '", tmp, "': ", std::strerror(errno)));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string err = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw DataError(strCat("cannot write '", tmp, "': ", err));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string err = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw DataError(strCat("cannot write '", tmp, "': ", err));
    }
}

}  // namespace

void writeFileAtomic(const std::string& path, const std::string& bytes) {
    writeFilesAtomic({{path, bytes}});
}

void writeFilesAtomic(const std::vector<std::pair<std::string, std::string_view>>& files) {
    std::set<std::string> dirs;
    for (const auto& f : files) {
        const std::string parent = std::filesystem::path(f.first).parent_path().string();
        dirs.insert(parent.empty() ? "." : parent);
    }
    for (const std::string& d : dirs)
        removeStaleTempFiles(d);
    std::vector<std::string> tmps;
    const auto unlinkFrom = [&](std::size_t first) {
        for (std::size_t i = first; i < tmps.size(); ++i)
            ::unlink(tmps[i].c_str());
    };
    // Every file complete on disk before any target changes.
    for (const auto& [path, bytes] : files) {
        const std::string tmp = path + ".tmp." + std::to_string(::getpid());
        try {
            writeSynced(tmp, bytes);
        } catch (...) {
            unlinkFrom(0);
            throw;
        }
        tmps.push_back(tmp);
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string& path = files[i].first;
        if (::rename(tmps[i].c_str(), path.c_str()) != 0) {
            const std::string err = std::strerror(errno);
            unlinkFrom(i);
            // The files already renamed belong with this one: none of the set stays alone.
            for (std::size_t j = 0; j < i; ++j)
                ::unlink(files[j].first.c_str());
            throw DataError(strCat("cannot rename '", tmps[i], "' to '", path, "': ", err));
        }
    }
}

}  // namespace ll
