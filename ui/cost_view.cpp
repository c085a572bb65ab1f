#include "ui/cost_view.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "core/model_file.h"
#include "ui/item_models.h"
#include "ui/plot.h"

namespace ll::ui {

CostView::CostView(QWidget* parent) : QWidget(parent) {
    m_model = new CostTableModel(this);
    m_sorted = new QSortFilterProxyModel(this);
    m_sorted->setSourceModel(m_model);
    m_sorted->setSortRole(Qt::UserRole);
    m_table = new QTableView;
    m_table->setModel(m_sorted);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(0, Qt::AscendingOrder);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_table->setAlternatingRowColors(true);
    m_convention = new QComboBox;
    for (const char* c : {"course", "macs", "course-nobias", "course+all", "macs+all"})
        m_convention->addItem(c);
    m_convention->setEditable(true);
    m_convention->setToolTip(
        "course: FLOPs = mult + add of conv/linear; macs: multiply-accumulates (PyTorch counters); "
        "-nobias, +pool, +bn, +act, +all");
    m_caption = new QLabel;
    m_caption->setWordWrap(true);
    auto* copyCsv = new QPushButton("Copy CSV");
    auto* copyMd = new QPushButton("Copy Markdown");
    m_chart = new Plot("Parameters and FLOPs per layer", "layer", "count (log)");
    m_chart->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_chart->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    m_chart->setLegendBelow();  // out of the bars' way

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel("Convention:"));
    top->addWidget(m_convention);
    top->addStretch(1);
    top->addWidget(copyCsv);
    top->addWidget(copyMd);
    // Compare designs: the totals of other models beside this one's.
    m_compareWith = new QComboBox;
    for (const std::string& n : presetNames())
        m_compareWith->addItem(QString::fromStdString(n));
    m_compareWith->addItem("Model file…");
    auto* addCompare = new QPushButton("Compare");
    addCompare->setToolTip("Add this design's totals beside the current model's");
    auto* clearCompare = new QPushButton("Clear");
    m_compare = new QTableWidget;
    m_compare->verticalHeader()->hide();
    m_compare->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_compare->hide();
    auto* compareRow = new QHBoxLayout;
    compareRow->addWidget(new QLabel("Compare with:"));
    compareRow->addWidget(m_compareWith);
    compareRow->addWidget(addCompare);
    compareRow->addWidget(clearCompare);
    compareRow->addStretch(1);
    connect(addCompare, &QPushButton::clicked, this, [this] {
        QString model = m_compareWith->currentText();
        if (model == "Model file…") {
            model = QFileDialog::getOpenFileName(this, "Compare with a model file", {},
                                                 "Models (*.json *.onnx);;LayerLens models "
                                                 "(*.json);;ONNX models (*.onnx);;All files (*)");
            if (model.isEmpty()) return;
        }
        const QString error = addComparison(model);
        if (!error.isEmpty())
            m_caption->setText("<span style='color:#b00'>" + error.toHtmlEscaped() + "</span>");
    });
    connect(clearCompare, &QPushButton::clicked, this, &CostView::clearComparison);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_compare);
    split->addWidget(m_table);
    split->addWidget(m_chart);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(2, 2, 2, 2);
    lay->addLayout(top);
    lay->addWidget(m_caption);  // its own row: a long caption wraps instead of widening the tab
    lay->addLayout(compareRow);
    lay->addWidget(split, 1);

    connect(m_convention, &QComboBox::currentTextChanged, this, [this] { recompute(); });
    connect(copyCsv, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(csv()); });
    connect(copyMd, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(markdown()); });
}

void CostView::setModel(const ModelInfo& info) {
    m_net.reset();
    m_json = info.modelJson;
    m_name = info.model.toStdString();
    m_default = info.costs;
    recompute();
}

namespace {
// A shapes-only net of a preset or model file (no weights: constant memory whatever its size).
std::shared_ptr<const Net> readShapes(const std::string& model) {
    return std::make_shared<const Net>(loadModel(model, nullptr, Build::ShapesOnly));
}
}  // namespace

QString CostView::addComparison(const QString& model) {
    if (m_json.empty()) return "load a model first";
    if (m_compared.contains(model) || m_loading.count(model)) return {};
    const QFileInfo file(model);
    const bool slow = file.isFile() && (model.endsWith(".onnx", Qt::CaseInsensitive) ||
                                        file.size() > (std::int64_t{4} << 20));
    if (!slow) {
        try {
            comparisonRead(model, readShapes(model.toStdString()), {});
        } catch (const std::exception& e) {
            return QString::fromStdString(e.what());
        }
        return {};
    }
    m_loading.insert(model);
    m_caption->setText(QString("reading %1 (%2 MB) for the comparison…")
                           .arg(file.fileName())
                           .arg(static_cast<double>(file.size()) / (1 << 20), 0, 'f', 1));
    const int generation = m_generation;
    auto* watcher = new QFutureWatcher<std::pair<std::shared_ptr<const Net>, QString>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, model, generation] {
        const auto [net, error] = watcher->result();
        watcher->deleteLater();
        if (generation != m_generation) return;  // cleared meanwhile
        m_loading.erase(model);
        comparisonRead(model, net, error);
    });
    const std::string path = model.toStdString();
    watcher->setFuture(
        QtConcurrent::run([path]() -> std::pair<std::shared_ptr<const Net>, QString> {
            try {
                return {readShapes(path), QString()};
            } catch (const std::exception& e) {
                return {nullptr, QString::fromStdString(e.what())};
            }
        }));
    return {};
}

