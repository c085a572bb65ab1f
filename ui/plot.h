#pragma once
// A QCustomPlot with the behaviour every LayerLens plot shares: title, legend, mouse zoom and
// pan, a hover read-out of the nearest values, a context menu (export as PNG/SVG/PDF, reset
// view), and "follow the data" until the user zooms or pans.

#include <qcustomplot.h>

#include <QPointer>

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

class Plot : public QCustomPlot {
    Q_OBJECT
public:
    Plot(const QString& title, const QString& xLabel, const QString& yLabel,
         QWidget* parent = nullptr);

    /// Rescales to the data unless the user has zoomed or panned since the last resetView();
    /// then queues a replot (cheap to call often).
    void refresh();
    void resetView();
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
    void setLegendCorner(Qt::Alignment corner);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    QString m_title;
    bool m_follow = true;
    QCPItemText* hover();
    QPointer<QCPItemText> m_hover;  // null until the mouse first moves over the plot
};

}  // namespace ll::ui
