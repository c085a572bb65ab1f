#include "core/data/png.h"

#include <zlib.h>

#include "core/data/file_io.h"
#include "core/error.h"

namespace ll {

namespace {

void put32(std::string& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        out += static_cast<char>((v >> s) & 0xff);
}

// Length, type, data, CRC of type and data (PNG specification, section 5.3).
void chunk(std::string& out, const char* type, const std::string& data) {
    put32(out, static_cast<std::uint32_t>(data.size()));
    const std::string body = std::string(type, 4) + data;
    out += body;
    const auto crc =
        crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    put32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

std::string encodePng(int width, int height, int channels,
                      const std::vector<std::uint8_t>& pixels) {
    if (width < 1 || height < 1 || (channels != 1 && channels != 3) || width > (1 << 15) ||
        height > (1 << 15) || pixels.size() != static_cast<std::size_t>(width) * height * channels)
        throw UsageError(strCat("cannot encode a PNG of ", width, "×", height, "×", channels,
                                " from ", pixels.size(), " bytes"));
    // Each row: filter type 0 (none), then its bytes.
    const std::size_t row = static_cast<std::size_t>(width) * channels;
    std::string raw;
    raw.reserve((row + 1) * static_cast<std::size_t>(height));
    for (int y = 0; y < height; ++y) {
        raw += '\0';
        raw.append(reinterpret_cast<const char*>(pixels.data()) + row * y, row);
    }
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::string z(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(z.data()), &size,
                  reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                  6) != Z_OK)
        throw DataError("PNG: zlib could not compress the image");
    z.resize(size);

    std::string out("\x89PNG\r\n\x1a\n", 8);
    std::string ihdr;
    put32(ihdr, static_cast<std::uint32_t>(width));
    put32(ihdr, static_cast<std::uint32_t>(height));
    ihdr += static_cast<char>(8);                      // bit depth
    ihdr += static_cast<char>(channels == 1 ? 0 : 2);  // colour type: grey or RGB
    ihdr += std::string(3, '\0');                      // deflate, adaptive filters, no interlace
    chunk(out, "IHDR", ihdr);
    chunk(out, "IDAT", z);
    chunk(out, "IEND", "");
    return out;
}

void writePng(const std::string& path, int width, int height, int channels,
              const std::vector<std::uint8_t>& pixels) {
    writeFileAtomic(path, encodePng(width, height, channels, pixels));
}

}  // namespace ll
