#include "ui/unit_view.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <utility>

#include "ui/plot.h"
#include "ui/plot_export.h"

namespace ll::ui {

namespace {

constexpr int kLabelWidth = 44;
constexpr int kGap = 4;
constexpr int kCaption = 16;
constexpr int kTileTarget = 56;  // pixels a tile's side aims at

QImage toQImage(const RgbImage& rgb) {
    if (rgb.pixels.empty()) return {};
    return QImage(rgb.pixels.data(), rgb.width, rgb.height, rgb.width * 3, QImage::Format_RGB888)
        .copy();
}

QString number(double v) {
    return QString::number(v, 'g', 4);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

UnitGrid::UnitGrid(QWidget* parent) : QWidget(parent) {
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
}

void UnitGrid::setRows(std::vector<Row> rows, int tileSize, int columns, const QString& empty) {
    m_rows = std::move(rows);
    m_tile = std::max(8, tileSize);
    m_columns = std::max(1, columns);
    m_empty = empty;
    if (m_selected >= rowCount()) m_selected = -1;
    updateGeometry();
    resize(sizeHint());
    update();
}

void UnitGrid::setSelected(int row) {
    m_selected = row;
    update();
}

int UnitGrid::rowHeight() const {
    return m_tile + kCaption + kGap;
}

QSize UnitGrid::sizeHint() const {
    if (m_rows.empty()) return {420, 60};
    const int width = kLabelWidth + m_tile + 3 * kGap + m_columns * (m_tile + kGap) + 8;
    return {width, kGap + rowCount() * rowHeight()};
}

void UnitGrid::paintEvent(QPaintEvent*) {
    QPainter p(this);
    if (m_rows.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
                   m_empty);
        return;
    }
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
    // The optimized input first (always in view), then the top-k, best first.
    const int optimizedX = kLabelWidth;
    const int tilesX = kLabelWidth + m_tile + 3 * kGap;
    for (int r = 0; r < rowCount(); ++r) {
        const Row& row = m_rows[static_cast<std::size_t>(r)];
        const int y = kGap + r * rowHeight();
        if (r == m_selected)
            p.fillRect(QRect(0, y - kGap / 2, width(), rowHeight()),
                       palette().color(QPalette::AlternateBase));
        p.setPen(palette().color(QPalette::Text));
        p.setFont(font());
        p.drawText(QRect(4, y, kLabelWidth - 8, m_tile), Qt::AlignVCenter | Qt::AlignLeft,
                   row.label);
        p.setFont(small);
        for (std::size_t t = 0; t < row.tiles.size(); ++t) {
            const int x = tilesX + static_cast<int>(t) * (m_tile + kGap);
            p.drawImage(QRect(x, y, m_tile, m_tile), row.tiles[t]);
            if (static_cast<int>(t) < row.captions.size())
                p.drawText(QRect(x - 2, y + m_tile, m_tile + 4, kCaption), Qt::AlignCenter,
                           row.captions[static_cast<int>(t)]);
        }
        if (!row.optimized.isNull()) {
            p.setPen(QPen(QColor(0xd6, 0x27, 0x28), 1));
            p.drawRect(QRect(optimizedX - 1, y - 1, m_tile + 1, m_tile + 1));
            p.drawImage(QRect(optimizedX, y, m_tile, m_tile), row.optimized);
            p.setPen(palette().color(QPalette::Text));
            p.drawText(QRect(optimizedX - 4, y + m_tile, m_tile + 2 * kGap + 4, kCaption),
                       Qt::AlignCenter, row.optimizedCaption);
        }
    }
}

void UnitGrid::mousePressEvent(QMouseEvent* e) {
    const int r = (static_cast<int>(e->position().y()) - kGap / 2) / rowHeight();
    if (r >= 0 && r < rowCount()) {
        setSelected(r);
        emit rowClicked(r);
    }
}

// ---------------------------------------------------------------------------------------------

// What a task shares with the view: read by the view's timer, written by the task.
struct UnitView::TaskState {
    std::atomic<bool> cancel{false};
    std::atomic<int> done{0}, total{0};
    std::mutex m;
    std::shared_ptr<TopKResult> topK;  // top-k: the result, at the end
    QString key, weights;              // top-k: its cache key and its weights' name
    std::shared_ptr<const DataPair> data;
    // Maximization, under m: the channel going, its new curve points, its latest image, and
    // the channels finished since the last read.
    int channel = -1;
    bool newChannel = false;
    std::vector<float> points;
    Tensor image;
    bool imageNew = false;
    std::vector<std::pair<int, MaximizeResult>> finished;
    // The best test image of each channel under the maximized objective (first, before the
    // ascents), for the ratios.
    std::vector<TopExample> best;
    bool bestNew = false;
};

UnitView::UnitView(QWidget* parent) : QWidget(parent) {
    m_layerBox = new QComboBox;
    m_layerBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_layerBox->setMinimumContentsLength(14);
    m_reduce = new QComboBox;
    m_reduce->addItems({"max", "mean", "centre unit"});
    m_reduce->setToolTip("A channel's number for an image: how its map is reduced to one value");
    m_k = new QSpinBox;
    m_k->setRange(1, 64);
    m_k->setValue(9);
    m_k->setPrefix("top ");
    m_subset = new QSpinBox;
    m_subset->setRange(0, 1 << 30);
    m_subset->setSingleStep(1000);
    m_subset->setSpecialValueText("all images");
    m_subset->setPrefix("first ");
    m_subset->setToolTip("The test images looked at: all, or the first N");
    m_find = new QPushButton("Find top-k");
    m_find->setToolTip(
        "One pass over the test images (off the window's thread); cached for "
        "these weights");
    m_cancel = new QPushButton("Cancel");
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setMaximumWidth(140);
    auto* copyMd = new QPushButton("Copy Markdown");
    auto* exportGrid = new QPushButton("Export…");
    exportGrid->setToolTip("The grid as PNG, SVG or PDF (right-click the curve to export it)");

    // Two rows, so the tab fits a 1024-pixel-wide window beside the Setup dock.
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel("Layer"));
    bar->addWidget(m_layerBox, 1);
    bar->addWidget(new QLabel("channel's"));
    bar->addWidget(m_reduce);
    bar->addWidget(m_k);
    auto* bar2 = new QHBoxLayout;
    bar2->addWidget(m_subset);
    bar2->addWidget(m_find);
    bar2->addWidget(m_cancel);
    bar2->addWidget(m_progress);
    bar2->addStretch(1);

