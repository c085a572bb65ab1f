#include "ui/image_views.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

namespace ll::ui {

namespace {

// Room at the right of a map grid or input view for its colour bar and labels.
constexpr int kBarSpace = 64;

// The receptive-field heat map's colours: hot, more opaque where the unit depends more on the
// pixel (v in (0, 1]).
QRgb heatColour(double v) {
    return qRgba(255, static_cast<int>(220 * (1 - v)), 0, static_cast<int>(60 + 160 * v));
}

}  // namespace

QString barLabel(double v) {
    return QString::number(v, 'g', 3);
}

void paintColorBar(QPainter& p, const QRect& bar, const std::function<QRgb(double)>& colour,
                   const QString& top, const QString& middle, const QString& bottom) {
    if (bar.isEmpty()) return;
    for (int y = 0; y < bar.height(); ++y) {
        const double t = bar.height() > 1 ? 1.0 - y / static_cast<double>(bar.height() - 1) : 1.0;
        p.fillRect(QRect(bar.left(), bar.top() + y, bar.width(), 1), QColor::fromRgba(colour(t)));
    }
    p.setPen(QPen(QColor(90, 90, 90), 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    QFont f = p.font();
    f.setPointSizeF(std::max(6.0, f.pointSizeF() - 1));
    p.setFont(f);
    const int x = bar.right() + 4, h = p.fontMetrics().height();
    auto label = [&](int y, const QString& text) {
        if (!text.isEmpty()) p.drawText(QRect(x, y - h / 2, 200, h), Qt::AlignLeft, text);
    };
    p.setPen(QColor(40, 40, 40));
    label(bar.top(), top);
    label(bar.center().y(), middle);
    label(bar.bottom(), bottom);
}

QRgb viridis(double t) {
    // Control points of matplotlib's viridis at t = 0, 1/8, ..., 1.
    static const int k[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},
                                {44, 113, 142}, {33, 144, 141}, {39, 173, 129},
                                {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
    if (!(t > 0)) t = 0;  // NaN → the bottom colour
    t = std::min(t, 1.0) * 8.0;
    const int i = std::min(static_cast<int>(t), 7);
    const double f = t - i;
    auto mix = [&](int c) {
        return static_cast<int>(std::lround(k[i][c] + f * (k[i + 1][c] - k[i][c])));
    };
    return qRgb(mix(0), mix(1), mix(2));
}

QImage planeImage(const float* data, int H, int W, float lo, float hi) {
    QImage img(W, H, QImage::Format_RGB32);
    const float span = hi > lo ? hi - lo : 1.0f;
    for (int h = 0; h < H; ++h) {
        QRgb* line = reinterpret_cast<QRgb*>(img.scanLine(h));
        for (int w = 0; w < W; ++w)
            line[w] = viridis((data[h * W + w] - lo) / span);
    }
    return img;
}

QImage inputImage(const Tensor& x) {
    const int C = x.dim(0), H = x.dim(1), W = x.dim(2);
    QImage img(W, H, QImage::Format_RGB32);
    float lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
    for (int c = 0; c < std::min(C, 3); ++c) {
        const float* p = x.data() + static_cast<std::int64_t>(c) * H * W;
        lo[c] = *std::min_element(p, p + H * W);
        hi[c] = *std::max_element(p, p + H * W);
    }
    auto level = [&](int c, int h, int w) {
        const float v = x.data()[(static_cast<std::int64_t>(c) * H + h) * W + w];
        const float span = hi[c] > lo[c] ? hi[c] - lo[c] : 1.0f;
        return std::clamp(static_cast<int>(255.0f * (v - lo[c]) / span), 0, 255);
    };
    for (int h = 0; h < H; ++h) {
        QRgb* line = reinterpret_cast<QRgb*>(img.scanLine(h));
        for (int w = 0; w < W; ++w) {
            if (C >= 3) {
                line[w] = qRgb(level(0, h, w), level(1, h, w), level(2, h, w));
            } else {
                const int g = level(0, h, w);
                line[w] = qRgb(g, g, g);
            }
        }
    }
    return img;
}

MapStats statsOf(const Tensor& t) {
    MapStats s;
    if (t.numel() == 0) return s;
    s.min = *std::min_element(t.data(), t.data() + t.numel());
    s.max = *std::max_element(t.data(), t.data() + t.numel());
    double sum = 0;
    std::int64_t zeros = 0;
    for (std::int64_t i = 0; i < t.numel(); ++i) {
        sum += t[i];
        zeros += t[i] == 0.0f;
    }
    s.mean = static_cast<float>(sum / static_cast<double>(t.numel()));
    s.zeroFraction =
        static_cast<float>(static_cast<double>(zeros) / static_cast<double>(t.numel()));
    return s;
}

// --- MapGrid ----------------------------------------------------------------------------------

MapGrid::MapGrid(QWidget* parent) : QWidget(parent) {
    setMinimumSize(200, 150);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setCursor(Qt::CrossCursor);
}

void MapGrid::setMaps(const Tensor& t, bool filters) {
    m_flat = false;
    if (filters && t.rank() == 4) {
        // Mean over input channels: one (kh, kw) picture per output channel.
        const int K = t.dim(0), C = t.dim(1), kh = t.dim(2), kw = t.dim(3);
        m_data = Tensor({K, kh, kw}, 0.0f);
        for (int k = 0; k < K; ++k)
            for (int c = 0; c < C; ++c)
                for (int p = 0; p < kh * kw; ++p)
                    m_data[k * kh * kw + p] +=
                        t[(static_cast<std::int64_t>(k) * C + c) * kh * kw + p] / C;
    } else if (t.rank() == 3) {
        m_data = t;
    } else {
        // A flat vector: one square map, unit k at (k / side, k % side).
        m_flat = true;
        m_flatLen = static_cast<int>(t.numel());
        const int side =
            std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(m_flatLen)))));
        m_data = Tensor({1, side, side}, std::numeric_limits<float>::quiet_NaN());
        for (int k = 0; k < m_flatLen; ++k)
            m_data[k] = t[k];
    }
    m_count = m_data.rank() == 3 ? m_data.dim(0) : 0;
    m_h = m_count ? m_data.dim(1) : 0;
    m_w = m_count ? m_data.dim(2) : 0;
    rebuildImages();
    layoutCells();
}

