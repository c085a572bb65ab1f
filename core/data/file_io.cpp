#include "core/data/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace ll {

bool fileExists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

namespace {

// Uncompressed size of a file: a gzip member's ISIZE trailer (size mod 2^32), or the file size.
// Only a hint for reserve(); capped so a damaged trailer cannot ask for absurd memory.
std::size_t expectedSize(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return 0;
    unsigned char head[2] = {0, 0}, tail[4] = {0, 0, 0, 0};
    std::size_t size = 0;
    const bool gz = std::fread(head, 1, 2, f) == 2 && head[0] == 0x1f && head[1] == 0x8b;
    if (std::fseek(f, 0, SEEK_END) == 0) size = static_cast<std::size_t>(std::ftell(f));
    if (gz && size >= 4 && std::fseek(f, -4, SEEK_END) == 0 && std::fread(tail, 1, 4, f) == 4) {
        size = static_cast<std::size_t>(tail[0]) | static_cast<std::size_t>(tail[1]) << 8 |
               static_cast<std::size_t>(tail[2]) << 16 | static_cast<std::size_t>(tail[3]) << 24;
    }
    std::fclose(f);
    return std::min<std::size_t>(size, std::size_t{1} << 30);
}

}  // namespace

std::vector<std::uint8_t> readMaybeGzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw DataError(strCat("cannot open '", path, "': ", std::strerror(errno)));
    gzbuffer(f, 1 << 17);
    std::vector<std::uint8_t> out;
    out.reserve(expectedSize(path));  // one allocation: growth by doubling would peak at 2-3×
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
        out.insert(out.end(), buf, buf + n);
    }
    // A gzip stream cut short reads as a clean end in zlib < 1.2.12 only via gzclose's status.
    const int rc = gzclose(f);
    if (rc == Z_BUF_ERROR) {
        throw DataError(strCat(
            "'", path, "' is truncated (the compressed stream ends early); download it again"));
    }
    return out;
}

void writeFileAtomic(const std::string& path, const std::string& bytes) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
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
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string err = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw DataError(strCat("cannot rename '", tmp, "' to '", path, "': ", err));
    }
}

}  // namespace ll
