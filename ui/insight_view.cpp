#include "ui/insight_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QSplitter>
#include <QVBoxLayout>

#include "ui/plot.h"
#include "ui/run_controller.h"

namespace ll::ui {

InsightView::InsightView(QWidget* parent) : QWidget(parent) {
    m_plot = new Plot("Confusion matrix (test set)", "predicted class", "true class");
    m_plot->legend->setVisible(false);
    m_plot->setInteractions({});
    m_gallery = new QListWidget;
    m_gallery->setViewMode(QListView::IconMode);
    m_gallery->setIconSize(QSize(84, 84));
    m_gallery->setResizeMode(QListView::Adjust);
    m_gallery->setMovement(QListView::Static);
    m_gallery->setSpacing(4);
    m_caption = new QLabel("The confusion matrix appears after the first epoch.");
    m_caption->setWordWrap(true);
    auto* right = new QWidget;
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 0, 0, 0);
    rv->addWidget(m_caption);
    rv->addWidget(m_gallery, 1);
    auto* split = new QSplitter;
    split->addWidget(m_plot);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    // Histograms of the selected layer's weights and gradients: the latest as bars, earlier
    // snapshots as fading lines (how the distributions move over time).
    m_layer = new QComboBox;
    m_wPlot = new Plot("Weights", "value", "count");
    m_gPlot = new Plot("Gradients", "value", "count");
    auto* hist = new QWidget;
    auto* hv = new QVBoxLayout(hist);
    hv->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel("Histograms of layer"));
    top->addWidget(m_layer, 1);
    hv->addLayout(top);
    auto* plots = new QHBoxLayout;
    plots->addWidget(m_wPlot);
    plots->addWidget(m_gPlot);
    hv->addLayout(plots, 1);
    auto* vsplit = new QSplitter(Qt::Vertical);
    vsplit->addWidget(split);
    vsplit->addWidget(hist);
    vsplit->setStretchFactor(0, 3);
    vsplit->setStretchFactor(1, 2);
    auto* lay = new QHBoxLayout(this);
    lay->setContentsMargins(2, 2, 2, 2);
    lay->addWidget(vsplit);
    connect(m_layer, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { drawHistograms(); });
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
        const int K = m_snap.matrix.classes;
        if (K == 0) return;
        const int p = static_cast<int>(std::lround(m_plot->xAxis->pixelToCoord(e->pos().x())));
        const int t = static_cast<int>(std::lround(m_plot->yAxis->pixelToCoord(e->pos().y())));
        if (p >= 0 && p < K && t >= 0 && t < K) selectCell(t, p);
    });
}

void InsightView::setConfusion(const ConfusionSnapshot& s) {
    m_snap = s;
    const int K = s.matrix.classes;
    m_plot->clearPlottables();
    m_plot->clearItems();
    auto* map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    map->data()->setSize(K, K);
    map->data()->setRange(QCPRange(0, K - 1), QCPRange(0, K - 1));
    for (int t = 0; t < K; ++t)
        for (int p = 0; p < K; ++p)
            map->data()->setCell(p, t, s.matrix.rate(t, p));
    map->setGradient(QCPColorGradient::gpThermal);
    map->setDataRange(QCPRange(0, 1));
    map->setInterpolate(false);
    for (int t = 0; t < K; ++t) {
        for (int p = 0; p < K; ++p) {
            auto* text = new QCPItemText(m_plot);
            text->position->setCoords(p, t);
            text->setText(QString::number(s.matrix.at(t, p)));
            text->setFont(QFont(font().family(), K > 12 ? 6 : 8));
            text->setColor(s.matrix.rate(t, p) > 0.5 ? Qt::black : Qt::white);
        }
    }
    QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
    for (int k = 0; k < K; ++k)
        ticks->addTick(k, s.classNames.value(k, QString::number(k)).left(8));
    m_plot->xAxis->setTicker(ticks);
    m_plot->yAxis->setTicker(ticks);
    m_plot->xAxis->setRange(-0.5, K - 0.5);
    m_plot->yAxis->setRange(-0.5, K - 0.5);
    m_plot->yAxis->setRangeReversed(true);
    replotWhenShown(m_plot);
    selectCell(-1, -1);
}

void InsightView::clearHistograms() {
    m_history.clear();
    m_layer->clear();
    drawHistograms();
}

void InsightView::addHistograms(const HistogramSnapshot& s) {
    m_history.push_back(s);
    if (m_history.size() > 50) m_history.erase(m_history.begin());
    if (m_layer->count() != static_cast<int>(s.layers.size())) {
        m_layer->blockSignals(true);
        m_layer->clear();
        for (const auto& l : s.layers)
            m_layer->addItem(l.name);
        m_layer->blockSignals(false);
    }
    drawHistograms();
}

