#include "ui/lab_view.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "core/data/image_folder.h"
#include "core/layers/conv2d.h"
#include "core/model_file.h"
#include "ui/image_views.h"
#include "ui/plot_export.h"

namespace ll::ui {

namespace {

// The largest side of an opened image: the lab recomputes on every keystroke.
constexpr int kMaxLabImage = 256;

QString number(double v) {
    return QString::number(v, 'g', 4);
}

// What a check came to, in words.
QString status(const IdentityCheck& c) {
    if (c.expected) return c.maxAbsDifference <= c.tolerance ? "holds" : "DOES NOT HOLD";
    return c.maxAbsDifference > 0 ? "fails, as it must" : "holds here only";
}

// (1, C, H, W) → (C, H, W) for the map grids.
// What a check's result shows as: a batch of one as its maps, a larger batch by its first
// image's maps, a matrix (images, outputs: the model identities' class scores) as one map with a
// row per image.
Tensor displayMaps(const Tensor& t) {
    Tensor s = t;
    if (s.rank() == 4 && s.dim(0) == 1) {
        s.reshape(s.shape().sample());
    } else if (s.rank() == 4) {
        const Shape one = s.shape().sample();
        Tensor first(one);
        std::copy(s.data(), s.data() + first.numel(), first.data());
        s = first;
    } else if (s.rank() == 2) {
        s.reshape(Shape({1, s.dim(0), s.dim(1)}));
    }
    return s;
}

const char* const kModelIdentitiesPrompt =
    "Model identities (batch-norm folding, FC → conv, activations after max-pooling): press "
    "Check on the model";

QString rangeOf(const Tensor& t) {
    if (t.empty()) return {};
    const auto [lo, hi] = std::minmax_element(t.data(), t.data() + t.numel());
    return QString("%1 … %2").arg(number(*lo), number(*hi));
}

}  // namespace

LabView::LabView(QWidget* parent) : QWidget(parent) {
    setAcceptDrops(true);
    // Input.
    m_sourceLabel = new QLabel("no image yet: load a model, open or drop an image");
    m_sourceLabel->setWordWrap(true);
    m_inputGrid = new MapGrid;
    m_inputGrid->setMinimumSize(120, 100);
    auto* useTest = new QPushButton("Test image");
    useTest->setToolTip("Use the current test image of the Layers tab");
    auto* open = new QPushButton("Open image…");
    open->setToolTip("Use an image file (PNG, JPEG, ...), pixels scaled to [0, 1]; or drop one");
    auto* inputBox = new QGroupBox("Input");
    auto* il = new QVBoxLayout(inputBox);
    il->addWidget(m_sourceLabel);
    il->addWidget(m_inputGrid, 1);
    auto* ib = new QHBoxLayout;
    ib->addWidget(useTest);
    ib->addWidget(open);
    il->addLayout(ib);

    // Kernel editor.
    m_presets = new QComboBox;
    m_presets->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_presets->setMinimumContentsLength(12);
    m_presets->addItem("(preset)");
    for (const KernelPreset& p : kernelPresets()) {
        m_presets->addItem(QString::fromStdString(p.title), QString::fromStdString(p.name));
        m_presets->setItemData(m_presets->count() - 1, QString::fromStdString(p.about),
                               Qt::ToolTipRole);
    }
    m_kernelIndex = new QSpinBox;
    m_kernelIndex->setPrefix("kernel ");
    m_kernelIndex->setToolTip("The output channel whose kernel the editor shows");
    m_addKernel = new QPushButton("+");
    m_addKernel->setToolTip("Add a kernel: one more output channel");
    m_removeKernel = new QPushButton("−");
    m_removeKernel->setToolTip("Remove the kernel being edited");
    for (QPushButton* b : {m_addKernel, m_removeKernel})
        b->setMaximumWidth(fontMetrics().horizontalAdvance("MM") + 12);
    m_rows = new QSpinBox;
    m_cols = new QSpinBox;
    for (QSpinBox* s : {m_rows, m_cols}) {
        s->setRange(1, kMaxLabKernel);
        s->setValue(3);
    }
    m_rows->setSuffix(" rows");
    m_cols->setSuffix(" columns");
    m_kernelTable = new QTableWidget(3, 3);
    m_kernelTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_kernelTable->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_kernelTable->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    m_kernelTable->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_kernelTable->setMinimumSize(150, 60);
    m_kernelText = new QLineEdit;
    m_kernelText->setPlaceholderText("0,0,0; 0,-1,1; 0,0,0");
    m_kernelText->setToolTip(
        "Rows split by ';', values by ',' or spaces (fractions like 1/9 too); at most 7×7");
    m_errorLabel = new QLabel;
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setStyleSheet("color: #b00");
    m_stride = new QSpinBox;
    m_stride->setRange(1, 64);
    m_stride->setPrefix("stride ");
    m_padding = new QSpinBox;
    m_padding->setRange(0, 64);
    m_padding->setPrefix("padding ");
    m_dilation = new QSpinBox;
    m_dilation->setRange(1, 64);
    m_dilation->setPrefix("dilation ");
    m_filterIndex = new QSpinBox;
    m_filterIndex->setPrefix("filter #");
    m_filterIndex->setRange(0, 0);
    m_channelSpin = new QSpinBox;
    m_channelSpin->setPrefix("channel ");
    m_channelSpin->setRange(0, 0);
    m_loadLearned = new QPushButton("Load learned filter");
    m_loadLearned->setToolTip(
        "Open a filter of the convolution layer selected in the Layers tab, applied to that "
        "layer's own input");
    m_reset = new QPushButton("Reset to learned");
    m_learnedLabel = new QLabel("Learned filters: select a convolution layer in the Layers tab");
    m_learnedLabel->setWordWrap(true);
    auto* editorBox = new QGroupBox("Kernel");
    auto* el = new QVBoxLayout(editorBox);
    auto* ek = new QHBoxLayout;
    ek->addWidget(m_kernelIndex, 1);
    ek->addWidget(m_addKernel);
    ek->addWidget(m_removeKernel);
    el->addLayout(ek);
    el->addWidget(m_presets);
    auto* er = new QHBoxLayout;
    er->addWidget(m_rows);
    er->addWidget(m_cols);
    el->addLayout(er);
    el->addWidget(m_kernelTable);
    el->addWidget(m_kernelText);
    el->addWidget(m_errorLabel);
    auto* sp = new QGridLayout;
    sp->addWidget(m_stride, 0, 0);
    sp->addWidget(m_padding, 0, 1);
    sp->addWidget(m_dilation, 1, 0);
    el->addLayout(sp);
    auto* lr = new QHBoxLayout;
    lr->addWidget(m_filterIndex);
    lr->addWidget(m_channelSpin);
    el->addLayout(lr);
    el->addWidget(m_loadLearned);
    el->addWidget(m_reset);
    el->addWidget(m_learnedLabel);
    el->addStretch(1);

    // Output.
    m_outputGrid = new MapGrid;
    m_outputGrid->setMinimumSize(120, 100);
    m_rangeLabel = new QLabel;
    m_rangeLabel->setWordWrap(true);
    m_rangeLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* exportMap = new QPushButton("Export map…");
    exportMap->setToolTip("Save the output map as PNG, SVG or PDF");
    auto* copyMap = new QPushButton("Copy CSV");
    copyMap->setToolTip("Copy the output map's values as CSV");
    auto* outputBox = new QGroupBox("Output map");
    auto* ol = new QVBoxLayout(outputBox);
    ol->addWidget(m_outputGrid, 1);
    ol->addWidget(m_rangeLabel);
    auto* ob = new QHBoxLayout;
    ob->addWidget(exportMap);
    ob->addWidget(copyMap);
    ol->addLayout(ob);

    // Identities.
    m_table = new QTableWidget(0, 4);
    m_table->setHorizontalHeaderLabels({"identity", "max |a − b|", "relative", "result"});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_left = new MapGrid;
    m_right = new MapGrid;
    m_leftTitle = new QLabel;
    m_rightTitle = new QLabel;
    m_leftTitle->setWordWrap(true);
    m_rightTitle->setWordWrap(true);
    m_diffLabel = new QLabel;
    m_diffLabel->setWordWrap(true);
    m_diffLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_pair = new QWidget;
    auto* pl = new QGridLayout(m_pair);
    pl->addWidget(m_leftTitle, 0, 0);
    pl->addWidget(m_rightTitle, 0, 1);
    pl->addWidget(m_left, 1, 0);
    pl->addWidget(m_right, 1, 1);
    pl->addWidget(m_diffLabel, 2, 0, 1, 2);
    pl->setRowStretch(1, 1);
    m_left->setMinimumSize(100, 80);
    m_right->setMinimumSize(100, 80);
    m_modelLabel = new QLabel(kModelIdentitiesPrompt);
    m_modelLabel->setWordWrap(true);
    m_modelLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* checkModel = new QPushButton("Check on the model");
    checkModel->setToolTip(
        "Batch-norm folding, FC → conv and activations after max-pooling on the current model "
        "and the first 8 test images: the largest output difference of each");
    auto* copyTable = new QPushButton("Copy CSV");
    copyTable->setToolTip("Copy the identities table as CSV");
    auto* exportPair = new QPushButton("Export pair…");
    exportPair->setToolTip("Save the two results and their difference as PNG, SVG or PDF");
    auto* idBox = new QGroupBox(
        "Identities on this input (pooling and grey on the input; activations on the output map)");
    auto* idl = new QHBoxLayout(idBox);
    auto* tl = new QVBoxLayout;
    tl->addWidget(m_table, 1);
    auto* tb = new QHBoxLayout;
    tb->addWidget(copyTable);
    tb->addWidget(exportPair);
    tb->addWidget(checkModel);
    tl->addLayout(tb);
    tl->addWidget(m_modelLabel);
    idl->addLayout(tl, 2);
    idl->addWidget(m_pair, 3);

    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(inputBox);
    // The editor scrolls rather than make the window taller than a 768-pixel screen.
    auto* editorScroll = new QScrollArea;
    editorScroll->setWidget(editorBox);
    editorScroll->setWidgetResizable(true);
    editorScroll->setFrameShape(QFrame::NoFrame);
    editorScroll->setMinimumWidth(editorBox->minimumSizeHint().width() + 16);
    top->addWidget(editorScroll);
    top->addWidget(outputBox);
    top->setStretchFactor(0, 2);
    top->setStretchFactor(1, 2);
    top->setStretchFactor(2, 3);
    auto* vs = new QSplitter(Qt::Vertical);
    vs->addWidget(top);
    vs->addWidget(idBox);
    vs->setStretchFactor(0, 1);
    vs->setStretchFactor(1, 0);
    vs->setSizes({640, 300});  // the editor and the maps first; the identities below
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(vs);

    connect(m_presets, qOverload<int>(&QComboBox::activated), this, [this](int i) {
        if (i > 0) setPreset(m_presets->itemData(i).toString());
    });
    auto resize = [this] {
        if (m_updating || m_learnedMode) return;
        Kernel k;
        k.rows = m_rows->value();
        k.cols = m_cols->value();
        k.w.assign(static_cast<std::size_t>(k.rows * k.cols), 0.0f);
        Kernel& cur = m_kernels[static_cast<std::size_t>(m_current)];
        for (int r = 0; r < std::min(k.rows, cur.rows); ++r)
            for (int c = 0; c < std::min(k.cols, cur.cols); ++c)
                k.w[static_cast<std::size_t>(r * k.cols + c)] = cur.at(r, c);
        cur = k;
        fillTable();
        recompute();
    };
    connect(m_rows, qOverload<int>(&QSpinBox::valueChanged), this, resize);
    connect(m_cols, qOverload<int>(&QSpinBox::valueChanged), this, resize);
    connect(m_kernelIndex, qOverload<int>(&QSpinBox::valueChanged), this, [this](int k) {
        if (!m_updating) setCurrentKernel(k - 1);
    });
    connect(m_addKernel, &QPushButton::clicked, this, &LabView::addKernel);
    connect(m_removeKernel, &QPushButton::clicked, this, &LabView::removeKernel);
    connect(m_kernelTable, &QTableWidget::itemChanged, this, [this] { tableEdited(); });
    connect(m_kernelText, &QLineEdit::textEdited, this,
            [this](const QString& t) { setKernelText(t); });
    for (QSpinBox* s : {m_stride, m_padding, m_dilation})
        connect(s, qOverload<int>(&QSpinBox::valueChanged), this, [this] {
            if (!m_updating) recompute();
        });
    connect(m_loadLearned, &QPushButton::clicked, this, [this] {
        const QString e = loadLearnedFilter(m_filterIndex->value());
        if (!e.isEmpty()) m_learnedLabel->setText(e);
    });
    connect(m_filterIndex, qOverload<int>(&QSpinBox::valueChanged), this, [this](int o) {
        if (m_learnedMode && !m_updating) loadLearnedFilter(o);
    });
    connect(m_channelSpin, qOverload<int>(&QSpinBox::valueChanged), this, [this](int c) {
        if (m_updating) return;
        m_channel = c;
        fillTable();
    });
    connect(m_reset, &QPushButton::clicked, this, &LabView::resetToLearned);
    connect(checkModel, &QPushButton::clicked, this, [this] {
        m_modelLabel->setText("checking the model identities…");
        emit modelIdentitiesRequested();
    });
    connect(useTest, &QPushButton::clicked, this, [this] {
        if (!m_testImage.empty()) setImage(m_testImage, m_testSource);
    });
    connect(open, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, "Open an image", {}, "Images (*.png *.jpg *.jpeg *.bmp *.gif *.pgm *.ppm)");
        if (path.isEmpty()) return;
        const QString err = openImage(path);
        if (!err.isEmpty())
            m_sourceLabel->setText("<span style='color:#b00'>" + err.toHtmlEscaped() + "</span>");
    });
    connect(exportMap, &QPushButton::clicked, this,
            [this] { exportWidgetInteractively(m_outputGrid, this, "lab-map"); });
    connect(copyMap, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(mapCsv()); });
    connect(copyTable, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(identitiesCsv()); });
    connect(exportPair, &QPushButton::clicked, this,
            [this] { exportWidgetInteractively(m_pair, this, "lab-identity"); });
    connect(m_table, &QTableWidget::currentCellChanged, this,
            [this](int row) { selectIdentity(row); });

    m_reset->setEnabled(false);
    m_loadLearned->setEnabled(false);
    m_channelSpin->setEnabled(false);
    // The course's two finite differences, side by side.
    m_kernels = {kernelPreset("dx").kernel, kernelPreset("dy").kernel};
    setCurrentKernel(0);
}

