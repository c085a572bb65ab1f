#include "ui/layers_view.h"

#include <qcustomplot.h>
#include <QAbstractSpinBox>
#include <QCheckBox>
#include <QComboBox>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QPushButton>
#include <QShortcut>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <numeric>

#include "core/data/image_folder.h"
#include "ui/image_views.h"
#include "ui/item_models.h"
#include "ui/plot.h"
#include "ui/plot_export.h"

namespace ll::ui {

namespace {
// Up to this many classes, every class has its bar; more show the top five.
constexpr std::size_t kAllClassBars = 20;
}  // namespace

LayersView::LayersView(QWidget* parent) : QWidget(parent) {
    setAcceptDrops(true);
    m_layers = new LayerListModel(this);
    m_list = new QTableView;
    m_list->setModel(m_layers);
    m_list->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->verticalHeader()->hide();
    m_list->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_list->horizontalHeader()->setStretchLastSection(true);
    m_list->setMinimumWidth(170);
    auto* prev = new QPushButton("◀ Previous");
    auto* next = new QPushButton("Next ▶");
    prev->setToolTip("Previous layer (PgUp or ←)");
    next->setToolTip("Next layer (PgDn or →)");
    m_slider = new QSlider(Qt::Horizontal);
    m_slider->setToolTip("Layer");
    m_index = new QSpinBox;
    m_index->setPrefix("test image #");
    m_class = new QComboBox;
    m_class->setToolTip("Jump to the next test image of this class");
    auto* open = new QPushButton("Open image…");
    open->setToolTip(
        "Inspect an image file (PNG, JPEG, ...), converted to the model's input; or drop one here");

    auto* left = new QWidget;
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    lv->addWidget(new QLabel("<b>Layers</b>"));
    lv->addWidget(m_list, 1);
    auto* nav = new QHBoxLayout;
    nav->addWidget(prev);
    nav->addWidget(next);
    lv->addLayout(nav);
    lv->addWidget(m_slider);
    lv->addWidget(new QLabel("<b>Input</b>"));
    lv->addWidget(m_index);
    lv->addWidget(m_class);
    lv->addWidget(open);

    m_title = new QLabel;
    m_title->setWordWrap(true);
    m_filters = new QCheckBox("filters");
    m_filters->setToolTip(
        "Show the layer's convolution filters (mean over input channels) instead of its outputs");
    m_shared = new QCheckBox("shared scale");
    m_shared->setChecked(true);
    m_shared->setToolTip(
        "One colour scale for all maps (off: each map stretched to its own range)");
    m_grid = new MapGrid;
    m_grid->setContextMenuPolicy(Qt::CustomContextMenu);
    m_stats = new QLabel;
    m_stats->setWordWrap(true);  // long statistics wrap instead of widening the window
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* center = new QWidget;
    auto* cv = new QVBoxLayout(center);
    cv->setContentsMargins(0, 0, 0, 0);
    auto* head = new QHBoxLayout;
    head->addWidget(m_title, 1);
    head->addWidget(m_filters);
    head->addWidget(m_shared);
    cv->addLayout(head);
    cv->addWidget(m_grid, 1);
    cv->addWidget(m_stats);

    m_source = new QLabel;
    m_source->setWordWrap(true);
    m_input = new InputView;
    m_input->setContextMenuPolicy(Qt::CustomContextMenu);
    m_erf = new QCheckBox("heatmap");
    m_erf->setChecked(true);
    m_erf->setToolTip("Show the heatmap chosen beside it over the input");
    m_overlay = new QComboBox;
    m_overlay->addItem("effective receptive field of the clicked unit");
    m_overlay->addItem("saliency |∂score/∂input|");
    m_overlay->addItem("Grad-CAM of this layer");
    // As narrow as a short name: the window must fit a 1024-pixel screen beside the Setup dock.
    m_overlay->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_overlay->setMinimumContentsLength(14);
    m_overlay->setToolTip(
        "Effective receptive field: Luo et al. 2016; saliency: Simonyan et al. 2014; "
        "Grad-CAM: Selvaraju et al. 2017 (layers with feature maps)");
    m_overlayClass = new QSpinBox;
    m_overlayClass->setRange(-1, 999);
    m_overlayClass->setSpecialValueText("predicted class");
    m_overlayClass->setValue(-1);
    m_overlayClass->setPrefix("class ");
    m_overlayClass->setEnabled(false);
    m_unit = new QLabel("Click a feature-map pixel to see the input pixels it depends on.");
    m_unit->setWordWrap(true);
    m_probPlot = new QCustomPlot;
    m_probPlot->setObjectName("class probabilities");
    m_probPlot->setMinimumHeight(150);
    m_probBars = new QCPBars(m_probPlot->xAxis, m_probPlot->yAxis);
    m_probBars->setBrush(QColor(31, 119, 180));
    m_probBars->setPen(Qt::NoPen);
    m_probPlot->yAxis->setRange(0, 1);
    m_probPlot->yAxis->setLabel("probability");
    m_probPlot->setContextMenuPolicy(Qt::CustomContextMenu);
    auto* right = new QWidget;
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 0, 0, 0);
    rv->addWidget(m_source);
    rv->addWidget(m_input, 2);
    auto* heat = new QHBoxLayout;
    heat->addWidget(m_erf);
    heat->addWidget(m_overlay, 1);
    rv->addLayout(heat);
    rv->addWidget(m_overlayClass);
    rv->addWidget(m_unit);
    rv->addWidget(m_probPlot, 1);