void InsightView::drawHistograms() {
    for (Plot* p : {m_wPlot, m_gPlot}) {
        p->clearPlottables();
        p->legend->setVisible(false);
    }
    const int li = m_layer->currentIndex();
    if (m_history.empty() || li < 0) {
        for (Plot* p : {m_wPlot, m_gPlot})
            replotWhenShown(p);
        return;
    }
    const int n = static_cast<int>(m_history.size());
    for (int h = std::max(0, n - 6); h < n; ++h) {
        const auto& layers = m_history[static_cast<std::size_t>(h)].layers;
        if (li >= static_cast<int>(layers.size())) continue;
        const auto& l = layers[static_cast<std::size_t>(li)];
        const bool latest = h == n - 1;
        for (int which = 0; which < 2; ++which) {
            Plot* p = which == 0 ? m_wPlot : m_gPlot;
            const double lo = which == 0 ? l.wLo : l.gLo, hi = which == 0 ? l.wHi : l.gHi;
            const auto& counts = which == 0 ? l.weights : l.grads;
            const double width = (hi - lo) / kHistogramBins;
            QVector<double> x, y;
            for (int b = 0; b < kHistogramBins; ++b) {
                x << lo + (b + 0.5) * width;
                y << counts[static_cast<std::size_t>(b)];
            }
            if (latest) {
                auto* bars = new QCPBars(p->xAxis, p->yAxis);
                bars->setWidth(width);
                bars->setData(x, y);
                bars->setPen(Qt::NoPen);
                bars->setBrush(QColor(31, 119, 180, 170));
                bars->setName(QString("step %1").arg(m_history.back().step));
            } else {
                QCPGraph* g = p->addGraph();
                g->setPen(p->linePen(QColor(127, 127, 127, 40 + 30 * (h - (n - 6)))));
                g->setData(x, y);
            }
        }
    }
    for (Plot* p : {m_wPlot, m_gPlot}) {
        p->rescaleAxes();
        p->yAxis->setRangeLower(0);
        replotWhenShown(p);
    }
}

void InsightView::selectCell(int truth, int predicted) {
    m_gallery->clear();
    const auto& s = m_snap;
    auto name = [&](int k) { return s.classNames.value(k, QString::number(k)); };
    int shown = 0;
    for (const auto& m : s.mistakes) {
        if (truth >= 0 && (m.truth != truth || m.predicted != predicted)) continue;
        QImage img(s.width, s.height, QImage::Format_RGB32);
        const int plane = s.width * s.height;
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x) {
                const int k = y * s.width + x;
                const int r = m.pixels[static_cast<std::size_t>(k)];
                const int g = s.channels >= 3 ? m.pixels[static_cast<std::size_t>(plane + k)] : r;
                const int b =
                    s.channels >= 3 ? m.pixels[static_cast<std::size_t>(2 * plane + k)] : r;
                img.setPixel(x, y, qRgb(r, g, b));
            }
        auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(img.scaled(
                                             84, 84, Qt::KeepAspectRatio, Qt::FastTransformation))),
                                         QString("#%1 %2→%3\np %4 (true %5)")
                                             .arg(m.index)
                                             .arg(name(m.truth), name(m.predicted))
                                             .arg(m.pPredicted, 0, 'f', 2)
                                             .arg(m.pTruth, 0, 'f', 2),
                                         m_gallery);
        item->setData(Qt::UserRole, m.index);
        ++shown;
    }
    const std::int64_t cell = truth >= 0 ? s.matrix.at(truth, predicted) : s.matrix.total();
    if (truth < 0) {
        m_caption->setText(
            QString("Epoch %1: accuracy %2% on %3 test images. The first %4 mistakes; "
                    "click a cell to see only those.")
                .arg(s.epoch)
                .arg(100 * s.matrix.accuracy(), 0, 'f', 2)
                .arg(s.matrix.total())
                .arg(shown));
    } else if (truth == predicted) {
        m_caption->setText(
            QString("%1 test images of class %2 predicted correctly.").arg(cell).arg(name(truth)));
    } else {
        m_caption->setText(QString("%1 test images of class %2 predicted as %3 (%4 shown).")
                               .arg(cell)
                               .arg(name(truth), name(predicted))
                               .arg(shown));
    }
}

void InsightView::follow(RunController* run) {
    connect(run, &RunController::runStarted, this, &InsightView::clearHistograms);
    connect(run, &RunController::confusion, this, &InsightView::setConfusion);
    connect(run, &RunController::histograms, this, &InsightView::addHistograms);
}

}  // namespace ll::ui