void LabView::setCurrentKernel(int k) {
    leaveLearnedMode();
    m_current = std::clamp(k, 0, kernelCount() - 1);
    {
        QSignalBlocker b(m_kernelIndex);
        m_kernelIndex->setRange(1, kernelCount());
        m_kernelIndex->setSuffix(QString(" of %1").arg(kernelCount()));
        m_kernelIndex->setValue(m_current + 1);
    }
    m_removeKernel->setEnabled(kernelCount() > 1);
    const Kernel& cur = m_kernels[static_cast<std::size_t>(m_current)];
    m_presets->setCurrentIndex(0);
    for (int i = 1; i < m_presets->count(); ++i)
        if (kernelPreset(m_presets->itemData(i).toString().toStdString()).kernel == cur)
            m_presets->setCurrentIndex(i);
    m_kernelText->setText(QString::fromStdString(cur.str()));
    m_error.clear();
    m_errorLabel->clear();
    m_errorLabel->hide();
    fillTable();
    recompute();
}

void LabView::addKernel() {
    leaveLearnedMode();
    m_kernels.push_back(kernelPreset("identity").kernel);
    setCurrentKernel(kernelCount() - 1);
}

void LabView::removeKernel() {
    leaveLearnedMode();
    if (kernelCount() <= 1) return;
    m_kernels.erase(m_kernels.begin() + m_current);
    setCurrentKernel(std::min(m_current, kernelCount() - 1));
}

