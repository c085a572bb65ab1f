#include "core/data/image_folder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/error.h"

namespace ll {

namespace fs = std::filesystem;

namespace {

// Binary PGM (P5) and PPM (P6) with maxval < 256: the formats the core reads on its own.
bool decodeNetpbm(const std::string& path, DecodedImage& out, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    auto fail = [&](const std::string& why) {
        if (error) *error = why;
        return false;
    };
    if (!in) return fail("cannot open the file");
    std::string magic;
    in >> magic;
    if (magic != "P5" && magic != "P6")
        return fail("not a binary PGM/PPM image (this build reads other formats in the app only)");
    auto next = [&](int& v) {
        while (in >> std::ws && in.peek() == '#')
            in.ignore(1 << 20, '\n');
        return static_cast<bool>(in >> v);
    };
    int w = 0, h = 0, maxval = 0;
    if (!next(w) || !next(h) || !next(maxval) || w <= 0 || h <= 0 || w > 1 << 15 || h > 1 << 15)
        return fail("damaged PGM/PPM header");
    if (maxval <= 0 || maxval > 255) return fail("16-bit PGM/PPM is not supported");
    in.get();  // the single whitespace before the pixels
    const int channels = magic == "P5" ? 1 : 3;
    const std::uint64_t need =
        static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) * channels;
    // The pixels the header declares must be in the file before they are allocated (a 20-byte
    // header may declare 3 GiB).
    const std::streamoff at = in.tellg();
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    in.seekg(at);
    if (at < 0 || size < at || static_cast<std::uint64_t>(size - at) < need)
        return fail(strCat("truncated: the header declares ", w, "×", h, "×", channels, " = ", need,
                           " bytes of pixels, the file has ", size < at ? 0 : size - at));
    out.rows = h;
    out.cols = w;
    out.channels = channels;
    out.pixels.resize(need);
    in.read(reinterpret_cast<char*>(out.pixels.data()),
            static_cast<std::streamsize>(out.pixels.size()));
    if (in.gcount() != static_cast<std::streamsize>(out.pixels.size()))
        return fail("truncated: fewer pixels than the header says");
    if (maxval != 255)
        for (auto& p : out.pixels)
            p = static_cast<std::uint8_t>(std::lround(p * 255.0 / maxval));
    return true;
}

std::mutex& decoderMutex() {
    static std::mutex m;
    return m;
}

ImageDecoder& decoderSlot() {
    static ImageDecoder d;
    return d;
}

bool isImageName(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    static const char* known[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif",  ".pgm",
                                  ".ppm", ".pbm", ".pnm",  ".tif", ".tiff", ".webp"};
    return std::any_of(std::begin(known), std::end(known), [&](const char* k) { return ext == k; });
}

std::vector<std::string> classFolders(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_directory() && e.path().filename().string()[0] != '.')
            names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

struct Entry {
    std::string path;
    int label;
};

std::vector<Entry> listImages(const fs::path& dir, const std::vector<std::string>& classes) {
    std::vector<Entry> out;
    for (std::size_t c = 0; c < classes.size(); ++c) {
        std::vector<std::string> files;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir / classes[c], ec))
            if (e.is_regular_file() && isImageName(e.path())) files.push_back(e.path().string());
        std::sort(files.begin(), files.end());
        for (const auto& f : files)
            out.push_back({f, static_cast<int>(c)});
    }
    return out;
}

Dataset build(const std::vector<Entry>& entries, const std::vector<std::string>& classes, int C,
              int H, int W, const std::string& split, const std::string& source) {
    Dataset d;
    d.name = "images";
    d.split = split;
    d.source = source;
    d.channels = C;
    d.height = H;
    d.width = W;
    d.classNames = classes;
    for (const Entry& e : entries) {
        DecodedImage img;
        std::string why;
        if (!decodeImage(e.path, img, &why)) {
            d.warnings.push_back(strCat(e.path, ": ", why));
            continue;
        }
        const auto pixels = toModelInput(img, C, H, W);
        d.images.insert(d.images.end(), pixels.begin(), pixels.end());
        d.labels.push_back(static_cast<std::uint8_t>(e.label));
    }
    // Normalization statistics of these images.
    const std::int64_t plane = static_cast<std::int64_t>(H) * W;
    for (int c = 0; c < C; ++c) {
        double s = 0, s2 = 0;
        for (int i = 0; i < d.size(); ++i)
            for (std::int64_t k = 0; k < plane; ++k) {
                const double v = d.image(i)[c * plane + k] / 255.0;
                s += v;
                s2 += v * v;
            }
        const double n = std::max(1.0, static_cast<double>(d.size()) * plane);
        const double m = s / n;
        d.mean.push_back(static_cast<float>(m));
        d.stddev.push_back(static_cast<float>(std::sqrt(std::max(s2 / n - m * m, 1e-6))));
    }
    return d;
}

}  // namespace

