#include "ui/plot.h"

#include <QMenu>
#include <cmath>
#include <utility>

#include "ui/plot_export.h"

namespace ll::ui {

QColor plotColor(int i) {
    static const QColor colors[] = {
        QColor(31, 119, 180),  QColor(255, 127, 14), QColor(44, 160, 44),   QColor(214, 39, 40),
        QColor(148, 103, 189), QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127),
        QColor(188, 189, 34),  QColor(23, 190, 207)};
    return colors[((i % 10) + 10) % 10];
}

QColor overlayColor(int k) {
    static const int order[] = {2, 1, 4, 5, 6, 8, 9, 7};
    return plotColor(order[((k % 8) + 8) % 8]);
}

Qt::PenStyle overlayDash(int k) {
    static const Qt::PenStyle dashes[] = {Qt::DashLine, Qt::DotLine, Qt::DashDotLine,
                                          Qt::DashDotDotLine};
    return dashes[((k % 4) + 4) % 4];
}

QString sharedDashPrefix(const QStringList& names) {
    if (names.size() < 2) return {};
    QString prefix = names[0];
    for (const QString& n : names)
        while (!n.startsWith(prefix))
            prefix.chop(1);
    return prefix.left(prefix.lastIndexOf('-') + 1);
}

namespace {

// Replots its plot when the plot is next shown, if a replot was deferred meanwhile.
class DeferredReplot : public QObject {
public:
    explicit DeferredReplot(QCustomPlot* plot) : QObject(plot), m_plot(plot) {
        plot->installEventFilter(this);
    }
    bool pending = false;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched == m_plot && event->type() == QEvent::Show && pending) {
            pending = false;
            m_plot->replot(QCustomPlot::rpQueuedReplot);
        }
        return false;
    }

private:
    QCustomPlot* m_plot;
};

}  // namespace