void LabView::setModel(const ModelInfo& info) {
    m_info = info;
    // The model identities were another model's.
    const bool hadRows = !m_modelChecks.empty();
    m_modelChecks.clear();
    m_modelLabel->setText(kModelIdentitiesPrompt);
    if (hadRows) computeIdentities();
    // A new model: the filter opened came from another one.
    if (m_learnedMode) setCurrentKernel(m_current);
    updateLearnedAvailability();
}

void LabView::showSnapshot(const InspectSnapshot& s) {
    if (s.input.empty()) return;
    const bool followTest = m_image.empty() || m_source == m_testSource;
    m_testImage = s.input;
    m_testSource = s.source;
    m_snapLayer = s.request.layer;
    m_snapFilters = s.filters;
    m_snapBias = s.filterBias;
    m_snapInput = s.input;
    m_snapActivations = s.activations;
    updateLearnedAvailability();
    if (m_learnedMode && m_snapLayer == m_learnedLayer && !m_snapLayerInput.empty() &&
        m_snapLayerInput.shape() == m_learnedInput.shape()) {
        // The same layer on another image (or newer weights' activations): follow the image.
        m_learnedInput = m_snapLayerInput;
        m_learnedOutput = m_snapLayerOutput;
        m_inputGrid->setMaps(m_learnedInput);
        recompute();
    }
    if (followTest && !m_learnedMode) setImage(s.input, s.source);
}

