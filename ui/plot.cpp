#include "ui/plot.h"

#include <QMenu>
#include <cmath>

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
    setMinimumSize(220, 160);
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
    replot(QCustomPlot::rpQueuedReplot);
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
    axisRect()->insetLayout()->setInsetAlignment(0, corner);
    replot(QCustomPlot::rpQueuedReplot);
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
    QMenu* corner = menu.addMenu("Legend corner");
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