    m_status = new QLabel(
        "Pick a layer and press Find top-k: the test images that excite each channel most, the "
        "patch under the receptive field of the strongest position lit. Maximize makes an input "
        "that excites a channel.");
    m_status->setWordWrap(true);
    m_status->setMinimumWidth(200);
    m_grid = new UnitGrid;
    m_scroll = new QScrollArea;
    m_scroll->setWidget(m_grid);
    m_scroll->setWidgetResizable(false);

    // Activation maximization: parameters, the live image, the curve.
    m_channel = new QSpinBox;
    m_objective = new QComboBox;
    m_objective->addItems({"max", "mean", "centre unit"});
    m_objective->setToolTip(
        "What is maximized: the channel's largest value over the positions, "
        "their mean, or the centre unit");
    m_objective->setCurrentIndex(1);
    const MaximizeOptions defaults;
    m_steps = new QSpinBox;
    m_steps->setRange(1, 100000);
    m_steps->setValue(defaults.steps);
    auto dbl = [](double lo, double hi, double v, int decimals, double step) {
        auto* b = new QDoubleSpinBox;
        b->setRange(lo, hi);
        b->setDecimals(decimals);
        b->setSingleStep(step);
        b->setValue(v);
        return b;
    };
    m_stepSize = dbl(0.0001, 1, defaults.stepSize, 4, 0.005);
    m_decay = dbl(0, 0.99, defaults.l2Decay, 4, 0.005);
    m_blurEvery = new QSpinBox;
    m_blurEvery->setRange(0, 1000);
    m_blurEvery->setValue(defaults.blurEvery);
    m_blurEvery->setSpecialValueText("never");
    m_blurSigma = dbl(0, 10, defaults.blurSigma, 2, 0.1);
    m_normPct = dbl(0, 100, defaults.normPercentile, 1, 5);
    m_contribPct = dbl(0, 100, defaults.contributionPercentile, 1, 5);
    m_jitter = new QSpinBox;
    m_jitter->setRange(0, 32);
    m_jitter->setValue(defaults.jitter);
    m_start = new QSpinBox;
    m_start->setRange(-1, 1 << 30);
    m_start->setValue(-1);
    m_start->setSpecialValueText("noise");
    m_maximize = new QPushButton("Maximize");
    m_maximizeAll = new QPushButton("All channels");
    m_maximizeAll->setToolTip("Maximize every channel in turn; each lands beside its top-k");
    auto* form = new QGridLayout;
    const std::vector<std::pair<QString, QWidget*>> fields = {
        {"Channel", m_channel},      {"Objective", m_objective},
        {"Steps", m_steps},          {"Step |Δx|", m_stepSize},
        {"L2 decay", m_decay},       {"Jitter", m_jitter},
        {"Blur every", m_blurEvery}, {"Blur σ", m_blurSigma},
        {"Clip norm %", m_normPct},  {"Clip contrib. %", m_contribPct},
        {"Start", m_start}};
    for (std::size_t f = 0; f < fields.size(); ++f) {
        form->addWidget(new QLabel(fields[f].first), static_cast<int>(f), 0);
        form->addWidget(fields[f].second, static_cast<int>(f), 1);
    }
    m_stepSize->setToolTip("Mean absolute pixel change per step (pixels in [0, 1])");
    m_decay->setToolTip("x ← mean + (1 − decay)(x − mean) after each step");
    m_normPct->setToolTip("Pixels whose norm is at most this percentile go back to the mean pixel");
    m_contribPct->setToolTip(
        "Pixels whose contribution |Σ (x − mean)·∂a/∂x| is at most this percentile go back to "
        "the mean pixel");
    m_jitter->setToolTip("Each step sees the image shifted by up to this many pixels");
    m_start->setToolTip("Start from noise around the mean pixel, or from this test image");
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_maximize);
    buttons->addWidget(m_maximizeAll);
    m_live = new QLabel;
    m_live->setFixedSize(140, 140);
    m_live->setAlignment(Qt::AlignCenter);
    m_live->setFrameShape(QFrame::StyledPanel);
    m_liveCaption = new QLabel("The optimized input appears here as it evolves.");
    m_liveCaption->setWordWrap(true);
    m_liveCaption->setMaximumWidth(260);
    m_plot = new Plot("Activation during the ascent", "step", "activation");
    m_plot->setMinimumHeight(150);
    m_plot->addGraph();
    m_plot->graph(0)->setName("optimized input");
    m_plot->graph(0)->setPen(m_plot->linePen(plotColor(0)));
    m_plot->addGraph();
    m_plot->graph(1)->setName("best test image");
    QPen dashed = m_plot->linePen(plotColor(1));
    dashed.setStyle(Qt::DashLine);
    m_plot->graph(1)->setPen(dashed);
    m_plot->setLegendBelow();

