#include "ui/training_view.h"

#include <QGridLayout>
#include <QRegularExpression>
#include <cmath>
#include <limits>
#include <utility>

#include "ui/plot.h"
#include "ui/run_controller.h"

namespace ll::ui {

namespace {

// Points a live curve keeps (LiveSeries): min/max pairs at about three per pixel of a full-screen
// plot.
constexpr int kPoints = 8192;

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
    // Thin cosmetic pens take the raster engine's fast path; pens wider than one logical pixel go
    // through the general stroker, which cost more CPU than the training threads could spare.
    g->setPen(p->linePen(color));
    g->setAdaptiveSampling(true);
    return g;
}

// Noisy per-batch curves are drawn without antialiasing: a third less work per frame, and no
// visible difference in a band of noise.
QCPGraph* aliased(QCPGraph* g) {
    g->setAntialiased(false);
    return g;
}

}  // namespace

TrainingView::TrainingView(QWidget* parent) : QWidget(parent) {
    m_loss = new Plot("Loss", "step (batches)", "loss", this);
    m_accuracy = new Plot("Accuracy", "step (batches)", "accuracy (%)", this);
    m_grads = new Plot("Gradient norm per layer", "step (batches)", "‖∂L/∂θ‖ (log)", this);
    // Legends below the axes: inside, they covered curves (and ran past small plots).
    for (Plot* p : {m_loss, m_accuracy, m_grads})
        p->setLegendBelow();
    // A loss is never negative, an accuracy is a percentage: the axes start at 0 (and reach 100).
    m_loss->setValueLimits(0, std::numeric_limits<double>::quiet_NaN());
    m_accuracy->setValueLimits(0, 100);
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
        bool layout = std::exchange(m_layoutChanged, false);
        const QCPRange lr(0, std::max(m_lrMax * 1.25, 1e-12));
        const bool lrMoved = m_loss->yAxis2->range() != lr;
        if (lrMoved) m_loss->yAxis2->setRange(lr);
        QList<LiveSeries*> series[3] = {{&m_lossRaw, &m_lossSmoothed, &m_lr}, {&m_accSmoothed}, {}};
        for (LiveSeries& n : m_norms)
            series[2] << &n;
        const QList<Plot*> all = plots();
        for (int i = 0; i < all.size(); ++i) {
            Bounds b = m_live[i];
            b.add(m_overlay[i]);
            // Test-set markers come with a full replot of the loss and accuracy plots.
            const bool full = layout || (m_evalAdded && i < 2) || (i == 0 && lrMoved);
            all[i]->refreshLive(b, full, series[i]);
        }
        m_evalAdded = false;
    });
    m_redraw->start();
    reset();
}