void MapGrid::setSharedScale(bool shared) {
    m_shared = shared;
    rebuildImages();
    update();
}

void MapGrid::setSelected(int channel, int i, int j) {
    m_selC = channel;
    m_selI = i;
    m_selJ = j;
    update();
}

void MapGrid::rebuildImages() {
    m_images.clear();
    if (!m_count) return;
    const int plane = m_h * m_w;
    float glo = 0, ghi = 0;
    bool first = true;
    for (std::int64_t i = 0; i < m_data.numel(); ++i) {
        const float v = m_data[i];
        if (v != v) continue;
        glo = first ? v : std::min(glo, v);
        ghi = first ? v : std::max(ghi, v);
        first = false;
    }
    m_lo = glo;
    m_hi = ghi;
    for (int c = 0; c < m_count; ++c) {
        const float* p = m_data.data() + static_cast<std::int64_t>(c) * plane;
        float lo = glo, hi = ghi;
        if (!m_shared) {
            lo = *std::min_element(p, p + plane);
            hi = *std::max_element(p, p + plane);
        }
        m_images.push_back(planeImage(p, m_h, m_w, lo, hi));
    }
}

void MapGrid::layoutCells() {
    m_cells.clear();
    if (!m_count) {
        update();
        return;
    }
    // Pick the number of columns that makes the cells largest, beside the colour bar.
    const int gap = 3;
    const int width = std::max(1, this->width() - kBarSpace);
    int bestCols = 1;
    double bestScale = 0;
    for (int cols = 1; cols <= m_count; ++cols) {
        const int rows = (m_count + cols - 1) / cols;
        const double sx = (width - gap * (cols + 1)) / static_cast<double>(cols * m_w);
        const double sy = (height() - gap * (rows + 1)) / static_cast<double>(rows * m_h);
        const double s = std::min(sx, sy);
        if (s > bestScale) {
            bestScale = s;
            bestCols = cols;
        }
    }
    const double s = std::max(bestScale, 0.1);
    const int cw = std::max(1, static_cast<int>(m_w * s)),
              ch = std::max(1, static_cast<int>(m_h * s));
    for (int c = 0; c < m_count; ++c) {
        const int r = c / bestCols, col = c % bestCols;
        m_cells.push_back(QRect(gap + col * (cw + gap), gap + r * (ch + gap), cw, ch));
    }
    update();
}