    auto* maxBox = new QGroupBox("Activation maximization (Yosinski et al. 2015)");
    auto* mv = new QVBoxLayout(maxBox);
    mv->setContentsMargins(6, 6, 6, 6);
    mv->addLayout(buttons);  // first: in view however the panel scrolls
    mv->addLayout(form);
    auto* liveRow = new QHBoxLayout;
    liveRow->addWidget(m_live);
    liveRow->addWidget(m_liveCaption, 1);
    mv->addLayout(liveRow);
    mv->addWidget(m_plot, 1);

    auto* split = new QSplitter(Qt::Horizontal);
    auto* left = new QWidget;
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    lv->addWidget(m_status);
    lv->addWidget(m_scroll, 1);
    auto* exports = new QHBoxLayout;
    exports->addStretch(1);
    exports->addWidget(copyMd);
    exports->addWidget(exportGrid);
    lv->addLayout(exports);
    split->addWidget(left);
    auto* maxScroll = new QScrollArea;  // never taller than the window allows
    maxScroll->setWidget(maxBox);
    maxScroll->setWidgetResizable(true);
    maxScroll->setFrameShape(QFrame::NoFrame);
    maxScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // As wide as the parameters need (the splitter must not squeeze the buttons out of sight).
    maxScroll->setMinimumWidth(maxBox->minimumSizeHint().width() +
                               maxScroll->verticalScrollBar()->sizeHint().width() + 4);
    split->addWidget(maxScroll);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto* v = new QVBoxLayout(this);
    v->addLayout(bar);
    v->addLayout(bar2);
    v->addWidget(split, 1);

    m_topWatcher = new QFutureWatcher<QString>(this);
    m_maxWatcher = new QFutureWatcher<QString>(this);
    m_timer = new QTimer(this);
    m_timer->setInterval(50);
    connect(m_timer, &QTimer::timeout, this, &UnitView::poll);