void LabView::updateLearnedAvailability() {
    m_snapLayerInput = Tensor();
    m_snapLayerOutput = Tensor();
    const int L = m_snapLayer;
    // The snapshot's layer must be a convolution of this model: its filters (Cout, Cin, kh, kw)
    // fit the layer's output channels and its input's channels.
    if (!m_snapFilters.empty() && m_snapFilters.rank() == 4 && L >= 0 &&
        L < m_info.layerInputs.size() && L < static_cast<int>(m_snapActivations.size()) &&
        L < m_info.layerShapes.size()) {
        const int from = m_info.layerInputs[L].value(0, -1);
        const Tensor& in = from < 0 ? m_snapInput
                                    : (from < static_cast<int>(m_snapActivations.size())
                                           ? m_snapActivations[static_cast<std::size_t>(from)]
                                           : Tensor());
        const Tensor& out = m_snapActivations[static_cast<std::size_t>(L)];
        if (in.rank() == 3 && out.rank() == 3 && out.dim(0) == m_snapFilters.dim(0)) {
            m_snapLayerInput = in;
            m_snapLayerOutput = out;
        }
    }
    const bool conv = !m_snapLayerInput.empty();
    m_loadLearned->setEnabled(conv);
    if (m_learnedMode) return;
    QSignalBlocker b(m_filterIndex);
    m_filterIndex->setRange(0, conv ? m_snapFilters.dim(0) - 1 : 0);
    m_learnedLabel->setText(
        conv ? QString("Learned filters of %1: %2 filters %3×%4 over %5 channels")
                   .arg(m_info.layerNames.value(L))
                   .arg(m_snapFilters.dim(0))
                   .arg(m_snapFilters.dim(2))
                   .arg(m_snapFilters.dim(3))
                   .arg(m_snapFilters.dim(1))
             : QString("Learned filters: select a convolution layer in the Layers tab"));
}

void LabView::setImage(const Tensor& x, const QString& source) {
    if (x.rank() != 3) return;
    m_image = x;
    m_source = source;
    if (!m_learnedMode) {
        m_sourceLabel->setText(source.toHtmlEscaped());
        m_inputGrid->setMaps(m_image);
    }
    recompute();
}

