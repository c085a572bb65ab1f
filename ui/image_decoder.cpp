#include "ui/image_decoder.h"

#include <QImage>
#include <QImageReader>
#include <cstring>

#include "core/data/image_folder.h"

namespace ll::ui {

void installQtImageDecoder() {
    setImageDecoder([](const std::string& path, DecodedImage& out, std::string* error) {
        QImageReader reader(QString::fromStdString(path));
        QImage img = reader.read();
        if (img.isNull()) {
            if (error) *error = reader.errorString().toStdString();
            return false;
        }
        const bool grey = img.isGrayscale();
        img = img.convertToFormat(grey ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
        out.rows = img.height();
        out.cols = img.width();
        out.channels = grey ? 1 : 3;
        const std::size_t row = static_cast<std::size_t>(out.cols) * out.channels;
        out.pixels.resize(row * static_cast<std::size_t>(out.rows));
        for (int y = 0; y < out.rows; ++y)
            std::memcpy(out.pixels.data() + row * static_cast<std::size_t>(y), img.constScanLine(y),
                        row);
        return true;
    });
}

}  // namespace ll::ui