    auto* split = new QSplitter;
    split->addWidget(left);
    split->addWidget(center);
    split->addWidget(right);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 2);
    auto* lay = new QHBoxLayout(this);
    lay->setContentsMargins(2, 2, 2, 2);
    lay->addWidget(split);

    connect(prev, &QPushButton::clicked, this, &LayersView::previousLayer);
    connect(next, &QPushButton::clicked, this, &LayersView::nextLayer);
    for (auto [key, forward] : {std::pair{Qt::Key_PageDown, true}, std::pair{Qt::Key_PageUp, false},
                                std::pair{Qt::Key_Right, true}, std::pair{Qt::Key_Left, false}}) {
        auto* sc = new QShortcut(QKeySequence(key), this);
        sc->setContext(Qt::WidgetWithChildrenShortcut);
        connect(sc, &QShortcut::activated, this,
                [this, forward = forward] { forward ? nextLayer() : previousLayer(); });
    }
    connect(m_slider, &QSlider::valueChanged, this, &LayersView::setCurrentLayer);
    connect(m_list->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& i) {
                if (i.isValid()) setCurrentLayer(i.row());
            });
    connect(m_index, qOverload<int>(&QSpinBox::valueChanged), this, [this](int v) {
        m_req.testIndex = v;
        m_req.customPixels.clear();
        m_haveUnit = false;
        request();
    });
    connect(m_class, qOverload<int>(&QComboBox::activated), this, [this](int item) {
        const int cls = m_class->itemData(item).toInt();
        if (cls < 0) return;
        const auto& labels = m_info.testLabels;
        const int n = static_cast<int>(labels.size());
        for (int k = 1; k <= n; ++k) {
            const int idx = (m_index->value() + k) % n;
            if (labels[static_cast<std::size_t>(idx)] == cls) {
                m_index->setValue(idx);
                return;
            }
        }
    });
    connect(open, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, "Open an image", {},
            "Images (*.png *.jpg *.jpeg *.bmp *.pgm *.ppm *.tif *.tiff *.webp);;All files (*)");
        if (path.isEmpty()) return;
        const QString err = openImage(path);
        if (!err.isEmpty())
            m_source->setText("<span style='color:#b00'>" + err.toHtmlEscaped() + "</span>");
    });
    connect(m_filters, &QCheckBox::toggled, this, [this] { showSnapshot(m_snap); });
    connect(m_shared, &QCheckBox::toggled, m_grid, &MapGrid::setSharedScale);
    connect(m_erf, &QCheckBox::toggled, m_input, &InputView::setHeatmapVisible);
    connect(m_overlay, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this](int i) { setOverlay(i, m_overlayClass->value()); });
    connect(m_overlayClass, qOverload<int>(&QSpinBox::valueChanged), this,
            [this](int c) { setOverlay(m_overlay->currentIndex(), c); });
    connect(m_grid, &MapGrid::unitClicked, this, &LayersView::selectUnit);
    connect(m_grid, &QWidget::customContextMenuRequested, this, [this](const QPoint& p) {
        QMenu menu;
        menu.addAction("Export feature maps as PNG, SVG or PDF…",
                       [this] { exportWidgetInteractively(m_grid, this, "feature-maps"); });
        menu.exec(m_grid->mapToGlobal(p));
    });
    connect(m_input, &QWidget::customContextMenuRequested, this, [this](const QPoint& p) {
        QMenu menu;
        menu.addAction("Export input with receptive field as PNG, SVG or PDF…",
                       [this] { exportWidgetInteractively(m_input, this, "receptive-field"); });
        menu.exec(m_input->mapToGlobal(p));
    });
    connect(m_probPlot, &QWidget::customContextMenuRequested, this, [this](const QPoint& p) {
        QMenu menu;
        menu.addAction("Export as PNG, SVG or PDF…", [this] {
            exportPlotInteractively(m_probPlot, this, "class-probabilities");
        });
        menu.exec(m_probPlot->mapToGlobal(p));
    });
}