QRect MapGrid::unitRect(int c, int i, int j) const {
    if (c < 0 || c >= m_cells.size()) return {};
    const QRect& cell = m_cells[c];
    const double px = cell.width() / static_cast<double>(m_w),
                 py = cell.height() / static_cast<double>(m_h);
    return QRect(cell.left() + static_cast<int>(j * px), cell.top() + static_cast<int>(i * py),
                 std::max(1, static_cast<int>(px)), std::max(1, static_cast<int>(py)));
}

QRect MapGrid::colorBarRect() const {
    if (!m_count) return {};
    const int h = std::min(height() - 16, 220);
    return QRect(width() - kBarSpace + 6, 8, 12, std::max(h, 20));
}

QStringList MapGrid::colorBarLabels() const {
    if (!m_shared) return {"max", "", "min"};
    return {barLabel(m_hi), barLabel((m_lo + m_hi) / 2.0), barLabel(m_lo)};
}

void MapGrid::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Window));
    if (!m_count) {
        p.drawText(rect(), Qt::AlignCenter, "no maps");
        return;
    }
    const QStringList labels = colorBarLabels();
    paintColorBar(p, colorBarRect(), viridis, labels[0], labels[1], labels[2]);
    if (!m_shared) {
        const QRect bar = colorBarRect();
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(bar.left() - 4, bar.bottom() + 2, kBarSpace, 28),
                   Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, "of each\nmap");
    }
    for (int c = 0; c < m_count && c < m_images.size(); ++c)
        p.drawImage(m_cells[c], m_images[c]);
    if (m_selC >= 0) {
        int c = m_selC, i = m_selI, j = m_selJ;
        if (m_flat) {
            i = m_selC / m_w;
            j = m_selC % m_w;
            c = 0;
        }
        if (c < m_count) {
            p.setPen(QPen(Qt::red, 2));
            p.setBrush(Qt::NoBrush);
            p.drawRect(unitRect(c, i, j).adjusted(-1, -1, 1, 1));
            p.setPen(QPen(QColor(255, 80, 80), 1));
            p.drawRect(m_cells[c].adjusted(-1, -1, 0, 0));
        }
    }
}

void MapGrid::mousePressEvent(QMouseEvent* e) {
    for (int c = 0; c < m_cells.size(); ++c) {
        if (!m_cells[c].contains(e->pos())) continue;
        const int j = std::min(m_w - 1, static_cast<int>((e->pos().x() - m_cells[c].left()) * m_w /
                                                         m_cells[c].width()));
        const int i = std::min(m_h - 1, static_cast<int>((e->pos().y() - m_cells[c].top()) * m_h /
                                                         m_cells[c].height()));
        if (m_flat) {
            const int k = i * m_w + j;
            if (k < m_flatLen) emit unitClicked(k, 0, 0);
        } else {
            emit unitClicked(c, i, j);
        }
        return;
    }
}

// --- InputView --------------------------------------------------------------------------------

InputView::InputView(QWidget* parent) : QWidget(parent) {}

