#include "core/data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/data/load.h"
#include "core/error.h"

namespace ll {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Independent stream for image i of a split: a split-mix of seed, split and index.
Rng imageRng(std::uint64_t seed, const std::string& split, int i) {
    std::uint64_t h = seed * 0x9E3779B97F4A7C15ULL + (split == "test" ? 0x51ED27ULL : 0x7A1B3ULL);
    h ^= static_cast<std::uint64_t>(i) * 0xBF58476D1CE4E5B9ULL;
    return Rng(h);
}

void addNoise(cv::Mat& img, Rng& rng, float sigma) {
    for (int r = 0; r < img.rows; ++r) {
        auto* p = img.ptr<std::uint8_t>(r);
        for (int c = 0; c < img.cols * img.channels(); ++c) {
            // Sum of uniforms: close enough to Gaussian noise and cheap.
            const float n = (rng.uniform() + rng.uniform() + rng.uniform() - 1.5f) * 2.0f * sigma;
            p[c] = static_cast<std::uint8_t>(std::clamp(p[c] + n, 0.0f, 255.0f));
        }
    }
}

void statistics(Dataset& d) {
    const std::int64_t plane = static_cast<std::int64_t>(d.height) * d.width;
    d.mean.assign(static_cast<std::size_t>(d.channels), 0.0f);
    d.stddev.assign(static_cast<std::size_t>(d.channels), 1.0f);
    for (int c = 0; c < d.channels; ++c) {
        double s = 0, s2 = 0;
        std::int64_t n = 0;
        for (int i = 0; i < d.size(); ++i) {
            const std::uint8_t* p = d.image(i) + c * plane;
            for (std::int64_t k = 0; k < plane; ++k) {
                const double v = p[k] / 255.0;
                s += v;
                s2 += v * v;
            }
            n += plane;
        }
        if (n == 0) continue;
        const double m = s / static_cast<double>(n);
        d.mean[static_cast<std::size_t>(c)] = static_cast<float>(m);
        d.stddev[static_cast<std::size_t>(c)] =
            static_cast<float>(std::sqrt(std::max(s2 / static_cast<double>(n) - m * m, 1e-6)));
    }
}

Dataset skeleton(const char* name, const std::string& split, int count, int C, int H, int W) {
    if (count < 0) throw UsageError(strCat("a synthetic data set needs count >= 0, got ", count));
    Dataset d;
    d.name = name;
    d.split = split;
    d.source = "generated (built in)";
    d.channels = C;
    d.height = H;
    d.width = W;
    d.images.assign(static_cast<std::size_t>(count) * C * H * W, 0);
    d.labels.assign(static_cast<std::size_t>(count), 0);
    return d;
}

void drawDigit(int label, Rng& rng, std::uint8_t* out) {
    // Draw large (56×56), transform, then shrink to 28×28 like MNIST's anti-aliased scans.
    static const int fonts[] = {cv::FONT_HERSHEY_SIMPLEX,        cv::FONT_HERSHEY_DUPLEX,
                                cv::FONT_HERSHEY_COMPLEX,        cv::FONT_HERSHEY_TRIPLEX,
                                cv::FONT_HERSHEY_SCRIPT_SIMPLEX, cv::FONT_HERSHEY_PLAIN};
    const int font = fonts[rng.below(6)] | (rng.below(4) == 0 ? cv::FONT_ITALIC : 0);
    const int thickness = 3 + static_cast<int>(rng.below(5));
    const std::string text(1, static_cast<char>('0' + label));
    int base = 0;
    const double fontScale = (font & 0xF) == cv::FONT_HERSHEY_PLAIN ? 3.2 : 1.6;
    const cv::Size size = cv::getTextSize(text, font, fontScale, thickness, &base);
    cv::Mat big(56, 56, CV_8UC1, cv::Scalar(0));
    cv::putText(big, text, cv::Point((56 - size.width) / 2, (56 + size.height) / 2), font,
                fontScale, cv::Scalar(255), thickness, cv::LINE_AA);
    const double angle = rng.uniform(-15, 15);
    const double scale = rng.uniform(0.75f, 1.1f);
    cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(28, 28), angle, scale);
    m.at<double>(0, 2) += rng.uniform(-5, 5);
    m.at<double>(1, 2) += rng.uniform(-5, 5);
    cv::Mat warped, small;
    cv::warpAffine(big, warped, m, big.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    cv::resize(warped, small, cv::Size(28, 28), 0, 0, cv::INTER_AREA);
    addNoise(small, rng, 12.0f);
    std::copy(small.data, small.data + 28 * 28, out);
}

void drawShape(int label, Rng& rng, std::uint8_t* out) {
    const int S = 128;  // drawn at 4× and shrunk
    auto colour = [&] { return cv::Scalar(rng.below(256), rng.below(256), rng.below(256)); };
    cv::Scalar bg = colour(), fg = colour();
    // Keep the shape visible: at least 120 apart in the sum of channel differences.
    for (int tries = 0;
         tries < 20 &&
         std::abs(bg[0] - fg[0]) + std::abs(bg[1] - fg[1]) + std::abs(bg[2] - fg[2]) < 120;
         ++tries)
        fg = colour();
    cv::Mat img(S, S, CV_8UC3, bg);
    const double r = rng.uniform(0.22f, 0.38f) * S;
    const cv::Point2d c(S / 2 + rng.uniform(-0.12f, 0.12f) * S,
                        S / 2 + rng.uniform(-0.12f, 0.12f) * S);
    const double rot = rng.uniform(0, 2 * kPi);
    auto polygon = [&](int n, double inner) {
        std::vector<cv::Point> pts;
        const int k = inner > 0 ? 2 * n : n;
        for (int i = 0; i < k; ++i) {
            const double a = rot + 2 * kPi * i / k;
            const double rr = inner > 0 && i % 2 ? r * inner : r;
            pts.emplace_back(static_cast<int>(c.x + rr * std::cos(a)),
                             static_cast<int>(c.y + rr * std::sin(a)));
        }
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{pts}, fg, cv::LINE_AA);
    };
    const int thick = std::max(6, static_cast<int>(r * 0.3));
    switch (label) {
        case 0:
            cv::circle(img, c, static_cast<int>(r), fg, cv::FILLED, cv::LINE_AA);
            break;
        case 1:
            polygon(4, 0);
            break;  // square (rotated)
        case 2:
            polygon(3, 0);
            break;  // triangle
        case 3: {   // cross
            for (int k = 0; k < 2; ++k) {
                const double a = rot + k * kPi / 2;
                const cv::Point2d d(r * std::cos(a), r * std::sin(a));
                cv::line(img, c - d, c + d, fg, thick, cv::LINE_AA);
            }
            break;
        }
        case 4:
            cv::circle(img, c, static_cast<int>(r), fg, thick, cv::LINE_AA);
            break;  // ring
        case 5:
            polygon(4, 0.5);
            break;  // diamond-ish four-point star
        case 6:
            polygon(5, 0.45);
            break;  // star
        case 7:
            cv::ellipse(img, c, cv::Size(static_cast<int>(r), static_cast<int>(r * 0.45)),
                        rot * 180 / kPi, 0, 360, fg, cv::FILLED, cv::LINE_AA);
            break;
        case 8: {  // bar
            const cv::Point2d d(r * std::cos(rot), r * std::sin(rot));
            cv::line(img, c - d, c + d, fg, thick, cv::LINE_AA);
            break;
        }
        default:
            polygon(5, 0);
            break;  // pentagon
    }
    cv::Mat small;
    cv::resize(img, small, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
    addNoise(small, rng, 8.0f);
    // HWC (OpenCV) → CHW (Dataset).
    for (int ch = 0; ch < 3; ++ch)
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 32; ++x)
                out[(ch * 32 + y) * 32 + x] = small.at<cv::Vec3b>(y, x)[ch];
}

}  // namespace