    connect(m_layerBox, qOverload<int>(&QComboBox::activated), this,
            [this](int i) { setLayer(m_layerBox->itemData(i).toInt()); });
    connect(m_reduce, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        const auto it = m_cache.find(cacheKey());
        m_shown = it != m_cache.end() ? it->second : Shown{};
        rebuildGrid();
    });
    connect(m_k, qOverload<int>(&QSpinBox::valueChanged), this, [this] {
        const auto it = m_cache.find(cacheKey());
        m_shown = it != m_cache.end() ? it->second : Shown{};
        rebuildGrid();
    });
    connect(m_objective, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        rebuildGrid();
        showCurve();
    });
    connect(m_find, &QPushButton::clicked, this, &UnitView::findTopK);
    connect(m_cancel, &QPushButton::clicked, this, &UnitView::cancel);
    connect(m_maximize, &QPushButton::clicked, this, [this] { maximize(m_channel->value()); });
    connect(m_maximizeAll, &QPushButton::clicked, this, [this] { maximize(-1); });
    connect(m_grid, &UnitGrid::rowClicked, this, [this](int r) { m_channel->setValue(r); });
    connect(copyMd, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(markdown()); });
    connect(exportGrid, &QPushButton::clicked, this, [this] {
        const QString name = m_layer >= 0 && m_layer < m_info.layerNames.size()
                                 ? m_info.layerNames[m_layer]
                                 : QString("layer");
        exportWidgetInteractively(m_grid, this, "units-" + name);
    });
    connect(m_topWatcher, &QFutureWatcherBase::finished, this, [this] {
        const QString error = m_topWatcher->result();
        const std::shared_ptr<TaskState> st = m_topTask;
        m_topTask.reset();
        std::shared_ptr<TopKResult> result;
        if (st) {
            std::lock_guard<std::mutex> lock(st->m);
            result = st->topK;
        }
        if (!error.isEmpty()) {
            m_status->setText("<span style='color:#b00'>" + error.toHtmlEscaped() + "</span>");
        } else if (result) {
            Shown s{result, st->data, st->weights};
            if (!result->cancelled) m_cache[st->key] = s;
            if (st->key == cacheKey()) m_shown = s;  // still what the view asks for
            m_status->setText(
                QString("%1 of %2 test images%3, %4. Each row: the optimized input (red; its "
                        "activation and × the best test image's under the objective), then the "
                        "top-k by the channel's %5. Click a row to pick its channel.")
                    .arg(result->samplesSeen)
                    .arg(result->samplesTotal)
                    .arg(result->cancelled ? " (cancelled)" : "")
                    .arg(st->weights)
                    .arg(QString::fromStdString(describe(result->unit))));
            rebuildGrid();
        }
        updateButtons();
        emit topKShown();
    });
    connect(m_maxWatcher, &QFutureWatcherBase::finished, this, [this] {
        poll();
        const QString error = m_maxWatcher->result();
        m_maxTask.reset();
        if (!error.isEmpty())
            m_status->setText("<span style='color:#b00'>" + error.toHtmlEscaped() + "</span>");
        updateButtons();
        emit maximizeFinished();
    });
    updateButtons();
}

UnitView::~UnitView() {
    cancel();
    m_topWatcher->waitForFinished();
    m_maxWatcher->waitForFinished();
}

void UnitView::setModel(const ModelInfo& info) {
    cancel();
    m_info = info;
    m_cache.clear();
    m_shown = {};
    m_max.clear();
    m_best.clear();
    m_maxFor.clear();
    m_curveValues.clear();
    m_haveCopy = false;
    m_layerBox->clear();
    for (int i = 0; i < info.layerNames.size(); ++i) {
        const int rank = info.layerShapes[i].rank();
        if (rank < 1 || rank > 3) continue;  // nothing per channel to look at
        m_layerBox->addItem(QString("%1  %2  %3")
                                .arg(info.layerNames[i], info.layerTypes[i],
                                     QString::fromStdString(info.layerShapes[i].str())),
                            i);
    }
    m_layer = -1;
    if (m_layerBox->count()) setLayer(m_layerBox->itemData(0).toInt());
    showCurve();
    updateButtons();
}

void UnitView::setLayer(int node) {
    const int row = m_layerBox->findData(node);
    if (row < 0) return;
    m_layerBox->setCurrentIndex(row);
    if (node == m_layer) return;
    m_layer = node;
    const OutputLayout l = outputLayout(m_info.layerShapes[node]);
    m_channel->setRange(0, l.channels - 1);
    const auto it = m_cache.find(cacheKey());
    m_shown = it != m_cache.end() ? it->second : Shown{};
    m_curveValues.clear();
    m_curveChannel = -1;
    rebuildGrid();
    showCurve();
}