const QString& LayersView::statsText() const {
    return m_statsText;
}

void LayersView::setModel(const ModelInfo& info) {
    m_info = info;
    m_layers->setModel(info);
    m_list->resizeColumnsToContents();
    m_slider->blockSignals(true);
    m_slider->setRange(0, std::max(0, static_cast<int>(info.layerNames.size()) - 1));
    m_slider->blockSignals(false);
    m_index->blockSignals(true);
    m_index->setRange(0, std::max(0, info.testSize - 1));
    m_index->blockSignals(false);
    m_class->clear();
    m_class->addItem("jump to class…", -1);
    for (int c = 0; c < info.classes; ++c)
        m_class->addItem(QString("%1 (%2)").arg(c).arg(info.classNames.value(c)), c);
    QStringList ticks;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int c = 0; c < std::max(info.classes, 2); ++c)
        ticker->addTick(c, info.classNames.value(c, QString::number(c)).left(6));
    m_probPlot->xAxis->setTicker(ticker);
    m_probPlot->xAxis->setRange(-0.6, std::max(info.classes, 2) - 0.4);
    m_probPlot->xAxis->setLabel("");
    m_classNames = info.classNames;
    m_haveUnit = false;
    m_layer = -1;
    setCurrentLayer(std::min(1, std::max(0, static_cast<int>(info.layerNames.size()) - 1)));
}

void LayersView::setCurrentLayer(int layer) {
    if (m_info.layerNames.isEmpty()) return;
    layer = std::clamp(layer, 0, static_cast<int>(m_info.layerNames.size()) - 1);
    if (layer == m_layer) return;
    m_layer = layer;
    m_slider->blockSignals(true);
    m_slider->setValue(layer);
    m_slider->blockSignals(false);
    // Not blocked: the list repaints its highlight from these signals (setCurrentLayer(row) that
    // they call back returns at once, the layer being set).
    m_list->selectRow(layer);
    m_title->setText(QString("<b>%1</b> (%2) → %3")
                         .arg(m_info.layerNames[layer], m_info.layerTypes[layer],
                              shapeText(m_info.layerShapes[layer])));
    m_haveUnit = false;
    m_grid->setSelected(-1, 0, 0);
    m_input->setRegion(nullptr);
    m_input->setHeatmap(Tensor());
    m_unit->setText("Click a feature-map pixel to see the input pixels it depends on.");
    if (!m_snap.activations.empty()) {
        // Show what we already have at once; the new request refreshes it.
        InspectSnapshot s = m_snap;
        s.request.layer = layer;
        s.filters = Tensor();
        s.erf = Tensor();
        showSnapshot(s);
    }
    request();
}

