#include "ui/experiment_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "ui/plot.h"

namespace ll::ui {

ExperimentView::ExperimentView(QWidget* parent) : QWidget(parent) {
    m_title = new QLabel("Run an experiment from the Experiments menu; its summary appears here.");
    m_title->setWordWrap(true);
    m_table = new QTableWidget(0, 5);
    m_table->setHorizontalHeaderLabels(
        {"variant", "train acc", "test acc", "test error", "seconds"});
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_chart = new Plot("Experiment summary", "variant", "test error (%)");
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_table);
    split->addWidget(m_chart);
    split->setStretchFactor(1, 2);
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(2, 2, 2, 2);
    lay->addWidget(m_title);
    lay->addWidget(split, 1);
}

void ExperimentView::start(const QString& name, const QString& explanation) {
    m_title->setText(
        QString("<b>%1</b>: %2").arg(name.toHtmlEscaped(), explanation.toHtmlEscaped()));
    m_table->setRowCount(0);
    m_names.clear();
    m_error.clear();
    m_seconds.clear();
    redraw();
}

void ExperimentView::addResult(const QString& variant, const EpochReport& last, double seconds) {
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
    redraw();
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
    QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
    QVector<double> x;
    for (int i = 0; i < m_names.size(); ++i) {
        x << i;
        ticks->addTick(i, m_names[i]);
    }
    bars->setData(x, m_error);
    time->setData(x, m_seconds);
    m_chart->xAxis->setTicker(ticks);
    m_chart->xAxis->setRange(-0.6, std::max(1, static_cast<int>(m_names.size())) - 0.4);
    m_chart->yAxis->setRange(0, 100);
    double tmax = 1;
    for (double t : m_seconds)
        tmax = std::max(tmax, t);
    m_chart->yAxis2->setRange(0, tmax * 1.2);
    m_chart->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace ll::ui