QString UnitView::cacheKey() const {
    const UnitSpec s = topKSpec();
    return QString("%1|%2|%3|%4|%5")
        .arg(m_copy.key)
        .arg(m_layer)
        .arg(QString::fromStdString(describe(s)))
        .arg(m_k->value())
        .arg(m_subset->value());
}

QString UnitView::maxKey() const {
    return QString("%1|%2|%3|%4")
        .arg(m_copy.key)
        .arg(m_layer)
        .arg(QString::fromStdString(describe(objectiveSpec())))
        .arg(m_subset->value());
}

double UnitView::bestFor(int channel) const {
    if (m_maxFor == maxKey() && channel >= 0 && channel < static_cast<int>(m_best.size()))
        return m_best[static_cast<std::size_t>(channel)].activation;
    const TopKResult* r = m_shown.result.get();
    if (r && r->node == m_layer && m_reduce->currentIndex() == m_objective->currentIndex() &&
        channel >= 0 && channel < static_cast<int>(r->channels.size()) &&
        !r->channels[static_cast<std::size_t>(channel)].empty())
        return r->channels[static_cast<std::size_t>(channel)][0].activation;
    return std::nan("");
}

namespace {
UnitSpec specOf(int index, const Shape& sample) {
    UnitSpec s;
    s.reduce = index == 0 ? UnitReduce::Max : index == 1 ? UnitReduce::Mean : UnitReduce::Unit;
    if (s.reduce == UnitReduce::Unit) {
        const OutputLayout l = outputLayout(sample);
        s.row = l.height / 2;
        s.col = l.width / 2;
    }
    return s;
}
}  // namespace

UnitSpec UnitView::topKSpec() const {
    if (m_layer < 0) return {};
    return specOf(m_reduce->currentIndex(), m_info.layerShapes[m_layer]);
}

UnitSpec UnitView::objectiveSpec() const {
    if (m_layer < 0) return {};
    return specOf(m_objective->currentIndex(), m_info.layerShapes[m_layer]);
}

MaximizeOptions UnitView::maximizeOptions() const {
    MaximizeOptions o;
    o.steps = m_steps->value();
    o.stepSize = static_cast<float>(m_stepSize->value());
    o.l2Decay = static_cast<float>(m_decay->value());
    o.blurEvery = m_blurEvery->value();
    o.blurSigma = static_cast<float>(m_blurSigma->value());
    o.normPercentile = static_cast<float>(m_normPct->value());
    o.contributionPercentile = static_cast<float>(m_contribPct->value());
    o.jitter = m_jitter->value();
    return o;
}

bool UnitView::busy() const {
    return m_topTask || m_maxTask || m_pending != Pending::None;
}

void UnitView::findTopK() {
    if (m_layer < 0 || m_topTask) return;
    m_pending = Pending::TopK;
    m_status->setText("taking a copy of the net…");
    updateButtons();
    emit netCopyRequested();
}

void UnitView::maximize(int channel) {
    if (m_layer < 0 || m_maxTask) return;
    m_pending = Pending::Maximize;
    m_pendingChannel = channel;
    m_curveValues.clear();  // the curve starts again with this ascent
    showCurve();
    updateButtons();
    emit netCopyRequested();
}

void UnitView::setNetCopy(const NetCopy& copy) {
    if (!copy.error.isEmpty() || !copy.net) {
        if (m_pending == Pending::None) return;  // not asked for by this view
        m_pending = Pending::None;
        m_status->setText(
            "<span style='color:#b00'>" +
            (copy.error.isEmpty() ? QString("no model") : copy.error).toHtmlEscaped() + "</span>");
        updateButtons();
        return;
    }
    m_copy = copy;
    m_haveCopy = true;
    const Pending what = std::exchange(m_pending, Pending::None);
    if (what == Pending::TopK) startTopK();
    if (what == Pending::Maximize) startMaximize();
    updateButtons();
}

void UnitView::cancel() {
    m_pending = Pending::None;
    if (m_topTask) m_topTask->cancel = true;
    if (m_maxTask) m_maxTask->cancel = true;
    updateButtons();
}