void InputView::setImage(const Tensor& x) {
    if (x.rank() != 3) return;
    m_image = inputImage(x);
    m_H = x.dim(1);
    m_W = x.dim(2);
    update();
}

void InputView::setRegion(const UnitRegion* region) {
    m_hasRegion = region != nullptr;
    if (region) m_region = *region;
    update();
}

void InputView::setHeatmap(const Tensor& erf, const QString& quantity) {
    m_heatQuantity = quantity;
    if (erf.rank() != 2 || erf.numel() == 0) {
        m_heat = QImage();
        update();
        return;
    }
    const int H = erf.dim(0), W = erf.dim(1);
    const float hi = *std::max_element(erf.data(), erf.data() + erf.numel());
    m_heatMax = hi;
    m_heat = QImage(W, H, QImage::Format_ARGB32);
    for (int h = 0; h < H; ++h) {
        QRgb* line = reinterpret_cast<QRgb*>(m_heat.scanLine(h));
        for (int w = 0; w < W; ++w) {
            const float v = hi > 0 ? erf[h * W + w] / hi : 0.0f;
            // Hot colours, transparent where the unit does not depend on the pixel.
            line[w] = v > 0 ? heatColour(v) : qRgba(0, 0, 0, 0);
        }
    }
    update();
}

QRect InputView::heatBarRect() const {
    if (!m_showHeat || m_heat.isNull() || m_image.isNull()) return {};
    const int h = std::clamp(height() - 60, 20, 200);
    return QRect(this->width() - kBarSpace + 6, 8, 12, h);
}

void InputView::setHeatmapVisible(bool on) {
    m_showHeat = on;
    update();
}

void InputView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Window));
    if (m_image.isNull()) {
        p.drawText(rect(), Qt::AlignCenter, "no input");
        return;
    }
    // Leave a margin so a field reaching into the padding stays visible.
    int margin = 0;
    if (m_hasRegion) {
        margin = std::max({0, -m_region.rows[0], -m_region.cols[0], m_region.rows[1] - m_H,
                           m_region.cols[1] - m_W});
        margin = std::min(margin, std::max(m_H, m_W));
    }
    const int spanH = m_H + 2 * margin, spanW = m_W + 2 * margin;
    const QRect heatBar = heatBarRect();
    const int width = heatBar.isEmpty() ? this->width() : std::max(1, this->width() - kBarSpace);
    const double s =
        std::min(width / static_cast<double>(spanW), height() / static_cast<double>(spanH));
    const double ox = (width - spanW * s) / 2 + margin * s,
                 oy = (height() - spanH * s) / 2 + margin * s;
    const QRectF target(ox, oy, m_W * s, m_H * s);
    if (margin > 0) {
        p.setPen(QPen(Qt::gray, 1, Qt::DotLine));
        p.drawRect(QRectF(ox - margin * s, oy - margin * s, spanW * s, spanH * s));
    }
    p.drawImage(target, m_image);
    if (!heatBar.isEmpty()) {
        p.drawImage(target, m_heat);
        // The bar over the window colour: the heat map's alpha is part of its meaning.
        paintColorBar(
            p, heatBar, [](double t) { return t > 0 ? heatColour(t) : qRgba(0, 0, 0, 0); },
            heatBarTop(), "", "0");
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(heatBar.left() - 6, heatBar.bottom() + 4, kBarSpace, 40),
                   Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, m_heatQuantity);
    }
    if (m_hasRegion) {
        auto rectOf = [&](const int* r, const int* c) {
            return QRectF(ox + c[0] * s, oy + r[0] * s, (c[1] - c[0]) * s, (r[1] - r[0]) * s);
        };
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(QColor(0, 200, 255), 1.5, Qt::DashLine));
        p.drawRect(rectOf(m_region.rows, m_region.cols));
        p.setPen(QPen(QColor(0, 200, 255), 2.5));
        p.drawRect(rectOf(m_region.clippedRows, m_region.clippedCols));
    }
}

}  // namespace ll::ui
