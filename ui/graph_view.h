#pragma once
// The architecture graph: the network drawn as a directed graph laid out by Graphviz (`dot`,
// through its C API), one box per layer with its type, output shape, parameters and FLOPs,
// coloured by FLOPs; Concat modules drawn as their branches side by side. A click selects the
// layer (Layers and Cost follow), the tooltip gives its receptive field, and the right-click
// menu exports the drawing as PNG, SVG or PDF.

#include <QPainterPath>
#include <QRectF>
#include <QScrollArea>
#include <QString>
#include <QStringList>
#include <QVector>

#include "ui/snapshots.h"

class QFont;

namespace ll::ui {

struct GraphNode {
    QRectF rect;        // in the drawing's coordinates (y down)
    QStringList lines;  // name and type, output shape, parameters and FLOPs
    int layer = -1;     // top-level layer it belongs to (-1: the input)
    int costRow = -1;   // row of ModelInfo::costs (-1: the input)
    double heat = 0;    // FLOPs on a log scale, 0..1 over the model
    QString tip;        // tooltip: the receptive field
};

struct GraphEdge {
    QPainterPath path;  // the spline Graphviz routed
    QPointF tip, from;  // arrow head: its tip and the point it comes from
};

struct GraphLayout {
    QVector<GraphNode> nodes;
    QVector<GraphEdge> edges;
    QSizeF size;
};

/// Lays out the model of `info` with Graphviz's dot, boxes sized for `font`. Throws
/// std::runtime_error when Graphviz fails.
GraphLayout layoutModelGraph(const ModelInfo& info, const QFont& font);

class GraphCanvas;

class GraphView : public QScrollArea {
    Q_OBJECT
public:
    explicit GraphView(QWidget* parent = nullptr);
    void setModel(const ModelInfo& info);
    /// Highlights the node(s) of top-level layer `layer` and scrolls to it.
    void setCurrentLayer(int layer);
    const GraphLayout& layout() const;
    /// The drawing itself (as large as the graph), for export.
    QWidget* canvas() const;
    /// What a click at `p` (drawing coordinates) hits: a node index, or -1.
    int nodeAt(const QPointF& p) const;
    /// Milliseconds the last layout took.
    qint64 layoutMs() const { return m_layoutMs; }
    const QString& error() const { return m_error; }

signals:
    /// A node was clicked: its top-level layer and its row of the cost table.
    void layerClicked(int layer, int costRow);

private:
    GraphCanvas* m_canvas;
    qint64 m_layoutMs = 0;
    QString m_error;
};

}  // namespace ll::ui
