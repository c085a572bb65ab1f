#pragma once
// A PNG writer for the command line's pictures (the core has no image codecs; the window uses
// Qt's): 8-bit grey or RGB, no interlacing, one zlib stream.

#include <cstdint>
#include <string>
#include <vector>

namespace ll {

/// The PNG file of rows × cols pixels with 1 (grey) or 3 (RGB) interleaved 8-bit channels.
/// CheckError when the pixel count does not match.
std::string pngBytes(int rows, int cols, int channels, const std::vector<std::uint8_t>& pixels);
/// Writes pngBytes atomically (writeFileAtomic); DataError naming the file when it cannot.
void writePng(const std::string& path, int rows, int cols, int channels,
              const std::vector<std::uint8_t>& pixels);

}  // namespace ll
