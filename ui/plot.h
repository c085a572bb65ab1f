#pragma once
// A QCustomPlot with the behaviour every LayerLens plot shares: title, legend, mouse zoom and
// pan, a hover read-out of the nearest values, a context menu (export as PNG/SVG/PDF, reset
// view), and "follow the data" until the user zooms or pans.

#include <qcustomplot.h>

#include <QPointer>
#include <limits>
#include <utility>

namespace ll::ui {

/// The i-th colour of the series palette (matplotlib's tab10), shared by every plot.
QColor plotColor(int i);
/// Saved run k overlaid on the live plots: its colour (the palette without the live curves' blue
/// and red) and its dash pattern; the Runs list shows both beside the run.
QColor overlayColor(int k);
Qt::PenStyle overlayDash(int k);
/// The prefix every name shares, cut after its last '-' ("noise-0.2", "noise-1.0" → "noise-"),
/// so labels can drop it; empty for fewer than two names.
QString sharedDashPrefix(const QStringList& names);

/// Queues a replot of `plot`; while it is hidden (on another tab), defers it until it is shown.
/// A hidden plot redrawn during training takes CPU time from the training threads for nothing.
void replotWhenShown(QCustomPlot* plot);

/// The bounds of the points a live plot shows, kept as points arrive so that following the data
/// does not scan them every frame.
struct Bounds {
    void add(double x, double y);
    /// Makes room on x up to `x` (for points still to come, e.g. to the end of the epoch).
    void reserve(double x);
    void add(const Bounds& other);
    QCPRange x, y;
    bool empty = true;
    bool reserved = false;  // x reaches as far as the data need
};

/// A curve that grows for as long as a run lasts, stored in bounded memory: once it holds more
/// than `maxPoints`, each group of consecutive points becomes its minimum and maximum (in step
/// order), so the drawn envelope is the one adaptive sampling would draw from every point, and
/// drawing costs the same after a million batches as after a thousand. Every stored point is a
/// real (step, value) pair.
class LiveSeries {
public:
    LiveSeries() = default;
    LiveSeries(QCPGraph* graph, int maxPoints);
    void add(double x, double y);
    QCPGraph* graph() const { return m_graph; }
    /// The keys whose drawing changed since the last call, from the point before the new ones
    /// (or the start after a merge) to the last; `empty` if nothing changed.
    Bounds takeChanged();
    /// Whether stored points were rewritten (merged) since the last call: the curve must be
    /// redrawn whole, not extended.
    bool takeRewritten() { return std::exchange(m_rewritten, false); }
    /// Draws the segments of the keys last taken by takeChanged (the curve's new part).
    void drawSegments(QCPPainter* painter) const;
    /// Raw points each stored min/max pair stands for (2: every point is stored).
    int bucket() const { return m_bucket; }

private:
    void foldTail();
    void mergePairs();
    QCPGraph* m_graph = nullptr;
    int m_maxPoints = 0;
    int m_bucket = 2;
    int m_tail = 0;    // raw points after the last complete bucket
    Bounds m_changed;  // keys only (y = 0)
    bool m_rewritten = false;
    double m_drawFrom = std::numeric_limits<double>::quiet_NaN();
};

class Plot : public QCustomPlot {
    Q_OBJECT
public:
    Plot(const QString& title, const QString& xLabel, const QString& yLabel,
         QWidget* parent = nullptr);

    /// Rescales to the data unless the user has zoomed or panned since the last resetView();
    /// then queues a replot (cheap to call often).
    void refresh();
    void resetView();
    /// For live curves: while following the data, the axes grow to hold `shown` with room to
    /// spare (a quarter of the span ahead on x, unless `shown` reserved room itself), so they
    /// move a few times per run rather than every frame. A frame in which the axes stayed put (and
    /// `layoutChanged` is false) redraws only the curves' layer: no axes, tick labels or legend
    /// text. `series`: the live curves, whose new segments are drawn onto the curves' buffer as
    /// they are (the old ones stay), and only the columns they changed are recomposed on screen.
    void refreshLive(const Bounds& shown, bool layoutChanged, const QList<LiveSeries*>& series);
    /// A live plot's value axis always reaches down to `floor` and up to `ceiling` (e.g. 0 for a
    /// loss, 0 and 100 for an accuracy in %), instead of following the lowest and highest value,
    /// so it moves less often; values beyond them still widen it.
    void setValueLimits(double floor, double ceiling) {
        m_valueFloor = floor;
        m_valueCeiling = ceiling;
    }
    /// Full replots (layout, axes, text) so far; a curves-only redraw does not count (for tests).
    int fullReplots() const { return m_fullReplots; }
    /// Curve redraws without a full replot so far (whole curves' layer or new segments only),
    /// and the last one's screen rectangle (for tests).
    int curveReplots() const { return m_curveReplots; }
    QRect lastCurveRect() const { return m_lastCurveRect; }
    const QString& title() const { return m_title; }
    /// The text the hover read-out shows for plot coordinate x (for tests).
    QString readout(double x) const;
    /// Whether the hover read-out is shown (the mouse is over the plot).
    bool readoutShown() const;
    /// Hides the hover read-out (the mouse left, the data changed, or for an export).
    void hideReadout();
    /// The legend on or off, and in which corner of the plot (also from the context menu), for
    /// when it covers the curves.
    void setLegendShown(bool on);
    /// A pen for curves and axes: cosmetic (the raster engine's fast path) and as many device
    /// pixels wide as a logical pixel has, so lines are not hairlines at a scale factor of 2.
    QPen linePen(const QColor& color) const;
    /// Inside the axes, in a corner (it may cover curves there)...
    void setLegendCorner(Qt::Alignment corner);
    /// ...or below them, its entries in as many columns as fit: it never covers a curve.
    void setLegendBelow();
    bool legendBelow() const { return m_legendBelow; }

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    QString m_title;
    bool m_follow = true;
    int m_fullReplots = 0;
    bool m_legendBelow = false;
    void fitLegend();
    int m_curveReplots = 0;
    QRect m_lastCurveRect;
    void replotCurves(const QRect& dirty, const QList<LiveSeries*>& extend);
    double m_valueFloor = std::numeric_limits<double>::quiet_NaN();
    double m_valueCeiling = std::numeric_limits<double>::quiet_NaN();
    QCPItemText* hover();
    QPointer<QCPItemText> m_hover;  // null until the mouse first moves over the plot
};

}  // namespace ll::ui