void UnitView::startTopK() {
    const auto it = m_cache.find(cacheKey());
    if (it != m_cache.end()) {  // these weights, this layer and settings: done before
        m_shown = it->second;
        m_status->setText(QString("from the cache: %1").arg(m_shown.weights));
        rebuildGrid();
        emit topKShown();
        return;
    }
    auto st = std::make_shared<TaskState>();
    st->key = cacheKey();
    st->weights = m_copy.weights;
    st->data = m_copy.data;
    m_topTask = st;
    TopKOptions o;
    o.k = m_k->value();
    o.limit = m_subset->value();
    o.unit = topKSpec();
    const int node = m_layer;
    std::shared_ptr<Net> net = m_copy.net;
    std::shared_ptr<const DataPair> pair = m_copy.data;
    const BatchOptions batch = m_copy.batch;
    m_copy.net.reset();  // the task owns it now
    m_status->setText(QString("finding the top-%1 of %2 (%3)…")
                          .arg(o.k)
                          .arg(m_info.layerNames[node], m_copy.weights));
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_timer->start();
    m_topWatcher->setFuture(QtConcurrent::run([st, net, pair, batch, node, o]() -> QString {
        try {
            const Dataset& test = pair->test.size() ? pair->test : pair->train;
            auto r = std::make_shared<TopKResult>(topKExamples(
                *net, test, node, batch, o,
                [st](int done, int total) {
                    st->done = done;
                    st->total = total;
                },
                &st->cancel));
            // Under the mutex: a hand-over ThreadSanitizer sees (Qt's future is a futex it
            // does not).
            std::lock_guard<std::mutex> lock(st->m);
            st->topK = std::move(r);
            return {};
        } catch (const std::exception& e) {
            return QString::fromStdString(e.what());
        }
    }));
}

void UnitView::startMaximize() {
    if (!m_copy.net) {  // used by a top-k that started with it: take another
        m_pending = Pending::Maximize;
        emit netCopyRequested();
        return;
    }
    const int node = m_layer;
    const OutputLayout l = outputLayout(m_info.layerShapes[node]);
    std::vector<int> channels;
    if (m_pendingChannel < 0)
        for (int c = 0; c < l.channels; ++c)
            channels.push_back(c);
    else
        channels.push_back(std::min(m_pendingChannel, l.channels - 1));
    if (m_maxFor != maxKey()) {
        m_max.clear();
        m_best.clear();
        m_maxFor = maxKey();
    }
    const bool needBest = m_best.empty();
    auto st = std::make_shared<TaskState>();
    st->total = static_cast<int>(channels.size());
    m_maxTask = st;
    std::shared_ptr<Net> net = m_copy.net;
    m_copy.net.reset();
    const DataPair& pair = *m_copy.data;
    const std::shared_ptr<const DataPair> shared = m_copy.data;
    const Dataset& test = pair.test.size() ? pair.test : pair.train;
    const BatchOptions batch = m_copy.batch;
    const int limit = m_subset->value();
    const PixelSpace space = PixelSpace::from(m_copy.batch, pair.train.mean, pair.train.stddev);
    MaximizeOptions o = maximizeOptions();
    if (m_start->value() >= 0)
        o.start = samplePixels(test, std::min(m_start->value(), test.size() - 1));
    const UnitSpec spec = objectiveSpec();
    m_curveValues.clear();
    m_curveChannel = channels.front();
    showCurve();
    m_progress->setRange(0, static_cast<int>(channels.size()));
    m_progress->setValue(0);
    m_timer->start();
    m_maxWatcher->setFuture(QtConcurrent::run([st, net, shared, batch, limit, needBest, space, node,
                                               channels, o, spec]() -> QString {
        try {
            if (needBest) {  // the test images' best under this objective, to compare
                TopKOptions b;
                b.k = 1;
                b.unit = spec;
                b.limit = limit;
                const TopKResult r =
                    topKExamples(*net, shared->test.size() ? shared->test : shared->train, node,
                                 batch, b, {}, &st->cancel);
                std::lock_guard<std::mutex> lock(st->m);
                if (!r.cancelled)
                    for (const auto& list : r.channels)
                        st->best.push_back(list.empty() ? TopExample{} : list.front());
                st->bestNew = !r.cancelled;
            }
            for (const int c : channels) {
                if (st->cancel) break;
                {
                    std::lock_guard<std::mutex> lock(st->m);
                    st->channel = c;
                    st->newChannel = true;
                    st->points.clear();
                }
                auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
                MaximizeResult r =
                    maximizeActivation(*net, space, node, c, spec, o, [&](const MaximizeStep& s) {
                        std::lock_guard<std::mutex> lock(st->m);
                        st->points.push_back(s.activation);
                        const auto now = std::chrono::steady_clock::now();
                        if (now - last > std::chrono::milliseconds(40)) {
                            st->image = *s.image;
                            st->imageNew = true;
                            last = now;
                        }
                        return !st->cancel.load();
                    });
                std::lock_guard<std::mutex> lock(st->m);
                st->image = r.image;
                st->imageNew = true;
                st->finished.emplace_back(c, std::move(r));
                ++st->done;
            }
            return {};
        } catch (const std::exception& e) {
            return QString::fromStdString(e.what());
        }
    }));
}