QString LabView::openImage(const QString& path) {
    DecodedImage img;
    std::string why;
    if (!decodeImage(path.toStdString(), img, &why))
        return QString("cannot read '%1' as an image: %2").arg(path, QString::fromStdString(why));
    int H = img.rows, W = img.cols;
    if (std::max(H, W) > kMaxLabImage) {
        const double f = static_cast<double>(kMaxLabImage) / std::max(H, W);
        H = std::max(1, static_cast<int>(std::lround(H * f)));
        W = std::max(1, static_cast<int>(std::lround(W * f)));
    }
    const std::vector<std::uint8_t> px = toModelInput(img, img.channels, H, W);
    Tensor x({img.channels, H, W});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = px[static_cast<std::size_t>(i)] / 255.0f;
    leaveLearnedMode();
    setImage(x,
             QString("%1 (%2×%3, pixels in [0, 1])").arg(QFileInfo(path).fileName()).arg(W).arg(H));
    return {};
}

Kernel LabView::editorKernel() const {
    if (!m_learnedMode) return m_kernels[static_cast<std::size_t>(m_current)];
    Kernel k;
    k.rows = m_filter.dim(1);
    k.cols = m_filter.dim(2);
    const float* p = m_filter.data() + static_cast<std::int64_t>(m_channel) * k.rows * k.cols;
    k.w.assign(p, p + k.rows * k.cols);
    return k;
}

void LabView::fillTable(bool updateText) {
    const Kernel k = editorKernel();
    m_updating = true;
    m_kernelTable->setRowCount(k.rows);
    m_kernelTable->setColumnCount(k.cols);
    for (int r = 0; r < k.rows; ++r)
        for (int c = 0; c < k.cols; ++c) {
            const QString t = QString::number(static_cast<double>(k.at(r, c)), 'g', 6);
            if (auto* it = m_kernelTable->item(r, c))
                it->setText(t);
            else
                m_kernelTable->setItem(r, c, new QTableWidgetItem(t));
            m_kernelTable->item(r, c)->setTextAlignment(Qt::AlignCenter);
        }
    m_rows->setValue(k.rows);
    m_cols->setValue(k.cols);
    if (updateText && !m_kernelText->hasFocus())
        m_kernelText->setText(QString::fromStdString(k.str()));
    m_updating = false;
}

void LabView::tableEdited() {
    if (m_updating) return;
    QStringList rows;
    for (int r = 0; r < m_kernelTable->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < m_kernelTable->columnCount(); ++c) {
            const QTableWidgetItem* it = m_kernelTable->item(r, c);
            cells << (it ? it->text().trimmed() : QString("0"));
        }
        rows << cells.join(",");
    }
    setKernelText(rows.join(";"));
    m_updating = true;
    m_kernelText->setText(rows.join(";"));
    m_updating = false;
}

QString LabView::setKernelText(const QString& text) {
    Kernel k;
    try {
        k = parseKernel(text.toStdString());
    } catch (const std::exception& e) {
        m_error = e.what();
        m_errorLabel->setText(m_error.toHtmlEscaped());
        m_errorLabel->show();
        return m_error;
    }
    if (m_learnedMode) {
        if (k.rows != m_filter.dim(1) || k.cols != m_filter.dim(2)) {
            m_error = QString(
                          "the learned filter is %1×%2; type a kernel of that size, or pick a "
                          "preset to leave the learned filter")
                          .arg(m_filter.dim(1))
                          .arg(m_filter.dim(2));
            m_errorLabel->setText(m_error);
            m_errorLabel->show();
            return m_error;
        }
        std::copy(k.w.begin(), k.w.end(),
                  m_filter.data() + static_cast<std::int64_t>(m_channel) * k.rows * k.cols);
    } else {
        m_kernels[static_cast<std::size_t>(m_current)] = k;
    }
    m_error.clear();
    m_errorLabel->clear();
    m_errorLabel->hide();
    fillTable(false);  // the text box keeps what is typed; the table follows
    m_presets->setCurrentIndex(0);
    for (int i = 1; i < m_presets->count(); ++i)
        if (!m_learnedMode &&
            kernelPreset(m_presets->itemData(i).toString().toStdString()).kernel == k)
            m_presets->setCurrentIndex(i);
    recompute();
    return {};
}

QString LabView::kernelText() const {
    return QString::fromStdString(editorKernel().str());
}

void LabView::setPreset(const QString& name) {
    try {
        m_kernels[static_cast<std::size_t>(m_current)] = kernelPreset(name.toStdString()).kernel;
    } catch (const std::exception& e) {
        m_error = e.what();
        m_errorLabel->setText(m_error);
        m_errorLabel->show();
        return;
    }
    leaveLearnedMode();
    m_error.clear();
    m_errorLabel->clear();
    m_errorLabel->hide();
    m_presets->setCurrentIndex(std::max(0, m_presets->findData(name)));
    m_kernelText->setText(QString::fromStdString(editorKernel().str()));
    fillTable();
    recompute();
}

