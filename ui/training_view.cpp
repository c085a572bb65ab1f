#include "ui/training_view.h"

#include <QGridLayout>
#include <cmath>

#include "ui/plot.h"

namespace ll::ui {

namespace {

QCPGraph* addGraph(Plot* p, const QString& name, const QColor& color,
                   QCPAxis* valueAxis = nullptr) {
    QCPGraph* g = valueAxis ? p->addGraph(p->xAxis, valueAxis) : p->addGraph();
    g->setName(name);
    // Thin cosmetic pens take the raster engine's fast path; pens wider than one pixel go through
    // the general stroker, which cost more CPU than the training threads could spare.
    QPen pen(color);
    pen.setWidthF(1.0);
    pen.setCosmetic(true);
    g->setPen(pen);
    g->setAdaptiveSampling(true);
    return g;
}

}  // namespace

TrainingView::TrainingView(QWidget* parent) : QWidget(parent) {
    m_loss = new Plot("Loss", "step (batches)", "loss", this);
    m_accuracy = new Plot("Accuracy", "step (batches)", "accuracy (%)", this);
    m_grads = new Plot("Gradient norm per layer", "step (batches)", "‖∂L/∂θ‖ (log)", this);
    m_grads->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_grads->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(2, 2, 2, 2);
    grid->addWidget(m_loss, 0, 0);
    grid->addWidget(m_accuracy, 0, 1);
    grid->addWidget(m_grads, 1, 0, 1, 2);
    m_redraw = new QTimer(this);
    m_redraw->setInterval(100);
    connect(m_redraw, &QTimer::timeout, this, [this] {
        if (!m_dirty) return;
        m_dirty = false;
        ++m_redraws;
        bool found = false;
        const QCPRange lr = m_loss->graph(3)->data()->valueRange(found);
        if (found) m_loss->yAxis2->setRange(0, std::max(lr.upper * 1.25, 1e-12));
        for (Plot* p : plots())
            p->refresh();
    });
    m_redraw->start();
    reset();
}

void TrainingView::reset() {
    for (Plot* p : plots())
        p->clearGraphs();
    m_overlayGraphs.clear();  // clearGraphs deleted them
    addGraph(m_loss, "training loss (per batch)", QColor(31, 119, 180, 70));
    addGraph(m_loss, "training loss (smoothed)", QColor(31, 119, 180));
    QCPGraph* test = addGraph(m_loss, "test loss", QColor(214, 39, 40));
    test->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    m_loss->yAxis2->setVisible(true);
    m_loss->yAxis2->setLabel("learning rate");
    QCPGraph* lr = addGraph(m_loss, "learning rate", QColor(127, 127, 127), m_loss->yAxis2);
    lr->setLineStyle(QCPGraph::lsStepLeft);
    addGraph(m_accuracy, "training accuracy (smoothed)", QColor(31, 119, 180));
    QCPGraph* testAcc = addGraph(m_accuracy, "test accuracy", QColor(214, 39, 40));
    testAcc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    m_emaLoss = m_emaAcc = m_emaWeight = 0;
    m_normLayers.clear();
    m_normGraphs.clear();
    m_csv = {"step,epoch,batch,loss,accuracy,lr,images_per_s"};
    m_evalCsv.clear();
    for (Plot* p : plots())
        p->resetView();
}

void TrainingView::addBatches(const BatchPoints& points) {
    constexpr double kAlpha = 0.05;  // EMA; divided by (1 − (1−α)^n) so early points are unbiased
    for (const BatchReport& r : points.batches) {
        const double x = static_cast<double>(r.step);
        m_emaWeight = (1 - kAlpha) * m_emaWeight + kAlpha;
        m_emaLoss = (1 - kAlpha) * m_emaLoss + kAlpha * r.loss;
        m_emaAcc = (1 - kAlpha) * m_emaAcc + kAlpha * r.accuracy;
        m_loss->graph(0)->addData(x, r.loss);
        m_loss->graph(1)->addData(x, m_emaLoss / m_emaWeight);
        m_loss->graph(3)->addData(x, r.lr);
        m_accuracy->graph(0)->addData(x, 100.0 * m_emaAcc / m_emaWeight);
        if (m_normLayers.isEmpty() && !r.norms.empty()) {
            int i = 0;
            for (const LayerNorms& n : r.norms) {
                m_normLayers << QString::fromStdString(n.layer);
                m_normGraphs << addGraph(m_grads, QString::fromStdString(n.layer), plotColor(i++));
            }
        }
        for (std::size_t i = 0; i < r.norms.size() && static_cast<int>(i) < m_normGraphs.size();
             ++i) {
            const double g = r.norms[i].gradNorm;
            if (g > 0 && std::isfinite(g)) m_normGraphs[static_cast<int>(i)]->addData(x, g);
        }
        m_csv << QString("%1,%2,%3,%4,%5,%6,%7")
                     .arg(r.step)
                     .arg(r.epoch)
                     .arg(r.batch)
                     .arg(r.loss, 0, 'g', 8)
                     .arg(r.accuracy, 0, 'g', 6)
                     .arg(r.lr, 0, 'g', 6)
                     .arg(r.imagesPerSecond, 0, 'f', 1);
    }
    if (!points.batches.isEmpty()) m_dirty = true;
}

void TrainingView::addEval(const EvalReport& e) {
    const double x = static_cast<double>(e.step);
    m_loss->graph(2)->addData(x, e.loss);
    m_accuracy->graph(1)->addData(x, 100.0 * e.accuracy);
    m_evalCsv << QString("test,%1,%2,%3,%4")
                     .arg(e.step)
                     .arg(e.epoch)
                     .arg(e.loss, 0, 'g', 8)
                     .arg(e.accuracy, 0, 'g', 6);
    m_dirty = true;
}

void TrainingView::setOverlays(const std::vector<RunData>& runs) {
    for (QCPGraph* g : m_overlayGraphs)
        g->parentPlot()->removeGraph(g);
    m_overlayGraphs.clear();
    static const Qt::PenStyle dashes[] = {Qt::DashLine, Qt::DotLine, Qt::DashDotLine,
                                          Qt::DashDotDotLine};
    int i = 2;
    for (const RunData& r : runs) {
        const Qt::PenStyle dash = dashes[(i - 2) % 4];
        const QColor c = plotColor(i++);
        QCPGraph* loss = addGraph(m_loss, QString::fromStdString(r.name) + ": training loss", c);
        QCPGraph* acc = addGraph(m_accuracy, QString::fromStdString(r.name) + ": test accuracy", c);
        for (QCPGraph* g : {loss, acc}) {
            QPen pen = g->pen();
            pen.setStyle(dash);
            g->setPen(pen);
        }
        acc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
        for (const BatchReport& b : r.batches)
            loss->addData(static_cast<double>(b.step), b.loss);
        for (const EvalReport& e : r.evals)
            acc->addData(static_cast<double>(e.step), 100.0 * e.accuracy);
        m_overlayGraphs << loss << acc;
        // Gradient norms: layer k in the colour the live layer k has, one legend entry per run
        // for its dash pattern (an entry per layer and run would cover the plot).
        QList<QCPGraph*> norms;
        QCPGraph* key =
            addGraph(m_grads, QString::fromStdString(r.name) + ": each layer in its colour",
                     QColor(90, 90, 90));
        QPen keyPen = key->pen();
        keyPen.setStyle(dash);
        key->setPen(keyPen);
        m_overlayGraphs << key;
        for (const BatchReport& b : r.batches) {
            for (std::size_t k = 0; k < b.norms.size(); ++k) {
                if (static_cast<int>(k) == norms.size()) {
                    QCPGraph* g =
                        addGraph(m_grads, QString::fromStdString(r.name + ": " + b.norms[k].layer),
                                 plotColor(static_cast<int>(k)));
                    QPen pen = g->pen();
                    pen.setStyle(dash);
                    g->setPen(pen);
                    g->removeFromLegend();
                    norms << g;
                }
                const double v = b.norms[k].gradNorm;
                if (v > 0 && std::isfinite(v))
                    norms[static_cast<int>(k)]->addData(static_cast<double>(b.step), v);
            }
        }
        m_overlayGraphs << norms;
    }
    m_dirty = true;
}

void TrainingView::setRedrawInterval(int ms) {
    m_redraw->setInterval(ms);
}

QString TrainingView::metricsCsv() const {
    QStringList all = m_csv;
    if (!m_evalCsv.isEmpty()) {
        all << ""
            << "kind,step,epoch,test_loss,test_accuracy";
        all << m_evalCsv;
    }
    return all.join('\n') + '\n';
}

}  // namespace ll::ui
