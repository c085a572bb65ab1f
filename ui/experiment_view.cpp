#include "ui/experiment_view.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "core/experiments.h"
#include "ui/plot.h"
#include "ui/run_controller.h"

namespace ll::ui {

ExperimentView::ExperimentView(QWidget* parent) : QWidget(parent) {
    m_title = new QLabel("Run an experiment from the Experiments menu; its summary appears here.");
    m_title->setWordWrap(true);
    m_findings = new QLabel;
    m_findings->setWordWrap(true);
    m_findings->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_findings->hide();
    m_table = new QTableWidget(0, 5);
    m_table->setHorizontalHeaderLabels(
        {"variant", "train acc", "test acc", "test error", "seconds"});
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_chart = new Plot("Experiment summary", "variant", "test error (%)");
    m_norms =
        new Plot("Gradient norm per layer (mean over the last epoch)", "layer", "‖∂L/∂θ‖ (log)");
    m_norms->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_norms->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    // Legends below the axes, out of the bars' and lines' way.
    m_chart->setLegendBelow();
    m_norms->setLegendBelow();
    auto* charts = new QSplitter(Qt::Horizontal);
    charts->addWidget(m_chart);
    charts->addWidget(m_norms);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_table);
    split->addWidget(charts);
    split->setStretchFactor(1, 2);
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(2, 2, 2, 2);
    auto* top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    auto* copy = new QPushButton("Copy Markdown");
    copy->setToolTip("The table and what the runs show, as Markdown for a report");
    top->addWidget(copy, 0, Qt::AlignTop);
    connect(copy, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(markdown()); });
    lay->addLayout(top);
    lay->addWidget(m_findings);
    lay->addWidget(split, 1);
}

void ExperimentView::start(const QString& name, const QString& explanation) {
    m_name = name;
    m_runs.clear();
    m_foldLines.clear();
    showFindings();
    m_title->setText(
        QString("<b>%1</b>: %2").arg(name.toHtmlEscaped(), explanation.toHtmlEscaped()));
    m_table->setRowCount(0);
    m_names.clear();
    m_error.clear();
    m_seconds.clear();
    redraw();
}

void ExperimentView::addResult(const QString& variant, const EpochReport& last, double seconds,
                               const RunData& run) {
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    auto cell = [&](int col, const QString& text) {
        m_table->setItem(row, col, new QTableWidgetItem(text));
    };
    cell(0, variant);
    cell(1, QString("%1%").arg(100 * last.trainAccuracy, 0, 'f', 2));
    cell(2, QString("%1%").arg(100 * last.testAccuracy, 0, 'f', 2));
    cell(3, QString("%1%").arg(100 * (1 - last.testAccuracy), 0, 'f', 2));
    cell(4, QString::number(seconds, 'f', 1));
    m_names << variant;
    m_error << 100 * (1 - last.testAccuracy);
    m_seconds << seconds;
    m_runs.emplace_back(variant.toStdString(), run);
    redraw();
    showFindings();
}

QString ExperimentView::notice(const QString& name, const RunController::ExperimentPlan& plan,
                               std::uint64_t seed) {
    return QString(
               "<b>Experiment %1</b>: %2 %3 runs from the same start (seed %4), each saved "
               "and overlaid when done.%5")
        .arg(name, plan.explain.toHtmlEscaped())
        .arg(plan.runs)
        .arg(seed)
        .arg(plan.epochs > 0 ? QString(" Each trains %1 epochs, what the effect needs (not the "
                                       "panel's epochs).")
                                   .arg(plan.epochs)
                             : QString());
}

void ExperimentView::follow(RunController* run) {
    connect(run, &RunController::variantFinished, this,
            [this, run](const QString& variant, const QString& runDir) {
                RunData saved;
                QString problem;
                try {
                    saved = loadRun(runDir.toStdString());
                } catch (const std::exception& e) {
                    problem = e.what();  // the table row without the norms
                }
                addResult(variant, run->lastEpoch(), run->runSeconds(), saved);
                if (!problem.isEmpty())
                    emit run->message(QString("could not read the run back: %1").arg(problem));
            });
    connect(run, &RunController::foldChecked, this, &ExperimentView::setFoldCheck);
}

void ExperimentView::setFoldCheck(const QString& title, const QStringList& lines,
                                  const QString& error) {
    m_foldLines.clear();
    m_foldLines << title;
    if (!error.isEmpty()) m_foldLines << error;
    m_foldLines << lines;
    showFindings();
}

void ExperimentView::showFindings() {
    QStringList all;
    for (const std::string& f : experimentFindings(m_name.toStdString(), m_runs))
        all << QString::fromStdString(f);
    all << m_foldLines;
    m_findings->setText(all.join('\n'));
    m_findings->setVisible(!all.isEmpty());
}