void LabView::leaveLearnedMode() {
    if (!m_learnedMode) return;
    m_learnedMode = false;
    m_inputGrid->setMaps(m_image);
    m_sourceLabel->setText(m_source.toHtmlEscaped());
    m_reset->setEnabled(false);
    m_channelSpin->setEnabled(false);
    m_rows->setEnabled(true);
    m_cols->setEnabled(true);
    m_kernelIndex->setEnabled(true);
    m_addKernel->setEnabled(true);
    m_removeKernel->setEnabled(kernelCount() > 1);
}

void LabView::setConv(int stride, int padding, int dilation) {
    m_updating = true;
    m_stride->setValue(stride);
    m_padding->setValue(padding);
    m_dilation->setValue(dilation);
    m_updating = false;
    recompute();
}

QString LabView::loadLearnedFilter(int o) {
    if (m_snapFilters.empty() || m_snapLayerInput.empty())
        return "select a convolution layer in the Layers tab first: its filters come with it";
    const int Cout = m_snapFilters.dim(0), Cin = m_snapFilters.dim(1), kh = m_snapFilters.dim(2),
              kw = m_snapFilters.dim(3);
    if (o < 0 || o >= Cout)
        return QString("the layer has %1 filters; no filter %2").arg(Cout).arg(o);
    if (kh > kMaxLabKernel || kw > kMaxLabKernel)
        return QString("the layer's kernels are %1×%2; the lab edits kernels up to 7×7")
            .arg(kh)
            .arg(kw);
    if (m_snapLayerInput.dim(0) != Cin)
        return QString(
                   "the layer reads %1 channels but its filters have %2 (a grouped "
                   "convolution): the lab opens only ordinary convolutions")
            .arg(m_snapLayerInput.dim(0))
            .arg(Cin);
    // The layer's window, from the model's structure (no weights needed).
    LabConv conv;
    try {
        ShapesOnlyScope shapesOnly;
        Net net = buildNet(m_info.modelJson);
        if (auto* c = dynamic_cast<Conv2d*>(&net.layer(m_snapLayer))) {
            const Window2d& w = c->window();
            conv = {w.sh, w.ph, w.dh};
        }
    } catch (const std::exception&) {
        // A model without a document (built in code): stride 1, no padding, no dilation.
    }
    m_learned.weight = Tensor({Cin, kh, kw});
    const std::int64_t per = m_learned.weight.numel();
    std::copy(m_snapFilters.data() + o * per, m_snapFilters.data() + (o + 1) * per,
              m_learned.weight.data());
    m_learned.bias = m_snapBias.numel() > o ? m_snapBias[o] : 0.0f;
    m_learned.conv = conv;
    m_filter = m_learned.weight;
    m_learnedIndex = o;
    m_learnedLayer = m_snapLayer;
    m_learnedInput = m_snapLayerInput;
    m_learnedOutput = m_snapLayerOutput;
    m_learnedMode = true;
    m_channel = std::min(m_channel, Cin - 1);
    m_updating = true;
    m_filterIndex->setRange(0, Cout - 1);
    m_filterIndex->setValue(o);
    m_channelSpin->setRange(0, Cin - 1);
    m_channelSpin->setValue(m_channel);
    m_stride->setValue(conv.stride);
    m_padding->setValue(conv.padding);
    m_dilation->setValue(conv.dilation);
    m_updating = false;
    m_channelSpin->setEnabled(Cin > 1);
    m_reset->setEnabled(true);
    m_rows->setEnabled(false);
    m_cols->setEnabled(false);
    m_kernelIndex->setEnabled(false);
    m_addKernel->setEnabled(false);
    m_removeKernel->setEnabled(false);
    m_presets->setCurrentIndex(0);
    const QString layer = m_info.layerNames.value(m_snapLayer);
    m_sourceLabel->setText(QString("the input of %1 (%2 channel%3), from %4")
                               .arg(layer)
                               .arg(Cin)
                               .arg(Cin == 1 ? "" : "s")
                               .arg(m_testSource.toHtmlEscaped()));
    m_inputGrid->setMaps(m_learnedInput);
    m_error.clear();
    m_errorLabel->clear();
    m_errorLabel->hide();
    fillTable();
    recompute();
    return {};
}

void LabView::resetToLearned() {
    if (!m_learnedMode) return;
    m_filter = m_learned.weight;
    m_updating = true;
    m_stride->setValue(m_learned.conv.stride);
    m_padding->setValue(m_learned.conv.padding);
    m_dilation->setValue(m_learned.conv.dilation);
    m_updating = false;
    fillTable();
    recompute();
}

