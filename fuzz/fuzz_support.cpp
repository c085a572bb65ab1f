#include "fuzz/fuzz_support.h"

#include <cxxabi.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <memory>

namespace llfuzz {

const std::string& Input::part(std::size_t i) const {
    static const std::string empty;
    return i < parts.size() ? parts[i] : empty;
}

Input splitInput(const std::uint8_t* data, std::size_t size) {
    Input in;
    if (size == 0) {
        in.parts.emplace_back();
        return in;
    }
    in.mode = data[0];
    const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t sepLen = std::strlen(kSeparator);
    std::size_t pos = 0;
    for (;;) {
        const std::size_t at = rest.find(kSeparator, pos);
        if (at == std::string::npos) {
            in.parts.push_back(rest.substr(pos));
            break;
        }
        in.parts.push_back(rest.substr(pos, at - pos));
        pos = at + sepLen;
    }
    return in;
}

std::string joinInput(std::uint8_t mode, const std::vector<std::string>& parts) {
    std::string out(1, static_cast<char>(mode));
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out += kSeparator;
        out += parts[i];
    }
    return out;
}

namespace {
fs::path makeScratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/llfuzz-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
        std::perror("llfuzz: mkdtemp");
        std::abort();
    }
    return pattern;
}
}  // namespace

const fs::path& scratch() {
    static const fs::path dir = makeScratch();
    static const bool cleanup = [] {
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(scratch(), ec);
        });
        return true;
    }();
    (void)cleanup;
    return dir;
}

fs::path fresh(const std::string& name) {
    const fs::path p = scratch() / name;
    std::error_code ec;
    fs::remove_all(p, ec);
    fs::create_directories(p, ec);
    require(!ec, "cannot create the scratch folder " + p.string());
    return p;
}

void writeFile(const fs::path& p, const std::string& bytes) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    require(static_cast<bool>(f), "cannot write " + p.string());
}

std::vector<std::uint8_t> toBytes(const std::string& s) {
    return {s.begin(), s.end()};
}