void replotWhenShown(QCustomPlot* plot) {
    if (plot->isVisible()) {
        plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    // By name and dynamic_cast: findChild<T*> needs Q_OBJECT in T (qobject_cast), and without it
    // returned the plot's first child, a QCPLayer (UBSan found it).
    static const QString kName = "ll-deferred-replot";
    auto* deferred =
        dynamic_cast<DeferredReplot*>(plot->findChild<QObject*>(kName, Qt::FindDirectChildrenOnly));
    if (!deferred) {
        deferred = new DeferredReplot(plot);
        deferred->setObjectName(kName);
    }
    deferred->pending = true;
}

void Bounds::add(double px, double py) {
    if (!std::isfinite(px) || !std::isfinite(py)) return;
    if (empty) {
        x = QCPRange(px, px);
        y = QCPRange(py, py);
        empty = false;
        return;
    }
    x.expand(px);
    y.expand(py);
}

void Bounds::reserve(double px) {
    if (empty || !std::isfinite(px)) return;
    x.expand(px);
    reserved = true;
}

void Bounds::add(const Bounds& other) {
    if (other.empty) return;
    reserved |= other.reserved;
    add(other.x.lower, other.y.lower);
    add(other.x.upper, other.y.upper);
}

namespace {

// The minimum and maximum of [first, last) in step order: one point when they are the same.
template <typename It>
void appendExtremes(It first, It last, QVector<QCPGraphData>& out) {
    auto lo = first, hi = first;
    for (auto it = first; it != last; ++it) {
        if (it->value < lo->value) lo = it;
        if (it->value > hi->value) hi = it;
    }
    QCPGraphData a = *lo, b = *hi;
    if (b.key < a.key) std::swap(a, b);
    out << a;
    if (b.key != a.key) out << b;
}

}  // namespace

LiveSeries::LiveSeries(QCPGraph* graph, int maxPoints)
    : m_graph(graph), m_maxPoints(std::max(maxPoints, 16)) {}

Bounds LiveSeries::takeChanged() {
    m_drawFrom = m_changed.empty ? std::numeric_limits<double>::quiet_NaN() : m_changed.x.lower;
    return std::exchange(m_changed, Bounds());
}

void LiveSeries::drawSegments(QCPPainter* painter) const {
    if (std::isnan(m_drawFrom) || !m_graph->visible()) return;
    auto data = m_graph->data();
    QCPAxis* kx = m_graph->keyAxis();
    QCPAxis* vy = m_graph->valueAxis();
    QPolygonF line;
    QPointF last;
    for (auto it = data->findBegin(m_drawFrom, false); it != data->constEnd(); ++it) {
        const QPointF p(kx->coordToPixel(it->key), vy->coordToPixel(it->value));
        if (!line.isEmpty() && m_graph->lineStyle() == QCPGraph::lsStepLeft)
            line << QPointF(p.x(), last.y());
        line << p;
        last = p;
    }
    if (line.size() < 2) return;
    painter->setPen(m_graph->pen());
    painter->setBrush(Qt::NoBrush);
    painter->setAntialiasing(m_graph->antialiased());
    painter->drawPolyline(line);
}

void LiveSeries::add(double x, double y) {
    // The line from the last point to the new one is new.
    if (!m_graph->data()->isEmpty()) m_changed.add((m_graph->data()->constEnd() - 1)->key, 0);
    m_changed.add(x, 0);
    m_graph->addData(x, y);
    if (m_bucket == 2) {  // every point is stored until the first merge
        if (m_graph->dataCount() > m_maxPoints) mergePairs();
        return;
    }
    if (++m_tail == m_bucket) foldTail();
}

// The last m_bucket raw points become their minimum and maximum, in step order.
void LiveSeries::foldTail() {
    auto data = m_graph->data();
    const int n = data->size();
    auto first = data->constBegin() + (n - m_tail);
    QVector<QCPGraphData> extremes;
    appendExtremes(first, data->constEnd(), extremes);
    const double from = first->key, to = (data->constEnd() - 1)->key;
    m_changed.add(first == data->constBegin() ? from : (first - 1)->key, 0);
    if (to > from)
        data->remove(from, to);
    else
        data->remove(from);
    data->add(extremes, true);
    m_tail = 0;
    if (data->size() > m_maxPoints) mergePairs();
}

// Buckets twice as wide: each run of 2·(points per bucket) stored points (two buckets' extremes)
// becomes one bucket's minimum and maximum. The tail of raw points stays as it is.
void LiveSeries::mergePairs() {
    auto data = m_graph->data();
    const int settled = data->size() - m_tail;
    QVector<QCPGraphData> out;
    out.reserve(settled / 2 + m_tail + 2);
    for (int i = 0; i < settled; i += 4)
        appendExtremes(data->constBegin() + i, data->constBegin() + std::min(i + 4, settled), out);
    for (auto it = data->constBegin() + settled; it != data->constEnd(); ++it)
        out << *it;
    data->set(out, true);
    m_bucket *= 2;
    m_rewritten = true;
}

namespace {

// QCPLayer's paint buffer and drawing, which QCustomPlot keeps to itself: named through a
// subclass, as pointers to members of QCPLayer (no cast of the layer itself).
struct LayerAccess : QCPLayer {
    static constexpr auto buffer = &LayerAccess::mPaintBuffer;
    static constexpr auto draw = &LayerAccess::drawToPaintBuffer;
};

// Grows one axis to hold [lo, hi] (log10 space on a logarithmic axis): kept while it holds them
// and they fill at least half of it; otherwise set with a margin: a quarter of the span ahead on
// the key axis (data arrive at its upper end) unless the caller reserved room, a tenth on each
// side of a value axis.
bool growAxis(QCPAxis* axis, QCPRange data, bool keyAxis, bool reserved) {
    const bool log = axis->scaleType() == QCPAxis::stLogarithmic;
    auto fwd = [log](double v) { return log ? std::log10(v) : v; };
    auto back = [log](double v) { return log ? std::pow(10.0, v) : v; };
    if (log && (data.lower <= 0 || data.upper <= 0)) return false;
    const double lo = fwd(data.lower), hi = fwd(data.upper);
    const QCPRange now = axis->range();
    const double a = fwd(now.lower), b = fwd(now.upper);
    const double span = std::max(hi - lo, log ? 0.1 : 1e-6);
    if (a <= lo && hi <= b && span >= 0.5 * (b - a)) return false;
    if (keyAxis)
        axis->setRange(back(lo), back(lo + (reserved ? 1.0 : 1.25) * span));
    else
        axis->setRange(back(lo - 0.1 * span), back(hi + 0.1 * span));
    return true;
}

}  // namespace

Plot::Plot(const QString& title, const QString& xLabel, const QString& yLabel, QWidget* parent)
    : QCustomPlot(parent), m_title(title) {
    setObjectName(title);
    plotLayout()->insertRow(0);
    auto* t = new QCPTextElement(this, title, QFont(font().family(), 10, QFont::Bold));
    plotLayout()->addElement(0, 0, t);
    xAxis->setLabel(xLabel);
    yAxis->setLabel(yLabel);
    legend->setVisible(true);
    legend->setFont(QFont(font().family(), 8));
    legend->setBrush(QColor(255, 255, 255, 200));
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    // QCustomPlot's axes and grids use 0-width (one device pixel) pens: scale them.
    if (devicePixelRatioF() > 1) {
        auto scaled = [this](QPen pen) {
            pen.setWidthF(std::max(1.0, devicePixelRatioF()) * std::max(1.0, pen.widthF()));
            pen.setCosmetic(true);
            return pen;
        };
        for (QCPAxis* axis : axisRect()->axes()) {
            axis->setBasePen(scaled(axis->basePen()));
            axis->setTickPen(scaled(axis->tickPen()));
            axis->setSubTickPen(scaled(axis->subTickPen()));
            axis->grid()->setPen(scaled(axis->grid()->pen()));
            axis->grid()->setZeroLinePen(scaled(axis->grid()->zeroLinePen()));
        }
    }
    setMinimumSize(220, 160);
    // The curves get a paint buffer of their own, so a frame that only adds points redraws them
    // alone (refreshLive).
    layer("main")->setMode(QCPLayer::lmBuffered);
    setAttribute(Qt::WA_OpaquePaintEvent);  // QCustomPlot paints every pixel itself
    connect(this, &QCustomPlot::afterReplot, this, [this] { ++m_fullReplots; });
    // A legend below the axes gets its entries with the data: refit its columns before every
    // full replot.
    connect(this, &QCustomPlot::beforeReplot, this, [this] { fitLegend(); });
    connect(this, &QCustomPlot::mouseWheel, this, [this] { m_follow = false; });
    connect(this, &QCustomPlot::mousePress, this, [this] { m_follow = false; });
}

QCPItemText* Plot::hover() {
    if (m_hover) return m_hover;
    // Made when first needed, and again after a user of the plot cleared its items
    // (clearItems deletes it: the confusion matrix redraws its labels that way).
    m_hover = new QCPItemText(this);
    m_hover->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_hover->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_hover->position->setCoords(0.01, 0.01);
    m_hover->setTextAlignment(Qt::AlignLeft);
    m_hover->setFont(QFont(font().family(), 8));
    m_hover->setBrush(QColor(255, 255, 240, 230));
    m_hover->setPadding(QMargins(3, 2, 3, 2));
    m_hover->setVisible(false);
    return m_hover;
}

void Plot::refresh() {
    if (m_follow) {
        rescaleAxes(true);
        if (yAxis->scaleType() == QCPAxis::stLinear) {
            const QCPRange r = yAxis->range();
            const double pad = std::max(r.size() * 0.05, 1e-6);
            yAxis->setRange(r.lower - pad, r.upper + pad);
        }
    }
    replotWhenShown(this);
}

void Plot::refreshLive(const Bounds& shown, bool layoutChanged, const QList<LiveSeries*>& series) {
    Bounds changed;
    bool rewritten = false;
    for (LiveSeries* l : series) {
        changed.add(l->takeChanged());
        rewritten |= l->takeRewritten();
    }
    bool moved = layoutChanged;
    if (m_follow && !shown.empty) {
        moved |= growAxis(xAxis, shown.x, true, shown.reserved);
        QCPRange y = shown.y;
        if (y.lower >= m_valueFloor) y.lower = m_valueFloor;  // false for NaN: no limit
        if (y.upper <= m_valueCeiling) y.upper = m_valueCeiling;
        moved |= growAxis(yAxis, y, false, false);
    }
    if (layoutChanged) fitLegend();
    if (moved || !isVisible()) return replotWhenShown(this);
    if (changed.empty && !rewritten) return;
    // The changed keys' columns, a few pixels wider (line ends), over the axis rect.
    QRect dirty = axisRect()->rect().adjusted(-2, -2, 2, 2);
    if (!rewritten) {
        const double a = xAxis->coordToPixel(changed.x.lower),
                     b = xAxis->coordToPixel(changed.x.upper);
        const int l = static_cast<int>(std::floor(std::min(a, b))) - 4,
                  r = static_cast<int>(std::ceil(std::max(a, b))) + 4;
        dirty.setLeft(std::clamp(l, dirty.left(), dirty.right()));
        dirty.setRight(std::clamp(r, dirty.left(), dirty.right()));
    }
    replotCurves(dirty, rewritten ? QList<LiveSeries*>() : series);
}

// Draws the curves' layer into its own buffer and recomposes only `dirty` on screen (the rest of
// the widget keeps its pixels: WA_OpaquePaintEvent). With `extend`, only those curves' new
// segments are drawn over what the buffer holds; otherwise the layer is drawn anew. Falls back to
// a full replot whenever the buffers are not up to date.
void Plot::replotCurves(const QRect& dirty, const QList<LiveSeries*>& extend) {
    QCPLayer* curves = layer("main");
    if (curves->mode() != QCPLayer::lmBuffered || hasInvalidatedPaintBuffers())
        return replot(QCustomPlot::rpQueuedReplot);
    const QSharedPointer<QCPAbstractPaintBuffer> buffer =
        (curves->*LayerAccess::buffer).toStrongRef();
    if (!buffer) return replot(QCustomPlot::rpQueuedReplot);
    if (extend.isEmpty()) {
        buffer->clear(Qt::transparent);
        (curves->*LayerAccess::draw)();
    } else {
        QCPPainter* painter = buffer->startPainting();
        painter->setClipRect(axisRect()->rect());
        for (LiveSeries* l : extend)
            l->drawSegments(painter);
        delete painter;
        buffer->donePainting();
    }
    buffer->setInvalidated(false);
    ++m_curveReplots;
    m_lastCurveRect = dirty;
    update(dirty);
}

void Plot::resetView() {
    m_follow = true;
    hideReadout();  // it described data that is gone
    refresh();
}

bool Plot::readoutShown() const {
    return m_hover && m_hover->visible();
}

void Plot::hideReadout() {
    if (!m_hover || !m_hover->visible()) return;
    m_hover->setVisible(false);
    replot(QCustomPlot::rpQueuedReplot);
}

void Plot::leaveEvent(QEvent* event) {
    QCustomPlot::leaveEvent(event);
    hideReadout();
}

QString Plot::readout(double x) const {
    QStringList lines;
    for (int g = 0; g < graphCount(); ++g) {
        QCPGraph* gr = graph(g);
        if (!gr->visible() || gr->data()->isEmpty()) continue;
        auto it = gr->data()->findBegin(x, true);
        if (it == gr->data()->constEnd()) --it;
        auto next = it + 1;
        if (next != gr->data()->constEnd() && std::abs(next->key - x) < std::abs(it->key - x))
            it = next;
        lines << QString("%1: %2 at %3").arg(gr->name()).arg(it->value, 0, 'g', 5).arg(it->key);
    }
    return lines.join('\n');
}

void Plot::mouseMoveEvent(QMouseEvent* event) {
    QCustomPlot::mouseMoveEvent(event);
    if (!axisRect()->rect().contains(event->pos())) return hideReadout();
    const QString text = readout(xAxis->pixelToCoord(event->pos().x()));
    hover()->setText(text);
    m_hover->setVisible(!text.isEmpty());
    replot(QCustomPlot::rpQueuedReplot);
}

void Plot::setLegendShown(bool on) {
    legend->setVisible(on);
    replot(QCustomPlot::rpQueuedReplot);
}

void Plot::setLegendCorner(Qt::Alignment corner) {
    if (m_legendBelow) {
        plotLayout()->take(legend);
        plotLayout()->simplify();
        legend->setFillOrder(QCPLayoutGrid::foRowsFirst, false);
        legend->setWrap(0);
        legend->setFillOrder(QCPLayoutGrid::foRowsFirst, true);
        axisRect()->insetLayout()->addElement(legend, corner);
        legend->setBorderPen(QPen(Qt::black, 0));
        m_legendBelow = false;
    } else {
        axisRect()->insetLayout()->setInsetAlignment(0, corner);
    }
    replot(QCustomPlot::rpQueuedReplot);
}

QPen Plot::linePen(const QColor& color) const {
    QPen pen(color);
    pen.setWidthF(std::max(1.0, devicePixelRatioF()));
    pen.setCosmetic(true);
    return pen;
}

void Plot::setLegendBelow() {
    if (m_legendBelow) return;
    axisRect()->insetLayout()->take(legend);
    axisRect()->insetLayout()->simplify();
    const int row = plotLayout()->rowCount();
    plotLayout()->addElement(row, 0, legend);
    plotLayout()->setRowStretchFactor(row, 0.001);  // as tall as its entries
    legend->setBorderPen(Qt::NoPen);
    legend->setMargins(QMargins(4, 0, 4, 2));
    m_legendBelow = true;
    fitLegend();
    replot(QCustomPlot::rpQueuedReplot);
}

// Below the axes: as many columns as the widest entry allows.
void Plot::fitLegend() {
    if (!m_legendBelow) return;
    int widest = 1;
    for (int i = 0; i < legend->itemCount(); ++i)  // cells; a wrapped grid has empty ones
        if (QCPAbstractLegendItem* item = legend->item(i))
            widest = std::max(widest, item->minimumOuterSizeHint().width());
    const int columns = std::max(1, (width() - 16) / (widest + legend->columnSpacing()));
    if (columns == legend->wrap() && legend->fillOrder() == QCPLayoutGrid::foColumnsFirst) return;
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
}

void Plot::resizeEvent(QResizeEvent* event) {
    fitLegend();
    QCustomPlot::resizeEvent(event);
}

void Plot::mouseDoubleClickEvent(QMouseEvent* event) {
    QCustomPlot::mouseDoubleClickEvent(event);
    resetView();
}

void Plot::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    menu.addAction("Export as PNG, SVG or PDF…", this, [this] {
        exportPlotInteractively(this, this, m_title.toLower().replace(' ', '-'));
    });
    menu.addAction("Reset view (double-click)", this, [this] { resetView(); });
    QAction* legendShown =
        menu.addAction("Show legend", this, [this](bool on) { setLegendShown(on); });
    legendShown->setCheckable(true);
    legendShown->setChecked(legend->visible());
    menu.addAction("Legend below the plot", this, [this] { setLegendBelow(); });
    QMenu* corner = menu.addMenu("Legend inside, in a corner");
    const std::pair<const char*, Qt::Alignment> corners[] = {
        {"Top right", Qt::AlignTop | Qt::AlignRight},
        {"Top left", Qt::AlignTop | Qt::AlignLeft},
        {"Bottom right", Qt::AlignBottom | Qt::AlignRight},
        {"Bottom left", Qt::AlignBottom | Qt::AlignLeft}};
    for (const auto& [name, align] : corners)
        corner->addAction(name, this, [this, align = align] { setLegendCorner(align); });
    menu.exec(event->globalPos());
}

}  // namespace ll::ui