void LabView::recompute() {
    const LabConv conv{m_stride->value(), m_padding->value(), m_dilation->value()};
    try {
        if (m_learnedMode) {
            m_output = applyFilter(m_learnedInput, m_filter, m_learned.bias, conv);
        } else if (!m_image.empty()) {
            m_output = applyKernels(m_image, m_kernels, conv);
        } else {
            return;
        }
    } catch (const std::exception& e) {
        // Settings that leave no map (the kernel larger than the padded image): said where the
        // range goes; the kernel itself is fine.
        m_output = Tensor();
        m_outputGrid->setMaps(Tensor({1, 1, 1}));
        m_range = QString("no output: %1").arg(e.what());
        m_rangeLabel->setText("<span style='color:#b00'>" + m_range.toHtmlEscaped() + "</span>");
        m_checks.clear();
        m_table->setRowCount(0);
        emit mapUpdated();
        return;
    }
    m_outputGrid->setMaps(m_output);
    const int inC = m_learnedMode ? 1 : m_image.dim(0);
    QStringList names;  // which kernel each map (or group of maps) is
    if (m_learnedMode) {
        names << QString("filter #%1").arg(m_learnedIndex);
    } else {
        for (int k = 0; k < kernelCount(); ++k) {
            QString n = QString("kernel %1").arg(k + 1);
            for (const KernelPreset& p : kernelPresets())
                if (p.kernel == m_kernels[static_cast<std::size_t>(k)])
                    n = QString::fromStdString(p.title);
            names << n;
        }
    }
    m_range = QString("%1 map%2 %3×%4, values %5")
                  .arg(m_output.dim(0))
                  .arg(m_output.dim(0) == 1 ? ""
                       : inC == 1           ? "s (one per kernel)"
                                            : "s (one per kernel and input channel)")
                  .arg(m_output.dim(1))
                  .arg(m_output.dim(2))
                  .arg(rangeOf(m_output));
    if (m_learnedMode) {
        // Unedited, the map is the layer's own output channel: say how close.
        const bool same = m_filter.values() == m_learned.weight.values() &&
                          conv.stride == m_learned.conv.stride &&
                          conv.padding == m_learned.conv.padding &&
                          conv.dilation == m_learned.conv.dilation;
        QString text = QString("filter #%1 of %2 (bias %3)")
                           .arg(m_learnedIndex)
                           .arg(m_info.layerNames.value(m_learnedLayer))
                           .arg(number(m_learned.bias));
        if (same && m_learnedOutput.rank() == 3 && m_learnedOutput.dim(1) == m_output.dim(1) &&
            m_learnedOutput.dim(2) == m_output.dim(2)) {
            const std::int64_t P = m_output.numel();
            double worst = 0;
            for (std::int64_t k = 0; k < P; ++k)
                worst = std::max(worst, std::fabs(static_cast<double>(m_output[k]) -
                                                  m_learnedOutput[m_learnedIndex * P + k]));
            text += QString(": the layer's own map, largest difference %1").arg(number(worst));
        } else if (!same) {
            text += ": edited (Reset to learned restores it)";
        }
        m_learnedLabel->setText(text);
    }
    m_rangeLabel->setText(m_range + "<br>" + names.join(" | ").toHtmlEscaped());
    computeIdentities();
    emit mapUpdated();
}

void LabView::computeIdentities() {
    m_checks.clear();
    const Tensor& in = m_learnedMode ? m_learnedInput : m_image;
    try {
        if (!in.empty()) {
            Tensor x = in;
            x.reshape(in.shape().batched(1));
            if (x.dim(2) >= 2 && x.dim(3) >= 2) m_checks.push_back(checkAvgPoolAsConv(x, 2));
            const Tensor rgb = labRgb(x);
            m_checks.push_back(checkGrayAsConv(rgb));
            m_checks.push_back(checkGrayAsConv8Bit(rgb));
        }
        if (m_output.rank() == 3 && m_output.dim(1) >= 2 && m_output.dim(2) >= 2) {
            Tensor y = m_output;
            y.reshape(m_output.shape().batched(1));
            for (const char* f : {"ReLU", "Sigmoid", "Tanh", "GELU", "SiLU"})
                m_checks.push_back(checkActivationMaxPool(y, f, 2));
        }
    } catch (const std::exception& e) {
        m_diffLabel->setText(QString("identities: %1").arg(e.what()).toHtmlEscaped());
    }
    m_checks.insert(m_checks.end(), m_modelChecks.begin(), m_modelChecks.end());
    m_table->setRowCount(static_cast<int>(m_checks.size()));
    for (int r = 0; r < static_cast<int>(m_checks.size()); ++r) {
        const IdentityCheck& c = m_checks[static_cast<std::size_t>(r)];
        const QString cells[4] = {QString::fromStdString(c.name), number(c.maxAbsDifference),
                                  number(c.maxRelDifference), status(c)};
        for (int k = 0; k < 4; ++k) {
            auto* it = new QTableWidgetItem(cells[k]);
            if (k == 0)
                it->setToolTip(QString::fromStdString(c.title) + "\n" +
                               QString::fromStdString(c.note));
            if (k == 3 && !c.asExpected() && c.expected) it->setForeground(QColor(0xbb, 0, 0));
            m_table->setItem(r, k, it);
        }
    }
    m_table->resizeColumnToContents(0);
    m_table->resizeColumnToContents(1);
    m_table->resizeColumnToContents(2);
    m_table->resizeColumnToContents(3);
    selectIdentity(std::min(m_selected, static_cast<int>(m_checks.size()) - 1));
}