void LayersView::selectUnit(int channel, int i, int j) {
    m_haveUnit = true;
    m_req.channel = channel;
    m_req.i = i;
    m_req.j = j;
    m_grid->setSelected(channel, i, j);
    updateRegion();
    request();
}

void LayersView::updateRegion() {
    if (!m_haveUnit || m_info.layerCostRow.isEmpty()) return;
    const CostRow& row = m_info.costs.rows[static_cast<std::size_t>(m_info.layerCostRow[m_layer])];
    if (!row.rf.valid || m_info.input.rank() != 3) {
        m_input->setRegion(nullptr);
        m_unit->setText(QString("unit (%1, %2, %3): no receptive field (%4)")
                            .arg(m_req.channel)
                            .arg(m_req.i)
                            .arg(m_req.j)
                            .arg(QString::fromStdString(row.rf.note)));
        return;
    }
    const bool flat = m_info.layerShapes[m_layer].rank() != 3;
    const int i = flat ? 0 : m_req.i, j = flat ? 0 : m_req.j;
    const UnitRegion u = unitRegion(row.rf, i, j, m_info.input[1], m_info.input[2]);
    m_input->setRegion(&u);
    m_unit->setText(QString("unit (%1, %2, %3) of %4: receptive field %5×%6, jump %7; rows [%8, "
                            "%9), cols [%10, %11) (clipped: rows [%12, %13), cols [%14, %15))")
                        .arg(m_req.channel)
                        .arg(i)
                        .arg(j)
                        .arg(m_info.layerNames[m_layer])
                        .arg(row.rf.size[0])
                        .arg(row.rf.size[1])
                        .arg(row.rf.jump[0])
                        .arg(u.rows[0])
                        .arg(u.rows[1])
                        .arg(u.cols[0])
                        .arg(u.cols[1])
                        .arg(u.clippedRows[0])
                        .arg(u.clippedRows[1])
                        .arg(u.clippedCols[0])
                        .arg(u.clippedCols[1]));
}

void LayersView::setOverlay(int overlay, int cls) {
    m_overlay->blockSignals(true);
    m_overlay->setCurrentIndex(overlay);
    m_overlay->blockSignals(false);
    m_overlayClass->blockSignals(true);
    m_overlayClass->setValue(cls);
    m_overlayClass->blockSignals(false);
    m_overlayClass->setEnabled(overlay != 0);
    m_req.overlay = overlay;
    m_req.overlayClass = cls;
    m_input->setHeatmap(Tensor());
    request();
}

void LayersView::request() {
    if (m_info.layerNames.isEmpty()) return;
    m_req.layer = m_layer;
    m_req.wantUnit = m_haveUnit;
    m_req.serial = ++m_serial;
    emit inspectionRequested(m_req);
}

QString LayersView::openImage(const QString& path) {
    if (m_info.input.rank() != 3) return "the model's input is not an image";
    DecodedImage img;
    std::string why;
    if (!decodeImage(path.toStdString(), img, &why))
        return QString("cannot read '%1' as an image: %2").arg(path, QString::fromStdString(why));
    const int C = m_info.input[0], H = m_info.input[1], W = m_info.input[2];
    if (C != 1 && C != 3) return QString("the model's input has %1 channels, not 1 or 3").arg(C);
    m_req.customPixels = toModelInput(img, C, H, W);
    m_req.customName = QFileInfo(path).fileName() + QString(" (resized to %1×%2)").arg(W).arg(H);
    m_haveUnit = false;
    request();
    return {};
}