QString ExperimentView::markdown() const {
    QStringList md;
    md << QString("## Experiment %1").arg(m_name) << "";
    QStringList header, rule;
    for (int c = 0; c < m_table->columnCount(); ++c) {
        header << m_table->horizontalHeaderItem(c)->text();
        rule << (c == 0 ? "---" : "---:");
    }
    md << "| " + header.join(" | ") + " |"
       << "|" + rule.join("|") + "|";
    for (int r = 0; r < m_table->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < m_table->columnCount(); ++c)
            cells << (m_table->item(r, c) ? m_table->item(r, c)->text() : QString());
        md << "| " + cells.join(" | ") + " |";
    }
    const QString f = findingsText();
    if (!f.isEmpty()) {
        md << "";
        for (const QString& line : f.split('\n'))
            md << "- " + line;
    }
    return md.join('\n') + '\n';
}

QString ExperimentView::findingsText() const {
    return m_findings->isHidden() ? QString() : m_findings->text();
}

void ExperimentView::redraw() {
    m_chart->clearPlottables();
    auto* bars = new QCPBars(m_chart->xAxis, m_chart->yAxis);
    bars->setName("test error (%)");
    bars->setBrush(QColor(214, 39, 40, 180));
    bars->setPen(Qt::NoPen);
    bars->setWidth(0.6);
    QCPGraph* time = m_chart->addGraph(m_chart->xAxis, m_chart->yAxis2);
    time->setName("training time (s)");
    time->setPen(QPen(QColor(31, 119, 180), 1));
    time->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    m_chart->yAxis2->setVisible(true);
    m_chart->yAxis2->setLabel("seconds");
    // Tick labels without the prefix all variants share ("noise-0.2" → "0.2", the axis then
    // says "noise"), slanted when there are many.
    const QString prefix = sharedDashPrefix(m_names);
    QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
    QVector<double> x;
    for (int i = 0; i < m_names.size(); ++i) {
        x << i;
        ticks->addTick(i, m_names[i].mid(prefix.size()));
    }
    m_chart->xAxis->setLabel(prefix.isEmpty() ? QString("variant") : prefix.chopped(1));
    m_chart->xAxis->setTickLabelRotation(m_names.size() > 4 ? 30 : 0);
    bars->setData(x, m_error);
    time->setData(x, m_seconds);
    m_chart->xAxis->setTicker(ticks);
    m_chart->xAxis->setRange(-0.6, std::max(1, static_cast<int>(m_names.size())) - 0.4);
    m_chart->yAxis->setRange(0, 100);
    double tmax = 1;
    for (double t : m_seconds)
        tmax = std::max(tmax, t);
    m_chart->yAxis2->setRange(0, tmax * 1.2);
    replotWhenShown(m_chart);

    // One line per variant; a layer has one place on the axis whatever the variant (without
    // batch norm, conv2 stays above conv2), in the order of the variant with most layers.
    m_norms->clearGraphs();
    std::vector<std::vector<LayerNorms>> means;
    std::size_t widest = 0;
    for (const auto& [variant, run] : m_runs) {
        means.push_back(meanLayerNorms(run));
        if (means.back().size() > means[widest].size()) widest = means.size() - 1;
    }
    QStringList names;
    if (!means.empty())
        for (const LayerNorms& n : means[widest])
            names << QString::fromStdString(n.layer);
    for (std::size_t v = 0; v < means.size(); ++v) {
        if (means[v].empty()) continue;
        QCPGraph* g = m_norms->addGraph();
        g->setName(QString::fromStdString(m_runs[v].first));
        g->setPen(QPen(plotColor(static_cast<int>(v)), 1));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
        for (const LayerNorms& n : means[v]) {
            const QString name = QString::fromStdString(n.layer);
            if (!names.contains(name)) names << name;
            if (n.gradNorm > 0) g->addData(names.indexOf(name), n.gradNorm);
        }
    }
    QSharedPointer<QCPAxisTickerText> layers(new QCPAxisTickerText);
    for (int k = 0; k < names.size(); ++k)
        layers->addTick(k, names[k]);
    const int width = static_cast<int>(names.size());
    m_norms->xAxis->setTicker(layers);
    m_norms->xAxis->setRange(-0.5, std::max(width, 1) - 0.5);
    m_norms->rescaleAxes(true);
    m_norms->xAxis->setRange(-0.5, std::max(width, 1) - 0.5);
    const QCPRange y = m_norms->yAxis->range();  // room around the extreme points (log scale)
    if (y.lower > 0) m_norms->yAxis->setRange(y.lower / 2, y.upper * 2);
    replotWhenShown(m_norms);
}

}  // namespace ll::ui
