#include "ui/graph_view.h"

#include <graphviz/gvc.h>

#include <QContextMenuEvent>
#include <QElapsedTimer>
#include <QFontMetricsF>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "ui/item_models.h"
#include "ui/plot_export.h"

namespace ll::ui {

namespace {

QString compact(std::int64_t n) {
    const double v = static_cast<double>(n);
    if (v >= 1e9) return QString::number(v / 1e9, 'f', 2) + "G";
    if (v >= 1e6) return QString::number(v / 1e6, 'f', 2) + "M";
    if (v >= 1e3) return QString::number(v / 1e3, 'f', 1) + "k";
    return QString::number(n);
}

QString rfText(const CostRow& r) {
    if (!r.rf.valid)
        return QString("receptive field: none (%1)").arg(QString::fromStdString(r.rf.note));
    return QString("receptive field %1×%2, jump %3, start %4")
        .arg(r.rf.size[0])
        .arg(r.rf.size[1])
        .arg(r.rf.jump[0])
        .arg(r.rf.start[0]);
}

// Graphviz's attribute calls take char*; the strings are not modified.
char* c(const char* s) {
    return const_cast<char*>(s);
}

// Owns the Graphviz context and graph for one layout.
struct Graphviz {
    GVC_t* gvc = gvContext();
    Agraph_t* g = nullptr;
    bool laidOut = false;
    Graphviz() {
        g = agopen(c("layers"), Agdirected, nullptr);
        if (!gvc || !g) throw std::runtime_error("Graphviz could not create a graph");
    }
    ~Graphviz() {
        if (laidOut) gvFreeLayout(gvc, g);
        if (g) agclose(g);
        if (gvc) gvFreeContext(gvc);
    }
    Graphviz(const Graphviz&) = delete;
    Graphviz& operator=(const Graphviz&) = delete;
};

}  // namespace

GraphLayout layoutModelGraph(const ModelInfo& info, const QFont& font) {
    GraphLayout out;
    const QFontMetricsF fm(font);
    QFont boldFont = font;
    boldFont.setBold(true);
    const QFontMetricsF bold(boldFont);  // the first line is drawn bold
    const CostTable& costs = info.costs;
    // Colour by FLOPs on a log scale from the cheapest to the costliest layer that computes.
    std::int64_t maxFlops = 1, minFlops = 0;
    for (const CostRow& r : costs.rows)
        if (r.leaf && r.cost.flops > 0) {
            maxFlops = std::max(maxFlops, r.cost.flops);
            minFlops = minFlops ? std::min(minFlops, r.cost.flops) : r.cost.flops;
        }
    const double lo = std::log(static_cast<double>(std::max<std::int64_t>(minFlops, 1))),
                 hi = std::log(static_cast<double>(maxFlops));

    auto addNode = [&](QStringList lines, int layer, int row) {
        GraphNode n;
        n.lines = std::move(lines);
        n.layer = layer;
        n.costRow = row;
        if (row >= 0) {
            const CostRow& r = costs.rows[static_cast<std::size_t>(row)];
            // A module's counts are its branches' subtotal: its own box is the concatenation.
            n.heat = r.cost.flops <= 0 || !r.leaf ? 0.0
                     : hi > lo ? 0.15 + 0.85 * (std::log(static_cast<double>(r.cost.flops)) - lo) /
                                            (hi - lo)
                               : 1.0;
            n.heat = std::clamp(n.heat, 0.0, 1.0);
            n.tip = rfText(r);
        }
        double w = 0;
        for (int k = 0; k < n.lines.size(); ++k)
            w = std::max(w, (k == 0 ? bold : fm).horizontalAdvance(n.lines[k]));
        n.rect = QRectF(0, 0, w + 16, n.lines.size() * fm.height() + 10);
        out.nodes.push_back(n);
        return out.nodes.size() - 1;
    };
    auto rowLines = [&](const CostRow& r, const QString& name) {
        QStringList l{QString("%1  %2").arg(name, QString::fromStdString(r.type)),
                      shapeText(r.outputShape)};
        if (r.cost.params() > 0 || r.cost.flops > 0)
            l << QString("%1 params · %2 FLOPs")
                     .arg(compact(r.cost.params()), compact(r.cost.flops));
        return l;
    };

    // Nodes and edges of the model, as indices into out.nodes.
    QVector<QPair<int, int>> edges;
    const int input = addNode({"input", shapeText(info.input)}, -1, -1);
    QVector<int> previous{input};
    QVector<int> output(info.layerNames.size(), -1);  // each layer's graph node (its output)
    for (int i = 0; i < info.layerNames.size(); ++i) {
        const int row = info.layerCostRow.value(i, -1);
        if (row < 0 || row >= static_cast<int>(costs.rows.size())) continue;
        const CostRow& r = costs.rows[static_cast<std::size_t>(row)];
        // A graph node reads the layers it names (a residual join reads two); a sequence's
        // layer reads the previous one.
        if (i < info.layerInputs.size()) {
            previous.clear();
            for (int j : info.layerInputs[i])
                previous.push_back(j < 0 ? input : output.value(j, input));
        }
        if (r.leaf) {
            const int n = addNode(rowLines(r, info.layerNames[i]), i, row);
            for (int p : previous)
                edges.push_back({p, n});
            previous = {n};
            output[i] = n;
            continue;
        }
        // A module (Concat): its branches side by side, each a chain of its leaves, joined by the
        // module's own node (the concatenation).
        const QString prefix = QString::fromStdString(r.name) + "/";
        QVector<int> ends;
        QVector<int> chain = previous;
        bool inBranch = false;
        for (std::size_t k = static_cast<std::size_t>(row) + 1;
             k < costs.rows.size() && costs.rows[k].depth > r.depth; ++k) {
            const CostRow& b = costs.rows[k];
            if (b.depth == r.depth + 1) {  // a new branch (a single layer is also its leaf)
                if (inBranch) ends += chain;
                chain = previous;
                inBranch = true;
            }
            if (!b.leaf) continue;
            QString name = QString::fromStdString(b.name);
            if (name.startsWith(prefix)) name = name.mid(prefix.size());
            const int n = addNode(rowLines(b, name), i, static_cast<int>(k));
            for (int p : chain)
                edges.push_back({p, n});
            chain = {n};
        }
        if (inBranch) ends += chain;
        const int join =
            addNode({QString("%1  %2").arg(info.layerNames[i], QString::fromStdString(r.type)),
                     shapeText(r.outputShape), "concatenation of the branches"},
                    i, row);
        for (int p : ends)
            edges.push_back({p, join});
        previous = {join};
        output[i] = join;
    }

    // Graphviz lays it out: sizes in inches (72 points, our pixels, each).
    Graphviz gv;
    agattr(gv.g, AGRAPH, c("rankdir"), c("TB"));
    agattr(gv.g, AGRAPH, c("nodesep"), c("0.25"));
    agattr(gv.g, AGRAPH, c("ranksep"), c("0.3"));
    agattr(gv.g, AGNODE, c("shape"), c("box"));
    agattr(gv.g, AGNODE, c("fixedsize"), c("true"));
    agattr(gv.g, AGNODE, c("label"), c(""));
    agattr(gv.g, AGNODE, c("width"), c("1"));
    agattr(gv.g, AGNODE, c("height"), c("0.5"));
    std::vector<Agnode_t*> gn;
    for (int i = 0; i < out.nodes.size(); ++i) {
        const std::string id = "n" + std::to_string(i);
        Agnode_t* n = agnode(gv.g, c(id.c_str()), 1);
        const std::string w = std::to_string(out.nodes[i].rect.width() / 72.0);
        const std::string h = std::to_string(out.nodes[i].rect.height() / 72.0);
        agset(n, c("width"), c(w.c_str()));
        agset(n, c("height"), c(h.c_str()));
        gn.push_back(n);
    }
    std::vector<Agedge_t*> ge;
    for (const auto& [a, b] : edges)
        ge.push_back(agedge(gv.g, gn[static_cast<std::size_t>(a)], gn[static_cast<std::size_t>(b)],
                            nullptr, 1));
    if (gvLayout(gv.gvc, gv.g, "dot") != 0)
        throw std::runtime_error("Graphviz's dot layout failed");
    gv.laidOut = true;

    const boxf bb = GD_bb(gv.g);
    const double margin = 8;
    auto at = [&](pointf p) { return QPointF(p.x - bb.LL.x + margin, bb.UR.y - p.y + margin); };
    out.size = QSizeF(bb.UR.x - bb.LL.x + 2 * margin, bb.UR.y - bb.LL.y + 2 * margin);
    for (int i = 0; i < out.nodes.size(); ++i) {
        QRectF& r = out.nodes[i].rect;
        r.moveCenter(at(ND_coord(gn[static_cast<std::size_t>(i)])));
    }
    for (Agedge_t* e : ge) {
        GraphEdge edge;
        if (!ED_spl(e) || ED_spl(e)->size < 1) continue;
        const bezier& bz = ED_spl(e)->list[0];
        if (bz.size < 1) continue;
        edge.path.moveTo(at(bz.list[0]));
        for (int p = 1; p + 2 < bz.size; p += 3)
            edge.path.cubicTo(at(bz.list[p]), at(bz.list[p + 1]), at(bz.list[p + 2]));
        edge.from = at(bz.list[bz.size - 1]);
        edge.tip = bz.eflag ? at(bz.ep) : edge.from;
        if (bz.eflag) edge.path.lineTo(edge.tip);
        out.edges.push_back(edge);
    }
    return out;
}

class GraphCanvas : public QWidget {
public:
    explicit GraphCanvas(GraphView* view) : m_view(view) {
        setMouseTracking(true);
        setContextMenuPolicy(Qt::DefaultContextMenu);
        setAutoFillBackground(true);
        QPalette p = palette();
        p.setColor(QPalette::Window, Qt::white);
        setPalette(p);
    }
    GraphLayout layout;
    int current = -1;  // highlighted top-level layer

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(QPen(QColor(90, 90, 90), 1.2));
        for (const GraphEdge& e : layout.edges) {
            p.setBrush(Qt::NoBrush);
            p.drawPath(e.path);
            // Arrow head: a small triangle from the spline's last point to its tip.
            QLineF l(e.tip, e.from);
            if (l.length() < 1e-3) continue;
            l.setLength(9);
            QLineF a = l, b = l;
            a.setAngle(l.angle() + 25);
            b.setAngle(l.angle() - 25);
            p.setBrush(QColor(90, 90, 90));
            p.drawPolygon(QPolygonF({e.tip, a.p2(), b.p2()}));
        }
        const QFontMetricsF fm(font());
        for (const GraphNode& n : layout.nodes) {
            const QColor fill =
                n.costRow < 0 ? QColor(230, 236, 245)
                : n.heat <= 0 ? QColor(248, 248, 248)
                              : QColor::fromHsvF(0.14 * (1 - n.heat), 0.15 + 0.65 * n.heat, 1.0);
            const bool on = n.layer >= 0 && n.layer == current;
            p.setPen(QPen(on ? QColor(0, 120, 215) : QColor(60, 60, 60), on ? 3 : 1));
            p.setBrush(fill);
            p.drawRoundedRect(n.rect, 5, 5);
            p.setPen(Qt::black);
            double y = n.rect.top() + 5 + fm.ascent();
            for (int k = 0; k < n.lines.size(); ++k) {
                QFont f = font();
                f.setBold(k == 0);
                p.setFont(f);
                p.drawText(QPointF(n.rect.left() + 8, y), n.lines[k]);
                y += fm.height();
            }
            p.setFont(font());
        }
    }
    void mousePressEvent(QMouseEvent* e) override {
        if (e->button() != Qt::LeftButton) return;
        const int k = m_view->nodeAt(e->position());
        if (k < 0 || layout.nodes[k].layer < 0) return;
        emit m_view->layerClicked(layout.nodes[k].layer, layout.nodes[k].costRow);
    }
    bool event(QEvent* e) override {
        if (e->type() == QEvent::ToolTip) {
            auto* h = static_cast<QHelpEvent*>(e);
            const int k = m_view->nodeAt(h->pos());
            if (k >= 0 && !layout.nodes[k].tip.isEmpty())
                QToolTip::showText(h->globalPos(), layout.nodes[k].tip, this);
            else
                QToolTip::hideText();
            return true;
        }
        return QWidget::event(e);
    }
    void contextMenuEvent(QContextMenuEvent*) override {
        exportWidgetInteractively(this, this, "architecture");
    }

private:
    GraphView* m_view;
};