void LabView::selectIdentity(int row) {
    if (row < 0 || row >= static_cast<int>(m_checks.size())) {
        m_leftTitle->clear();
        m_rightTitle->clear();
        return;
    }
    m_selected = row;
    if (m_table->currentRow() != row) {
        QSignalBlocker b(m_table);
        m_table->selectRow(row);
    }
    showIdentity();
}

void LabView::showIdentity() {
    const IdentityCheck& c = m_checks[static_cast<std::size_t>(m_selected)];
    m_left->setMaps(displayMaps(c.a));
    m_right->setMaps(displayMaps(c.b));
    // What the maps are when they are not one image's.
    QString shown;
    if (c.a.rank() == 2) {
        shown =
            QString(" (%1 images × %2 outputs, a row per image)").arg(c.a.dim(0)).arg(c.a.dim(1));
    } else if (c.a.rank() == 4 && c.a.dim(0) > 1) {
        shown = QString(" (image 1 of %1)").arg(c.a.dim(0));
    }
    m_leftTitle->setText(
        QString("<b>%1</b>%2: %3")
            .arg(QString::fromStdString(c.left).toHtmlEscaped(), shown, rangeOf(c.a)));
    m_rightTitle->setText(
        QString("<b>%1</b>%2: %3")
            .arg(QString::fromStdString(c.right).toHtmlEscaped(), shown, rangeOf(c.b)));
    QString text = QString("<b>%1</b><br>largest difference %2 (relative %3): %4")
                       .arg(QString::fromStdString(c.title).toHtmlEscaped())
                       .arg(number(c.maxAbsDifference))
                       .arg(number(c.maxRelDifference))
                       .arg(status(c));
    if (!c.whereText.empty())
        text += "<br>largest " + QString::fromStdString(c.whereText).toHtmlEscaped();
    if (!c.note.empty()) text += "<br>" + QString::fromStdString(c.note).toHtmlEscaped();
    if (!c.expected && c.maxAbsDifference == 0)
        text +=
            "<br>Every window of this map lies where the function increases; inputs below "
            "about −0.75 (GELU) or −1.28 (SiLU) next to lower ones break it.";
    m_diffLabel->setText(text);
}

void LabView::setModelIdentities(const ModelIdentities& r) {
    QStringList html{QString("<b>Model identities on %1</b> (first 8 test images; the table's "
                             "model-… rows show both outputs):")
                         .arg(r.model.toHtmlEscaped())};
    if (!r.error.isEmpty())
        html << "<span style='color:#b00'>" + r.error.toHtmlEscaped() + "</span>";
    for (const QString& l : r.lines)
        html << l.toHtmlEscaped();
    m_modelLabel->setText(html.join("<br>"));
    m_modelChecks = r.checks;
    for (IdentityCheck& c : m_modelChecks)
        c.name = "model-" + c.name;
    computeIdentities();
    // Show the first model check: what was asked for.
    if (!m_modelChecks.empty())
        selectIdentity(static_cast<int>(m_checks.size() - m_modelChecks.size()));
}

QString LabView::modelIdentitiesText() const {
    return m_modelLabel->text();
}

QString LabView::rangeText() const {
    return m_range;
}

QString LabView::errorText() const {
    return m_error;
}

QString LabView::learnedText() const {
    return m_learnedLabel->text();
}

QString LabView::mapCsv() const {
    QStringList lines;
    if (m_output.rank() != 3) return {};
    const int C = m_output.dim(0), H = m_output.dim(1), W = m_output.dim(2);
    for (int c = 0; c < C; ++c) {
        if (C > 1) lines << QString("# map %1").arg(c);
        for (int h = 0; h < H; ++h) {
            QStringList row;
            for (int w = 0; w < W; ++w)
                row << QString::number(
                    static_cast<double>(m_output[(static_cast<std::int64_t>(c) * H + h) * W + w]),
                    'g', 9);
            lines << row.join(",");
        }
    }
    return lines.join("\n") + "\n";
}

QString LabView::identitiesCsv() const {
    QStringList lines{"identity,left,right,max_abs_difference,max_rel_difference,result"};
    for (const IdentityCheck& c : m_checks)
        lines << QString("\"%1\",\"%2\",\"%3\",%4,%5,%6")
                     .arg(QString::fromStdString(c.title), QString::fromStdString(c.left),
                          QString::fromStdString(c.right))
                     .arg(c.maxAbsDifference, 0, 'g', 9)
                     .arg(c.maxRelDifference, 0, 'g', 9)
                     .arg(status(c));
    return lines.join("\n") + "\n";
}

void LabView::dragEnterEvent(QDragEnterEvent* e) {
    if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void LabView::dropEvent(QDropEvent* e) {
    const auto urls = e->mimeData()->urls();
    if (urls.isEmpty()) return;
    const QString err = openImage(urls.first().toLocalFile());
    if (!err.isEmpty())
        m_sourceLabel->setText("<span style='color:#b00'>" + err.toHtmlEscaped() + "</span>");
}

}  // namespace ll::ui
