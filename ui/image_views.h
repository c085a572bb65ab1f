#pragma once
// Image widgets of the layers view: a grid of feature maps (or filters) drawn with a colormap,
// and the input image with a unit's receptive-field rectangle and effective-field heatmap.
// Tensor → QImage conversion lives here, in ui/ only.

#include <QImage>
#include <QVector>
#include <QWidget>

#include "core/analysis/receptive_field.h"
#include "core/tensor.h"

namespace ll::ui {

/// Viridis, t in [0, 1].
QRgb viridis(double t);
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
    void setHeatmap(const Tensor& erf);        // (H, W); empty: none
    void setHeatmapVisible(bool on);
    bool hasRegion() const { return m_hasRegion; }
    const UnitRegion& region() const { return m_region; }
    QSize sizeHint() const override { return {240, 240}; }
    QSize minimumSizeHint() const override { return {140, 140}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QImage m_image, m_heat;
    int m_H = 0, m_W = 0;
    bool m_hasRegion = false, m_showHeat = true;
    UnitRegion m_region;
};

}  // namespace ll::ui