QImage UnitView::pixelsToImage(const Tensor& pixels, int scale) const {
    return toQImage(pixelsImage(pixels, scale));
}

void UnitView::poll() {
    if (!m_topTask && !m_maxTask) {
        m_timer->stop();
        return;
    }
    if (m_topTask && m_topTask->total > 0) {
        m_progress->setRange(0, m_topTask->total);
        m_progress->setValue(m_topTask->done);
    }
    if (!m_maxTask) return;
    std::vector<float> points;
    Tensor image;
    bool newImage = false, newChannel = false;
    int channel = -1;
    std::vector<std::pair<int, MaximizeResult>> finished;
    {
        std::lock_guard<std::mutex> lock(m_maxTask->m);
        points.swap(m_maxTask->points);
        channel = m_maxTask->channel;
        newChannel = std::exchange(m_maxTask->newChannel, false);
        if (m_maxTask->imageNew) {
            image = m_maxTask->image;
            newImage = true;
            m_maxTask->imageNew = false;
        }
        finished.swap(m_maxTask->finished);
        if (std::exchange(m_maxTask->bestNew, false)) m_best = m_maxTask->best;
    }
    m_progress->setRange(0, m_maxTask->total);
    m_progress->setValue(m_maxTask->done);
    // The points of the channel going; a finished channel's whole history replaces them (the
    // last points may have come in this same read).
    if (newChannel) {
        m_curveChannel = channel;
        m_curveValues.clear();
    }
    if (!points.empty() && channel == m_curveChannel)
        m_curveValues.insert(m_curveValues.end(), points.begin(), points.end());
    for (auto& [c, r] : finished) {
        if (c == m_curveChannel) m_curveValues = r.history;
        m_max[c] = std::move(r);
    }
    if (newImage) {
        const int scale = std::max(1, 140 / std::max(1, image.dim(image.rank() - 1)));
        m_live->setPixmap(QPixmap::fromImage(pixelsToImage(image, scale)));
    }
    if (channel >= 0 && m_layer >= 0)
        m_liveCaption->setText(
            QString("%1, channel %2: step %3, activation %4")
                .arg(m_info.layerNames[m_layer])
                .arg(channel)
                .arg(m_curveValues.size())
                .arg(m_curveValues.empty() ? QString("–") : number(m_curveValues.back())));
    if (!points.empty() || newChannel || !finished.empty()) showCurve();
    if (!finished.empty()) rebuildGrid();
}

void UnitView::showCurve() {
    QVector<double> x, y;
    for (std::size_t i = 0; i < m_curveValues.size(); ++i) {
        x << static_cast<double>(i + 1);
        y << m_curveValues[i];
    }
    m_plot->graph(0)->setData(x, y, true);
    m_plot->graph(0)->setName(m_curveChannel >= 0
                                  ? QString("optimized input, channel %1").arg(m_curveChannel)
                                  : QString("optimized input"));
    // The best test image under the same objective.
    QVector<double> bx, by;
    const double best = bestFor(m_curveChannel);
    if (std::isfinite(best) && !x.isEmpty()) {
        bx << 1 << x.back();
        by << best << best;
    }
    m_plot->graph(1)->setData(bx, by, true);
    if (bx.isEmpty())
        m_plot->graph(1)->removeFromLegend();
    else
        m_plot->graph(1)->addToLegend();
    m_plot->resetView();
    m_plot->refresh();
}

