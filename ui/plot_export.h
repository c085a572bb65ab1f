#pragma once
// Exports plots and image views as PNG, SVG or PDF, chosen by the file's extension. Plots use
// QCustomPlot's own savePng/savePdf and its painter for SVG (Qt SVG); widgets are rendered.

#include <QString>

class QCustomPlot;
class QWidget;

namespace ll::ui {

/// Writes `plot` to `path` (.png, .svg or .pdf) at width × height (0: the plot's size) and, for
/// PNG, `scale` pixels per point. Returns an empty string, or what went wrong.
QString exportPlot(QCustomPlot* plot, const QString& path, int width = 0, int height = 0,
                   double scale = 1.0);
/// Same for any widget (feature-map grids, the input image with its overlays).
QString exportWidget(QWidget* widget, const QString& path, double scale = 1.0);
/// Asks for a file name (PNG/SVG/PDF) and exports; reports errors in a message box.
void exportPlotInteractively(QCustomPlot* plot, QWidget* parent, const QString& suggestedName);
void exportWidgetInteractively(QWidget* widget, QWidget* parent, const QString& suggestedName);

}  // namespace ll::ui