void TrainingView::reset() {
    for (Plot* p : plots())
        p->clearGraphs();
    m_overlayGraphs.clear();  // clearGraphs deleted them
    m_lossRaw = LiveSeries(
        aliased(addGraph(m_loss, "training loss (per batch)", QColor(31, 119, 180, 70))), kPoints);
    m_lossSmoothed =
        LiveSeries(addGraph(m_loss, "training loss (smoothed)", QColor(31, 119, 180)), kPoints);
    QCPGraph* test = addGraph(m_loss, "test loss", QColor(214, 39, 40));
    test->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    m_loss->yAxis2->setVisible(true);
    m_loss->yAxis2->setLabel("learning rate");
    QCPGraph* lr = addGraph(m_loss, "learning rate", QColor(127, 127, 127), m_loss->yAxis2);
    lr->setLineStyle(QCPGraph::lsStepLeft);
    m_lr = LiveSeries(lr, kPoints);
    m_accSmoothed = LiveSeries(
        addGraph(m_accuracy, "training accuracy (smoothed)", QColor(31, 119, 180)), kPoints);
    QCPGraph* testAcc = addGraph(m_accuracy, "test accuracy", QColor(214, 39, 40));
    testAcc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    m_emaLoss = m_emaAcc = Smoothed();
    m_norms.clear();
    for (Bounds& b : m_live)
        b = Bounds();
    for (Bounds& b : m_overlay)
        b = Bounds();
    m_lrMax = 0;
    m_layoutChanged = true;
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
        const double smoothedLoss = m_emaLoss.add(r.loss);
        const double smoothedAcc = 100.0 * m_emaAcc.add(r.accuracy);
        m_lossRaw.add(x, r.loss);
        m_lossSmoothed.add(x, smoothedLoss);
        m_lr.add(x, r.lr);
        m_accSmoothed.add(x, smoothedAcc);
        m_live[0].add(x, r.loss);
        m_live[1].add(x, smoothedAcc);
        // The step axis reaches to the end of the epoch: it moves once per epoch.
        const double epochEnd = static_cast<double>(r.step - r.batch + r.batchesPerEpoch);
        for (Bounds& b : m_live)
            b.reserve(epochEnd);
        if (std::isfinite(r.lr)) m_lrMax = std::max(m_lrMax, static_cast<double>(r.lr));
        if (m_norms.isEmpty() && !r.norms.empty()) {
            // The more layers, the fewer points each keeps: a frame's work stays bounded.
            const int kept = std::max(1024, kPoints * 2 / static_cast<int>(r.norms.size()));
            int i = 0;
            for (const LayerNorms& n : r.norms)
                m_norms << LiveSeries(
                    aliased(addGraph(m_grads, QString::fromStdString(n.layer), plotColor(i++))),
                    kept);
            m_layoutChanged = true;
        }
        for (std::size_t i = 0; i < r.norms.size() && static_cast<int>(i) < m_norms.size(); ++i) {
            const double g = r.norms[i].gradNorm;
            if (g > 0 && std::isfinite(g)) {
                m_norms[static_cast<int>(i)].add(x, g);
                m_live[2].add(x, g);
            }
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
    m_live[0].add(x, e.loss);
    m_live[1].add(x, 100.0 * e.accuracy);
    m_evalAdded = true;  // markers, drawn by a full replot
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
    for (Bounds& b : m_overlay)
        b = Bounds();
    m_layoutChanged = m_dirty = true;
    if (runs.empty()) return;
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
            styled(addGraph(m_loss,
                            names[static_cast<int>(k)] +
                                (r.kind == "layerlens"
                                     ? QString(" (saved run)")
                                     : QString(" (%1 log)").arg(QString::fromStdString(r.kind))),
                            c),
                   dash);
        loss->addToLegend();
        QCPGraph* trainAcc =
            styled(addGraph(m_accuracy, name + ": training accuracy (smoothed)", c), dash);
        QCPGraph* acc = styled(addGraph(m_accuracy, name + ": test accuracy", c), dash);
        acc->setLineStyle(QCPGraph::lsNone);
        acc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
        Smoothed lossEma, accEma;
        LiveSeries lossSeries(loss, kPoints), accSeries(trainAcc, kPoints);
        for (const BatchReport& b : r.batches) {
            const double x = static_cast<double>(b.step);
            // Another tool's log may have a step with a loss but no accuracy (or the other way,
            // NaN here): the smoothing skips what is missing rather than turning NaN for good.
            if (std::isfinite(b.loss)) {
                const double l = lossEma.add(b.loss);
                lossSeries.add(x, l);
                m_overlay[0].add(x, l);
            }
            if (std::isfinite(b.accuracy)) {
                const double a = 100.0 * accEma.add(b.accuracy);
                accSeries.add(x, a);
                m_overlay[1].add(x, a);
            }
        }
        for (const EvalReport& e : r.evals) {
            acc->addData(static_cast<double>(e.step), 100.0 * e.accuracy);
            m_overlay[1].add(static_cast<double>(e.step), 100.0 * e.accuracy);
        }
        m_overlayGraphs << loss << trainAcc << acc;
        // Gradient norms: layer i in the colour the live layer i has, in the run's dash pattern.
        QList<LiveSeries> norms;
        for (const BatchReport& b : r.batches) {
            for (std::size_t i = 0; i < b.norms.size(); ++i) {
                if (static_cast<int>(i) == norms.size()) {
                    QCPGraph* g = styled(
                        addGraph(m_grads, QString::fromStdString(r.name + ": " + b.norms[i].layer),
                                 plotColor(static_cast<int>(i))),
                        dash);
                    norms << LiveSeries(g, 1024);
                    m_overlayGraphs << g;
                }
                const double v = b.norms[i].gradNorm;
                if (v > 0 && std::isfinite(v)) {
                    norms[static_cast<int>(i)].add(static_cast<double>(b.step), v);
                    m_overlay[2].add(static_cast<double>(b.step), v);
                }
            }
        }
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

void TrainingView::follow(RunController* run) {
    connect(run, &RunController::runStarted, this, &TrainingView::reset);
    connect(run, &RunController::batches, this, &TrainingView::addBatches);
    connect(run, &RunController::evaluated, this, &TrainingView::addEval);
}

}  // namespace ll::ui
