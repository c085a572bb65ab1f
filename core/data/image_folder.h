#pragma once
// Data sets from the user's own images: one sub-folder per class (the folder name is the class
// name), every image resized and converted to the model's input (C, H, W).
//
//   DIR/train/<class>/*.png ... and DIR/test/<class>/*  (test optional), or
//   DIR/<class>/*                                        (a seeded 80/20 split)
//
// Files are decoded by the registered ImageDecoder: the desktop app registers Qt's (PNG, JPEG,
// BMP, GIF, PBM/PGM/PPM, ...); the core alone reads binary PGM/PPM. A file that cannot be read is
// skipped and reported in Dataset::warnings; an empty class or no image at all is an error.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace ll {

/// A decoded image: rows × cols pixels, 1 (grey) or 3 (RGB) interleaved channels.
struct DecodedImage {
    int rows = 0, cols = 0, channels = 0;
    std::vector<std::uint8_t> pixels;
};

/// Decodes `path`; returns false with a reason in *error when it cannot.
using ImageDecoder =
    std::function<bool(const std::string& path, DecodedImage& out, std::string* error)>;

/// Replaces the decoder (the app calls this once at start). Passing nullptr restores the built-in
/// PGM/PPM decoder.
void setImageDecoder(ImageDecoder decoder);
bool decodeImage(const std::string& path, DecodedImage& out, std::string* error);

/// Resizes (area interpolation) and converts (grey ↔ RGB) to (C, H, W), CHW layout.
std::vector<std::uint8_t> toModelInput(const DecodedImage& img, int C, int H, int W);

struct ImageFolderSplit {
    Dataset train, test;
};

/// Loads DIR as described above for inputs of shape (C, H, W). Throws DataError when DIR has no
/// class folders or no readable image.
ImageFolderSplit loadImageFolder(const std::string& dir, int C, int H, int W, std::uint64_t seed);

}  // namespace ll