namespace {
std::string deflateWith(const std::string& bytes, int windowBits) {
    z_stream s{};
    require(deflateInit2(&s, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK,
            "deflateInit2");
    std::string out(deflateBound(&s, static_cast<uLong>(bytes.size())) + 32, '\0');
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    s.avail_in = static_cast<uInt>(bytes.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&s, Z_FINISH);
    out.resize(s.total_out);
    deflateEnd(&s);
    require(rc == Z_STREAM_END, "deflate");
    return out;
}
}  // namespace

std::string gzip(const std::string& bytes) {
    return deflateWith(bytes, 15 + 16);
}
std::string deflateRaw(const std::string& bytes) {
    return deflateWith(bytes, -15);
}

std::uint32_t crc32Of(const std::string& bytes) {
    return static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

void putLittle(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void putBig32(std::string& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        out.push_back(static_cast<char>((v >> s) & 0xff));
}

std::string npy(const std::string& headerDict, const std::string& data, int version) {
    std::string out("\x93NUMPY", 6);
    out.push_back(static_cast<char>(version));
    out.push_back('\0');
    const int lenBytes = version == 1 ? 2 : 4;
    std::string h = headerDict;
    // numpy pads the header with spaces and a newline so the data starts at a multiple of 64.
    const std::size_t total = 8 + static_cast<std::size_t>(lenBytes) + h.size() + 1;
    h.append((64 - total % 64) % 64, ' ');
    h.push_back('\n');
    putLittle(out, h.size(), lenBytes);
    return out + h + data;
}

std::string npyFromLine(const std::string& part, int version) {
    const std::size_t nl = part.find('\n');
    if (nl == std::string::npos) return npy(part, "", version);
    return npy(part.substr(0, nl), part.substr(nl + 1), version);
}

std::string zip(const std::vector<ZipMember>& members) {
    std::string out, dir;
    for (const ZipMember& m : members) {
        const std::string stored = m.deflate ? deflateRaw(m.data) : m.data;
        const std::uint32_t crc = crc32Of(m.data);
        const std::uint64_t offset = out.size();
        std::string extra;
        if (m.zip64) {
            putLittle(extra, 0x0001, 2);
            putLittle(extra, 24, 2);
            putLittle(extra, m.data.size(), 8);
            putLittle(extra, stored.size(), 8);
            putLittle(extra, offset, 8);
        }
        const std::uint32_t usize =
            m.zip64 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m.data.size());
        const std::uint32_t csize =
            m.zip64 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(stored.size());
        const std::uint16_t method = m.deflate ? 8 : 0;
        // Local file header.
        putLittle(out, 0x04034b50, 4);
        putLittle(out, m.zip64 ? 45 : 20, 2);
        putLittle(out, 0, 2);  // flags
        putLittle(out, method, 2);
        putLittle(out, 0, 4);  // time, date
        putLittle(out, crc, 4);
        putLittle(out, csize, 4);
        putLittle(out, usize, 4);
        putLittle(out, m.name.size(), 2);
        putLittle(out, extra.size(), 2);
        out += m.name + extra + stored;
        // Central directory entry.
        putLittle(dir, 0x02014b50, 4);
        putLittle(dir, 45, 2);
        putLittle(dir, m.zip64 ? 45 : 20, 2);
        putLittle(dir, 0, 2);
        putLittle(dir, method, 2);
        putLittle(dir, 0, 4);
        putLittle(dir, crc, 4);
        putLittle(dir, csize, 4);
        putLittle(dir, usize, 4);
        putLittle(dir, m.name.size(), 2);
        putLittle(dir, extra.size(), 2);
        putLittle(dir, 0, 2);  // comment
        putLittle(dir, 0, 4);  // disk, internal attributes
        putLittle(dir, 0, 4);  // external attributes
        putLittle(dir, m.zip64 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(offset), 4);
        dir += m.name + extra;
    }
    const std::uint64_t dirOffset = out.size();
    out += dir;
    putLittle(out, 0x06054b50, 4);
    putLittle(out, 0, 4);  // disk numbers
    putLittle(out, members.size(), 2);
    putLittle(out, members.size(), 2);
    putLittle(out, dir.size(), 4);
    putLittle(out, dirOffset, 4);
    putLittle(out, 0, 2);
    return out;
}

namespace {
void putOctal(char* field, std::size_t width, std::uint64_t v) {
    // width - 1 digits and a NUL, as ustar writes them.
    std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                  static_cast<unsigned long long>(v));
}
}  // namespace

std::string tar(const std::vector<TarEntry>& entries) {
    std::string out;
    for (const TarEntry& e : entries) {
        char h[512] = {};
        std::string name = e.name, prefix;
        if (name.size() > 100) {
            // ustar: split at a '/' so the last part fits the name field, the rest the prefix.
            const std::size_t slash = name.rfind('/', name.size() - 1);
            if (slash != std::string::npos && slash <= 155 && name.size() - slash - 1 <= 100) {
                prefix = name.substr(0, slash);
                name = name.substr(slash + 1);
            }
        }
        std::memcpy(h, name.data(), std::min<std::size_t>(name.size(), 100));
        putOctal(h + 100, 8, e.type == '5' ? 0755 : 0644);
        putOctal(h + 108, 8, 0);
        putOctal(h + 116, 8, 0);
        putOctal(h + 124, 12, e.data.size());
        putOctal(h + 136, 12, 0);
        h[156] = e.type;
        std::memcpy(h + 257, "ustar", 6);
        std::memcpy(h + 263, "00", 2);
        std::memcpy(h + 345, prefix.data(), std::min<std::size_t>(prefix.size(), 155));
        // The checksum is computed with its own field as eight spaces.
        std::memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (unsigned char c : h)
            sum += c;
        std::snprintf(h + 148, 8, "%06o", sum);
        h[155] = ' ';
        out.append(h, 512);
        out += e.data;
        out.append((512 - e.data.size() % 512) % 512, '\0');
    }
    out.append(1024, '\0');
    return out;
}

std::string checkpoint(const std::string& header, const std::string& data,
                       const std::string& lengthField) {
    std::string out("LAYERLENS-CKPT\n\0", 16);
    if (lengthField.size() == 8)
        out += lengthField;
    else
        putLittle(out, header.size(), 8);
    out += header + data;
    putLittle(out, crc32Of(out), 4);
    return out;
}

const char kCheckpointModel[] = R"({"name": "fuzz-ckpt", "input": [1, 5, 5], "layers": [
  {"type": "Conv2d", "out": 2, "kernel": 3}, {"type": "BatchNorm2d"}, {"type": "ReLU"},
  {"type": "Flatten"}, {"type": "Linear", "out": 3}]})";

void escaped(const char* what, const char* type) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(type, nullptr, nullptr, &status), std::free);
    std::fprintf(stderr, "LLFUZZ FINDING: escaping exception %s: %s\n",
                 status == 0 && name ? name.get() : type, what);
    std::abort();
}

void refused(const ll::Error& e) {
    static const bool print = [] {
        const char* v = std::getenv("LLFUZZ_PRINT_ERRORS");
        return v && std::string(v) == "1";
    }();
    if (print) std::fprintf(stderr, "refused: %s\n", e.what());
}

void require(bool ok, const std::string& what) {
    if (ok) return;
    std::fprintf(stderr, "LLFUZZ FINDING: %s\n", what.c_str());
    std::abort();
}

}  // namespace llfuzz
