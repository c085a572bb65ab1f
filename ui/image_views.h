#pragma once
// Image widgets of the layers view: a grid of feature maps (or filters) drawn with a colormap,
// and the input image with a unit's receptive-field rectangle and effective-field heatmap.
// Tensor → QImage conversion lives here, in ui/ only.

#include <QImage>
#include <QVector>
#include <QWidget>
#include <functional>

class QPainter;

#include "core/analysis/receptive_field.h"
#include "core/tensor.h"

namespace ll::ui {

/// Viridis, t in [0, 1].
QRgb viridis(double t);
/// A vertical colour bar in `bar`: colour(t) for t from 0 (bottom) to 1 (top), outlined, with
/// `top` and `bottom` written to its right (and `middle` halfway, if not empty).
void paintColorBar(QPainter& p, const QRect& bar, const std::function<QRgb(double)>& colour,
                   const QString& top, const QString& middle, const QString& bottom);
/// A value for a colour-bar label: 3 significant digits.
QString barLabel(double v);
/// One (H, W) plane of `t` starting at `offset`, scaled from [lo, hi] through viridis.
QImage planeImage(const float* data, int H, int W, float lo, float hi);
/// An input image (C, H, W): grey for one channel, RGB for three, each stretched to its range.
QImage inputImage(const Tensor& x);

struct MapStats {
    float min = 0, max = 0, mean = 0, zeroFraction = 0;
};
MapStats statsOf(const Tensor& t);

/// A grid of 2-D maps: (C, H, W) activations, (Cout, Cin, kh, kw) filters (first input
/// channel... or averaged over inputs), or a flat (F) vector drawn as one square map.
class MapGrid : public QWidget {
    Q_OBJECT
public:
    explicit MapGrid(QWidget* parent = nullptr);
    /// `filters`: the tensor is (Cout, Cin, kh, kw) and each output map shows the mean over Cin.
    void setMaps(const Tensor& t, bool filters = false);
    void setSharedScale(bool shared);
    void setSelected(int channel, int i, int j);
    int maps() const { return m_count; }
    /// Widget rectangle of pixel (i, j) of map c (for tests that click units).
    QRect unitRect(int c, int i, int j) const;
    /// The colour bar's rectangle and its labels (top, middle, bottom): the shared scale's
    /// values, or "max"/"min" of each map (for tests and screenshots).
    QRect colorBarRect() const;
    QStringList colorBarLabels() const;
    QSize sizeHint() const override { return {480, 360}; }

signals:
    /// A click on pixel (i, j) of map `channel` (flat vectors: channel = index, i = j = 0).
    void unitClicked(int channel, int i, int j);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;
    void resizeEvent(QResizeEvent*) override { layoutCells(); }

private:
    void layoutCells();
    void rebuildImages();

    Tensor m_data;  // (C, H, W)
    bool m_flat = false;
    int m_count = 0, m_h = 0, m_w = 0, m_flatLen = 0;
    bool m_shared = true;
    QVector<QImage> m_images;
    QVector<QRect> m_cells;
    float m_lo = 0, m_hi = 0;  // the shared scale
    int m_selC = -1, m_selI = 0, m_selJ = 0;
};

/// The input image, scaled up, with the selected unit's receptive field: the unclipped rectangle
/// dashed (it may reach into the padding), the clipped one solid, and optionally the effective
/// receptive field as a heatmap.
class InputView : public QWidget {
    Q_OBJECT
public:
    explicit InputView(QWidget* parent = nullptr);
    void setImage(const Tensor& x);
    void setRegion(const UnitRegion* region);  // null: none
    /// (H, W); empty: none. `quantity` names what it shows, under its colour bar.
    void setHeatmap(const Tensor& erf, const QString& quantity = "|∂unit/∂pixel|");
    void setHeatmapVisible(bool on);
    bool hasRegion() const { return m_hasRegion; }
    /// The heat map's colour bar (empty when no heat map is shown) and its top label.
    QRect heatBarRect() const;
    QString heatBarTop() const { return barLabel(m_heatMax); }
    const QString& heatQuantity() const { return m_heatQuantity; }
    const UnitRegion& region() const { return m_region; }
    QSize sizeHint() const override { return {240, 240}; }
    QSize minimumSizeHint() const override { return {140, 140}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QImage m_image, m_heat;
    float m_heatMax = 0;
    QString m_heatQuantity;
    int m_H = 0, m_W = 0;
    bool m_hasRegion = false, m_showHeat = true;
    UnitRegion m_region;
};

}  // namespace ll::ui
