#include "ui/training_view.h"

#include <QGridLayout>
#include <QRegularExpression>
#include <cmath>

#include "ui/plot.h"

namespace ll::ui {

namespace {

// Run names as a legend shows them: without the "-YYYYMMDD-HHMMSS" the window appends, and
// without the prefix all of them share ("random-labels-noise-0.2-2026…" → "noise-0.2").
QStringList shortRunNames(const std::vector<RunData>& runs) {
    static const QRegularExpression stamp("-\\d{8}-\\d{6}(-\\d+)?$");
    QStringList names;
    for (const RunData& r : runs)
        names << QString::fromStdString(r.name).remove(stamp);
    QString prefix = sharedDashPrefix(names);
    if (prefix.isEmpty()) return names;
    // Keep the word a number belongs to: "noise-0.2", not "0.2".
    if (prefix.size() < names[0].size() && names[0][prefix.size()].isDigit())
        prefix = prefix.left(prefix.lastIndexOf('-', -2) + 1);
    for (const QString& n : names)
        if (n.size() == prefix.size()) return names;  // one name is the prefix itself
    for (QString& n : names)
        n = n.mid(prefix.size());
    return names;
}

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
    // Accuracy rises to the top right: its legend goes bottom right, out of the curves' way.
    m_accuracy->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
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
    m_emaLoss = m_emaAcc = Smoothed();
    m_normGraphs.clear();
    m_csv = {"step,epoch,batch,loss,accuracy,lr,images_per_s"};
    m_evalCsv.clear();
    for (Plot* p : plots())
        p->resetView();
}

double Smoothed::add(double x) {
    constexpr double kAlpha = 0.05;
    weight = (1 - kAlpha) * weight + kAlpha;
    sum = (1 - kAlpha) * sum + kAlpha * x;
    return sum / weight;
}

void TrainingView::addBatches(const BatchPoints& points) {
    for (const BatchReport& r : points.batches) {
        const double x = static_cast<double>(r.step);
        m_loss->graph(0)->addData(x, r.loss);
        m_loss->graph(1)->addData(x, m_emaLoss.add(r.loss));
        m_loss->graph(3)->addData(x, r.lr);
        m_accuracy->graph(0)->addData(x, 100.0 * m_emaAcc.add(r.accuracy));
        if (m_normGraphs.isEmpty() && !r.norms.empty()) {
            int i = 0;
            for (const LayerNorms& n : r.norms) {
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
    if (runs.empty()) {
        m_dirty = true;
        return;
    }
    // Run k has overlayColor(k) and overlayDash(k), shown beside it in the Runs list. The loss
    // legend names each run shortly; the other legends get one key (an entry per run and curve
    // covered the plots).
    const QStringList names = shortRunNames(runs);
    auto styled = [](QCPGraph* g, Qt::PenStyle dash) {
        QPen pen = g->pen();
        pen.setStyle(dash);
        g->setPen(pen);
        g->removeFromLegend();
        return g;
    };
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const RunData& r = runs[k];
        const QColor c = overlayColor(static_cast<int>(k));
        const Qt::PenStyle dash = overlayDash(static_cast<int>(k));
        const QString name = QString::fromStdString(r.name);
        QCPGraph* loss =
            styled(addGraph(m_loss, names[static_cast<int>(k)] + " (saved run)", c), dash);
        loss->addToLegend();
        QCPGraph* trainAcc =
            styled(addGraph(m_accuracy, name + ": training accuracy (smoothed)", c), dash);
        QCPGraph* acc = styled(addGraph(m_accuracy, name + ": test accuracy", c), dash);
        acc->setLineStyle(QCPGraph::lsNone);
        acc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
        Smoothed lossEma, accEma;
        for (const BatchReport& b : r.batches) {
            loss->addData(static_cast<double>(b.step), lossEma.add(b.loss));
            trainAcc->addData(static_cast<double>(b.step), 100.0 * accEma.add(b.accuracy));
        }
        for (const EvalReport& e : r.evals)
            acc->addData(static_cast<double>(e.step), 100.0 * e.accuracy);
        m_overlayGraphs << loss << trainAcc << acc;
        // Gradient norms: layer i in the colour the live layer i has, in the run's dash pattern.
        QList<QCPGraph*> norms;
        for (const BatchReport& b : r.batches) {
            for (std::size_t i = 0; i < b.norms.size(); ++i) {
                if (static_cast<int>(i) == norms.size())
                    norms << styled(
                        addGraph(m_grads, QString::fromStdString(r.name + ": " + b.norms[i].layer),
                                 plotColor(static_cast<int>(i))),
                        dash);
                const double v = b.norms[i].gradNorm;
                if (v > 0 && std::isfinite(v))
                    norms[static_cast<int>(i)]->addData(static_cast<double>(b.step), v);
            }
        }
        m_overlayGraphs << norms;
    }
    // The keys: a grey dashed entry in each legend.
    const QString runsKey = QString("saved runs (%1): colour and dash as in the Runs list")
                                .arg(static_cast<int>(runs.size()));
    for (auto [plot, text] : {std::pair<Plot*, QString>{m_accuracy, runsKey + "; o test"},
                              {m_grads, QString("saved runs (%1): each layer in its colour, dash "
                                                "as in the Runs list")
                                            .arg(static_cast<int>(runs.size()))}}) {
        QCPGraph* key = addGraph(plot, text, QColor(110, 110, 110));
        QPen pen = key->pen();
        pen.setStyle(Qt::DashLine);
        key->setPen(pen);
        m_overlayGraphs << key;
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