void CostView::comparisonRead(const QString& model, std::shared_ptr<const Net> net,
                              const QString& error) {
    if (!net) {
        m_caption->setText(
            "<span style='color:#b00'>" +
            QString("%1: %2").arg(QFileInfo(model).fileName(), error).toHtmlEscaped() + "</span>");
        return;
    }
    m_comparedNets[model] = std::move(net);
    m_compared << model;
    recompute();
}

void CostView::clearComparison() {
    m_compared.clear();
    m_comparedNets.clear();
    m_loading.clear();
    ++m_generation;
    m_compare->hide();
}

void CostView::recomputeComparison(const CostTable& current, const CostConvention& convention) {
    if (m_compared.isEmpty()) {
        m_compare->hide();
        return;
    }
    std::vector<CostTable> tables{current};
    QStringList failed;
    for (const QString& m : m_compared) {
        try {
            tables.push_back(computeCosts(*m_comparedNets.at(m), convention));
        } catch (const std::exception& e) {
            failed << QString("%1: %2").arg(m, e.what());
        }
    }
    const auto cells = costComparisonCells(tables);
    m_compare->clear();
    m_compare->setColumnCount(static_cast<int>(cells[0].size()));
    m_compare->setRowCount(static_cast<int>(cells.size()) - 1);
    QStringList header;
    for (const std::string& h : cells[0])
        header << QString::fromStdString(h);
    m_compare->setHorizontalHeaderLabels(header);
    for (std::size_t r = 1; r < cells.size(); ++r)
        for (std::size_t c = 0; c < cells[r].size(); ++c) {
            auto* item = new QTableWidgetItem(QString::fromStdString(cells[r][c]));
            if (c >= 2) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_compare->setItem(static_cast<int>(r) - 1, static_cast<int>(c), item);
        }
    m_compare->resizeColumnsToContents();
    // As tall as its rows: the per-layer table below keeps the room.
    int h = m_compare->horizontalHeader()->sizeHint().height() + 2 * m_compare->frameWidth() +
            m_compare->horizontalScrollBar()->sizeHint().height();
    for (int r = 0; r < m_compare->rowCount(); ++r)
        h += m_compare->rowHeight(r);
    m_compare->setMaximumHeight(h);
    m_compare->setToolTip(failed.isEmpty() ? QString() : failed.join('\n'));
    m_compare->show();
}

void CostView::setConvention(const QString& name) {
    m_convention->setCurrentText(name);
    recompute();
}

void CostView::selectRow(int costRow) {
    const QModelIndex proxy = m_sorted->mapFromSource(m_model->index(costRow, 0));
    if (!proxy.isValid()) return;
    m_table->selectRow(proxy.row());
    m_table->scrollTo(proxy);
}

int CostView::selectedRow() const {
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : m_sorted->mapToSource(rows.first()).row();
}

QString CostView::csv() const {
    return QString::fromStdString(costTableCsv(m_model->table()));
}

QString CostView::markdown() const {
    return QString::fromStdString(costTableMarkdown(m_model->table()));
}

void CostView::recompute() {
    if (m_json.empty()) return;
    CostConvention conv;
    CostTable t;
    try {
        conv = CostConvention::parse(m_convention->currentText().toStdString());
        if (conv.name() == CostConvention().name() && !m_default.rows.empty()) {
            t = m_default;
        } else {
            if (!m_net)
                m_net = std::make_unique<Net>(buildNet(m_json, nullptr, m_name, Build::ShapesOnly));
            t = computeCosts(*m_net, conv);
        }
    } catch (const std::exception& e) {
        m_caption->setText("<span style='color:#b00'>" + QString(e.what()).toHtmlEscaped() +
                           "</span>");
        return;
    }
    m_model->setTable(t);
    recomputeComparison(t, conv);
    m_table->resizeColumnsToContents();
    m_caption->setText(QString("<b>%1</b>, input %2, one sample. %3.")
                           .arg(QString::fromStdString(t.model), shapeText(t.input),
                                QString::fromStdString(conv.explain())));
    // Bar chart: leaves with parameters or FLOPs.
    m_chart->clearPlottables();
    auto* params = new QCPBars(m_chart->xAxis, m_chart->yAxis);
    auto* flops = new QCPBars(m_chart->xAxis, m_chart->yAxis);
    params->setName("parameters");
    flops->setName(QString("FLOPs (%1)").arg(QString::fromStdString(conv.name())));
    params->setBrush(QColor(31, 119, 180));
    flops->setBrush(QColor(255, 127, 14));
    params->setPen(Qt::NoPen);
    flops->setPen(Qt::NoPen);
    params->setWidth(0.38);
    flops->setWidth(0.38);
    auto* group = new QCPBarsGroup(m_chart);
    group->setSpacing(2);
    params->setBarsGroup(group);
    flops->setBarsGroup(group);
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    int k = 0;
    for (const CostRow& r : t.rows) {
        if (!r.leaf || (r.cost.params() == 0 && r.cost.flops == 0)) continue;
        if (r.cost.params() > 0) params->addData(k, static_cast<double>(r.cost.params()));
        if (r.cost.flops > 0) flops->addData(k, static_cast<double>(r.cost.flops));
        ticker->addTick(k, QString::fromStdString(r.name).section('/', -1));
        ++k;
    }
    m_chart->xAxis->setTicker(ticker);
    m_chart->xAxis->setTickLabelRotation(k > 8 ? 45 : 0);
    m_chart->xAxis->setRange(-0.7, std::max(k, 1) - 0.3);
    m_chart->yAxis->rescale();
    m_chart->yAxis->setRangeLower(0.5);
    m_chart->yAxis->setRangeUpper(m_chart->yAxis->range().upper * 3);
    replotWhenShown(m_chart);
}

}  // namespace ll::ui