GraphView::GraphView(QWidget* parent) : QScrollArea(parent), m_canvas(new GraphCanvas(this)) {
    setWidget(m_canvas);
    setWidgetResizable(false);
    setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    setBackgroundRole(QPalette::Base);
}

void GraphView::setModel(const ModelInfo& info) {
    QElapsedTimer t;
    t.start();
    m_error.clear();
    try {
        m_canvas->layout = layoutModelGraph(info, m_canvas->font());
    } catch (const std::exception& e) {
        m_canvas->layout = {};
        m_error = e.what();
    }
    m_layoutMs = t.elapsed();
    m_canvas->current = -1;
    m_canvas->resize(m_canvas->layout.size.toSize().expandedTo(QSize(10, 10)));
    m_canvas->update();
}

void GraphView::setCurrentLayer(int layer) {
    m_canvas->current = layer;
    for (const GraphNode& n : m_canvas->layout.nodes)
        if (n.layer == layer) {
            ensureVisible(static_cast<int>(n.rect.center().x()),
                          static_cast<int>(n.rect.center().y()), 50, 80);
            break;
        }
    m_canvas->update();
}

const GraphLayout& GraphView::layout() const {
    return m_canvas->layout;
}

QWidget* GraphView::canvas() const {
    return m_canvas;
}

int GraphView::nodeAt(const QPointF& p) const {
    const auto& nodes = m_canvas->layout.nodes;
    for (int k = 0; k < nodes.size(); ++k)
        if (nodes[k].rect.contains(p)) return k;
    return -1;
}

}  // namespace ll::ui
