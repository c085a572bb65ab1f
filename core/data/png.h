#pragma once
// A minimal PNG encoder (8-bit grey or RGB, no filtering, zlib-compressed), so the command line
// writes pictures without Qt or OpenCV's codecs (the core links OpenCV's core and imgproc only).

#include <cstdint>
#include <string>
#include <vector>

namespace ll {

/// PNG bytes of a width × height image with `channels` 1 (grey) or 3 (RGB) interleaved bytes per
/// pixel, row-major (pixels.size() == width·height·channels). Throws UsageError otherwise.
std::string encodePng(int width, int height, int channels, const std::vector<std::uint8_t>& pixels);
/// encodePng written to `path` atomically (writeFileAtomic); throws DataError when it cannot be.
void writePng(const std::string& path, int width, int height, int channels,
              const std::vector<std::uint8_t>& pixels);

}  // namespace ll