Dataset makeSyntheticDigits(int count, std::uint64_t seed, const std::string& split) {
    Dataset d = skeleton("synthetic-digits", split, count, 1, 28, 28);
    for (int k = 0; k < 10; ++k)
        d.classNames.push_back(std::to_string(k));
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < count; ++i) {
        Rng rng = imageRng(seed, split, i);
        const int label = static_cast<int>(rng.below(10));
        d.labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(label);
        drawDigit(label, rng, d.images.data() + static_cast<std::size_t>(i) * 784);
    }
    statistics(d);
    return d;
}

Dataset makeSyntheticShapes(int count, std::uint64_t seed, const std::string& split) {
    Dataset d = skeleton("synthetic-shapes", split, count, 3, 32, 32);
    d.classNames = {"circle",  "square", "triangle", "cross", "ring",
                    "diamond", "star",   "ellipse",  "bar",   "pentagon"};
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < count; ++i) {
        Rng rng = imageRng(seed, split, i);
        const int label = static_cast<int>(rng.below(10));
        d.labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(label);
        drawShape(label, rng, d.images.data() + static_cast<std::size_t>(i) * 3072);
    }
    statistics(d);
    return d;
}

DataPair randomImages(const Shape& sample, int classes, std::uint64_t seed, int count) {
    LL_CHECK(sample.rank() == 3 && classes >= 1 && count >= 1, "randomImages: sample ", sample,
             ", ", classes, " classes, ", count, " images");
    DataPair p;
    for (Dataset* d : {&p.train, &p.test}) {
        d->name = "random images";
        d->split = d == &p.train ? "train" : "test";
        d->source = "generated (the model names no data set that fits it)";
        d->channels = sample[0];
        d->height = sample[1];
        d->width = sample[2];
        for (int c = 0; c < classes; ++c)
            d->classNames.push_back(strCat("class ", c));
        d->mean.assign(static_cast<std::size_t>(sample[0]), 0.5f);
        d->stddev.assign(static_cast<std::size_t>(sample[0]), 0.2887f);  // uniform on [0, 1]
    }
    Rng rng(seed ^ 0x72616e646f6dULL);
    p.test.images.resize(static_cast<std::size_t>(count * p.test.imageSize()));
    for (auto& v : p.test.images)
        v = static_cast<std::uint8_t>(rng.below(256));
    for (int i = 0; i < count; ++i)
        p.test.labels.push_back(static_cast<std::uint8_t>(i % std::min(classes, 256)));
    return p;
}

bool isSyntheticDataset(const std::string& name) {
    return name == "synthetic-digits" || name == "synthetic-shapes";
}

}  // namespace ll