void UnitView::rebuildGrid() {
    std::vector<UnitGrid::Row> rows;
    if (m_layer < 0) {
        m_grid->setRows({}, kTileTarget, m_k->value(), "No model loaded.");
        return;
    }
    const OutputLayout l = outputLayout(m_info.layerShapes[m_layer]);
    const TopKResult* r =
        m_shown.result && m_shown.result->node == m_layer ? m_shown.result.get() : nullptr;
    const bool maxHere = m_maxFor == maxKey();
    if (!r && (!maxHere || m_max.empty())) {
        m_grid->setRows({}, kTileTarget, m_k->value(),
                        "Nothing computed for this layer and these weights yet: Find top-k, or "
                        "Maximize a channel.");
        return;
    }
    int H = m_info.input.rank() == 3 ? m_info.input[1] : 28;
    const int scale = std::max(1, (kTileTarget + H / 2) / std::max(1, H));
    int tile = H * scale;
    const Dataset* test = nullptr;
    if (r && m_shown.data)
        test = m_shown.data->test.size() ? &m_shown.data->test : &m_shown.data->train;
    for (int c = 0; c < l.channels; ++c) {
        UnitGrid::Row row;
        row.label = l.channels == m_info.classes && m_layer == m_info.layerNames.size() - 1 &&
                            c < m_info.classNames.size()
                        ? QString("%1\n%2").arg(c).arg(m_info.classNames[c])
                        : QString("ch %1").arg(c);
        if (r && test) {
            for (const TopExample& e : r->channels[static_cast<std::size_t>(c)]) {
                row.tiles.push_back(toQImage(exampleTile(*test, e, scale)));
                row.captions << number(e.activation);
            }
        }
        const double best = bestFor(c);
        if (maxHere) {
            const auto it = m_max.find(c);
            if (it != m_max.end()) {
                row.optimized = pixelsToImage(it->second.image, scale);
                row.optimizedCaption = number(it->second.activation);
                if (std::isfinite(best) && best > 0)
                    row.optimizedCaption +=
                        QString(" (%1×)").arg(it->second.activation / best, 0, 'f', 2);
            }
        }
        rows.push_back(std::move(row));
    }
    m_grid->setRows(std::move(rows), tile,
                    r ? std::max(1, r->channels.empty() ? 1 : m_k->value()) : 0, {});
    m_grid->setSelected(m_channel->value());
}

void UnitView::updateButtons() {
    const bool model = m_layer >= 0;
    m_find->setEnabled(model && !m_topTask && m_pending != Pending::TopK);
    m_maximize->setEnabled(model && !m_maxTask && m_pending != Pending::Maximize);
    m_maximizeAll->setEnabled(model && !m_maxTask && m_pending != Pending::Maximize);
    m_cancel->setEnabled(busy());
    if (!m_topTask && !m_maxTask) m_progress->setValue(m_progress->maximum());
}

QString UnitView::markdown() const {
    if (m_layer < 0) return {};
    const QString layer = m_info.layerNames[m_layer];
    QString md = QString("### What the channels of %1 look for (%2, %3)\n\n")
                     .arg(layer, m_info.model, m_shown.result ? m_shown.weights : m_copy.weights);
    const TopKResult* r =
        m_shown.result && m_shown.result->node == m_layer ? m_shown.result.get() : nullptr;
    const bool maxHere = m_maxFor == maxKey() && !m_max.empty();
    if (r)
        md += QString("Top-%1 of %2 test images by the channel's %3.")
                  .arg(m_k->value())
                  .arg(r->samplesSeen)
                  .arg(QString::fromStdString(describe(r->unit)));
    if (maxHere)
        md += QString(
                  " Optimized inputs: %1 of the channel, %2 steps; the best test image and "
                  "the ratio under that objective.")
                  .arg(QString::fromStdString(describe(objectiveSpec())))
                  .arg(m_max.begin()->second.steps);
    md +=
        "\n\n| channel | top test images (index: activation) | optimized input | best test image "
        "| ratio |\n|---:|---|---:|---:|---:|\n";
    const OutputLayout l = outputLayout(m_info.layerShapes[m_layer]);
    for (int c = 0; c < l.channels; ++c) {
        QStringList tops;
        if (r)
            for (const TopExample& e : r->channels[static_cast<std::size_t>(c)])
                tops << QString("#%1: %2").arg(e.index).arg(number(e.activation));
        const double best = bestFor(c);
        QString opt = "", ratio = "";
        if (maxHere) {
            const auto it = m_max.find(c);
            if (it != m_max.end()) {
                opt = number(it->second.activation);
                if (std::isfinite(best) && best > 0)
                    ratio = QString::number(it->second.activation / best, 'f', 2);
            }
        }
        md += QString("| %1 | %2 | %3 | %4 | %5 |\n")
                  .arg(c)
                  .arg(tops.join(", "), opt, std::isfinite(best) ? number(best) : QString(), ratio);
    }
    return md;
}

}  // namespace ll::ui
