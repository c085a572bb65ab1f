#include "core/data/png.h"

#include <zlib.h>

#include "core/data/file_io.h"
#include "core/error.h"

namespace ll {

namespace {

void put32(std::string& s, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        s += static_cast<char>((v >> shift) & 0xff);
}

// A chunk: length, type, data, CRC-32 of type and data (PNG spec, section 5.3).
void chunk(std::string& out, const char* type, const std::string& data) {
    put32(out, static_cast<std::uint32_t>(data.size()));
    const std::string body = std::string(type, 4) + data;
    out += body;
    put32(out, static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()),
                                                static_cast<uInt>(body.size()))));
}

}  // namespace

std::string pngBytes(int rows, int cols, int channels, const std::vector<std::uint8_t>& pixels) {
    LL_CHECK(rows > 0 && cols > 0 && (channels == 1 || channels == 3), rows, "x", cols, "x",
             channels);
    const std::size_t stride = static_cast<std::size_t>(cols) * channels;
    LL_CHECK(pixels.size() == stride * rows, "pixels ", pixels.size(), " for ", rows, "x", cols,
             "x", channels);
    // Every scan line starts with its filter type: 0, none.
    std::string raw;
    raw.reserve((stride + 1) * rows);
    for (int r = 0; r < rows; ++r) {
        raw += '\0';
        raw.append(reinterpret_cast<const char*>(pixels.data()) + stride * r, stride);
    }
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::string z(size, '\0');
    const int rc = compress2(reinterpret_cast<Bytef*>(z.data()), &size,
                             reinterpret_cast<const Bytef*>(raw.data()),
                             static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION);
    LL_CHECK(rc == Z_OK, "zlib compress2 failed: ", rc);
    z.resize(size);
    std::string out = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    put32(ihdr, static_cast<std::uint32_t>(cols));
    put32(ihdr, static_cast<std::uint32_t>(rows));
    ihdr += '\x08';                           // bit depth
    ihdr += channels == 1 ? '\x00' : '\x02';  // colour type: grey or RGB
    ihdr += std::string("\x00\x00\x00", 3);   // compression, filter, interlace
    chunk(out, "IHDR", ihdr);
    chunk(out, "IDAT", z);
    chunk(out, "IEND", "");
    return out;
}

void writePng(const std::string& path, int rows, int cols, int channels,
              const std::vector<std::uint8_t>& pixels) {
    writeFileAtomic(path, pngBytes(rows, cols, channels, pixels));
}

}  // namespace ll
