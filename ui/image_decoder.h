#pragma once
// Qt's image readers as the core's ImageDecoder (PNG, JPEG, BMP, GIF, PBM/PGM/PPM, XPM, and
// TIFF/WebP when Qt's image-format plugins are installed). Installed once by the app.

namespace ll::ui {

void installQtImageDecoder();

}  // namespace ll::ui