void LayersView::showSnapshot(const InspectSnapshot& s) {
    if (s.request.serial != 0 && s.request.serial < m_serial && s.request.layer != m_layer)
        return;  // stale
    m_snap = s;
    if (s.activations.empty()) return;
    const int layer = std::clamp(m_layer, 0, static_cast<int>(s.activations.size()) - 1);
    const bool filters = m_filters->isChecked() && !s.filters.empty() && s.request.layer == m_layer;
    m_filters->setEnabled(!s.filters.empty() || m_filters->isChecked());
    const Tensor& act = s.activations[static_cast<std::size_t>(layer)];
    m_grid->setMaps(filters ? s.filters : act, filters);
    const MapStats st = statsOf(filters ? s.filters : act);
    m_statsText = QString("%1: min %2, max %3, mean %4, zeros %5%")
                      .arg(filters ? "filters" : "activations")
                      .arg(st.min, 0, 'g', 4)
                      .arg(st.max, 0, 'g', 4)
                      .arg(st.mean, 0, 'g', 4)
                      .arg(100.0 * st.zeroFraction, 0, 'f', 1);
    m_stats->setText(m_statsText);
    m_input->setImage(s.input);
    m_source->setText(s.source);
    if (s.request.overlay != 0 && s.request.overlay == m_req.overlay) {
        m_input->setHeatmap(s.erf, s.request.overlay == 1 ? "|∂score/∂pixel|" : "Grad-CAM");
    } else if (m_haveUnit && s.request.wantUnit && s.request.layer == m_layer) {
        m_input->setHeatmap(s.erf);
    }
    QVector<double> keys, values;
    if (s.probabilities.size() > kAllClassBars) {
        // Many classes (ImageNet's 1000): the five most probable, named, largest first.
        std::vector<int> order(s.probabilities.size());
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + 5, order.end(), [&](int a, int b) {
            return s.probabilities[static_cast<std::size_t>(a)] >
                   s.probabilities[static_cast<std::size_t>(b)];
        });
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        for (int k = 0; k < 5; ++k) {
            const int c = order[static_cast<std::size_t>(k)];
            keys << k;
            values << s.probabilities[static_cast<std::size_t>(c)];
            ticker->addTick(k, m_classNames.value(c, QString::number(c)).left(12));
        }
        m_probPlot->xAxis->setTicker(ticker);
        m_probPlot->xAxis->setRange(-0.6, 4.6);
        m_probPlot->xAxis->setLabel("top 5 of " + QString::number(s.probabilities.size()));
    } else {
        for (std::size_t k = 0; k < s.probabilities.size(); ++k) {
            keys << static_cast<double>(k);
            values << s.probabilities[k];
        }
    }
    m_probBars->setData(keys, values);
    replotWhenShown(m_probPlot);
}

void LayersView::dragEnterEvent(QDragEnterEvent* e) {
    if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void LayersView::dropEvent(QDropEvent* e) {
    const auto urls = e->mimeData()->urls();
    if (urls.isEmpty()) return;
    const QString err = openImage(urls.first().toLocalFile());
    if (!err.isEmpty())
        m_source->setText("<span style='color:#b00'>" + err.toHtmlEscaped() + "</span>");
}

LayerKeys::LayerKeys(QWidget* window, QTabWidget* tabs, LayersView* layers)
    : QObject(window), m_window(window), m_tabs(tabs), m_layers(layers) {}

bool LayerKeys::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() != QEvent::KeyPress || m_tabs->currentWidget() != m_layers) return false;
    auto* w = qobject_cast<QWidget*>(watched);
    if (!w || w->window() != m_window) return false;
    const auto* k = static_cast<QKeyEvent*>(event);
    if (k->modifiers() != Qt::NoModifier && k->modifiers() != Qt::KeypadModifier) return false;
    const bool textField = qobject_cast<QLineEdit*>(w) || qobject_cast<QAbstractSpinBox*>(w) ||
                           qobject_cast<QComboBox*>(w);
    const int key = k->key();
    const bool next = key == Qt::Key_PageDown || (key == Qt::Key_Right && !textField);
    const bool previous = key == Qt::Key_PageUp || (key == Qt::Key_Left && !textField);
    if (next) m_layers->nextLayer();
    if (previous) m_layers->previousLayer();
    return next || previous;
}

}  // namespace ll::ui