void setImageDecoder(ImageDecoder decoder) {
    std::lock_guard<std::mutex> lock(decoderMutex());
    decoderSlot() = std::move(decoder);
}

bool decodeImage(const std::string& path, DecodedImage& out, std::string* error) {
    ImageDecoder d;
    {
        std::lock_guard<std::mutex> lock(decoderMutex());
        d = decoderSlot();
    }
    if (d) return d(path, out, error);
    return decodeNetpbm(path, out, error);
}

std::vector<std::uint8_t> toModelInput(const DecodedImage& img, int C, int H, int W) {
    LL_CHECK(img.channels == 1 || img.channels == 3, "decoded images have 1 or 3 channels, got ",
             img.channels);
    LL_CHECK(C == 1 || C == 3, "image inputs have 1 or 3 channels, got ", C);
    const cv::Mat src(img.rows, img.cols, img.channels == 1 ? CV_8UC1 : CV_8UC3,
                      const_cast<std::uint8_t*>(img.pixels.data()));
    cv::Mat converted;
    if (img.channels == 3 && C == 1) {
        cv::cvtColor(src, converted, cv::COLOR_RGB2GRAY);
    } else if (img.channels == 1 && C == 3) {
        cv::cvtColor(src, converted, cv::COLOR_GRAY2RGB);
    } else {
        converted = src;
    }
    cv::Mat resized;
    cv::resize(converted, resized, cv::Size(W, H), 0, 0, cv::INTER_AREA);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(C) * H * W);
    for (int c = 0; c < C; ++c)
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                out[(static_cast<std::size_t>(c) * H + y) * W + x] =
                    resized.ptr<std::uint8_t>(y)[x * C + c];
    return out;
}

ImageFolderSplit loadImageFolder(const std::string& dirName, int C, int H, int W,
                                 std::uint64_t seed) {
    const fs::path dir(dirName);
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw DataError(strCat("image folder '", dirName, "' does not exist or is not a folder"));
    ImageFolderSplit out;
    const bool split = fs::is_directory(dir / "train", ec);
    const fs::path trainDir = split ? dir / "train" : dir;
    const std::vector<std::string> classes = classFolders(trainDir);
    if (classes.empty()) {
        throw DataError(strCat("image folder '", dirName,
                               "' has no class folders: expected DIR/<class>/*.png or "
                               "DIR/train/<class>/*.png"));
    }
    if (classes.size() > 256)
        throw DataError(strCat("image folder '", dirName, "' has more than 256 classes"));
    std::vector<Entry> train = listImages(trainDir, classes), test;
    if (split && fs::is_directory(dir / "test", ec)) {
        const auto testClasses = classFolders(dir / "test");
        for (const auto& c : testClasses)
            if (std::find(classes.begin(), classes.end(), c) == classes.end())
                throw DataError(
                    strCat("test class '", c, "' in '", dirName, "' has no training folder"));
        test = listImages(dir / "test", classes);
    } else {
        // A seeded 80/20 split, per class so every class is in both parts when it can be.
        Rng rng(seed);
        std::map<int, std::vector<Entry>> byClass;
        for (const Entry& e : train)
            byClass[e.label].push_back(e);
        train.clear();
        for (auto& [label, list] : byClass) {
            for (std::size_t i = list.size(); i > 1; --i)
                std::swap(list[i - 1], list[rng.below(i)]);
            const std::size_t nTest =
                list.size() >= 2 ? std::max<std::size_t>(1, list.size() / 5) : 0;
            test.insert(test.end(), list.begin(),
                        list.begin() + static_cast<std::ptrdiff_t>(nTest));
            train.insert(train.end(), list.begin() + static_cast<std::ptrdiff_t>(nTest),
                         list.end());
        }
    }
    for (std::size_t c = 0; c < classes.size(); ++c) {
        if (std::none_of(train.begin(), train.end(),
                         [&](const Entry& e) { return e.label == static_cast<int>(c); }))
            throw DataError(strCat("class folder '", classes[c], "' in '", trainDir.string(),
                                   "' has no images"));
    }
    out.train = build(train, classes, C, H, W, "train", trainDir.string());
    out.test = build(test, classes, C, H, W, "test", split ? (dir / "test").string() : dirName);
    if (out.train.size() == 0)
        throw DataError(strCat(
            "no readable image in '", dirName, "': ",
            out.train.warnings.empty() ? std::string("no image files") : out.train.warnings[0]));
    return out;
}

}  // namespace ll
