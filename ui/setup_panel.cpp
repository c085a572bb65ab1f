#include "ui/setup_panel.h"

#include "core/onnx/onnx_import.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

#include "core/model_file.h"

namespace ll::ui {

namespace {
QDoubleSpinBox* doubleBox(double lo, double hi, int decimals, double step) {
    auto* b = new QDoubleSpinBox;
    b->setRange(lo, hi);
    b->setDecimals(decimals);
    b->setSingleStep(step);
    return b;
}
}  // namespace

SetupPanel::SetupPanel(QWidget* parent) : QWidget(parent) {
    m_model = new QComboBox;
    for (const std::string& n : presetNames())
        m_model->addItem(QString::fromStdString(n));
    m_model->setCurrentText("lenet5");
    m_dataset = new QComboBox;
    m_dataset->addItem("MNIST", "mnist");
    m_dataset->addItem("CIFAR-10", "cifar10");
    m_dataset->addItem("Synthetic digits (built in)", "synthetic-digits");
    m_dataset->addItem("Synthetic shapes (built in)", "synthetic-shapes");
    m_dataset->addItem("Image folder (a folder per class)", "images");
    m_dataset->setToolTip("The synthetic sets are generated on the fly and need no download");
    m_dataDir = new QLineEdit;
    m_dataDir->setPlaceholderText("folder with MNIST or cifar-10-batches-bin");
    auto* browse = new QToolButton;
    browse->setText("…");
    m_optimizer = new QComboBox;
    for (const char* o : {"sgd", "momentum", "momentum_form1", "nesterov", "adam"})
        m_optimizer->addItem(o);
    m_lr = doubleBox(0, 10, 5, 0.001);
    m_lr->setToolTip(
        "The rate the run starts at; a schedule multiplies it epoch by epoch. "
        "Edited while training, it applies from the next batch.");
    m_lrSchedule = new QComboBox;
    m_lrSchedule->addItem("constant", "constant");
    m_lrSchedule->addItem("step: \u00d70.1 after \u00bd and \u00be of the epochs", "step");
    m_lrSchedule->addItem("cosine, to near 0 at the end", "cosine");
    // The entries' full texts show in the list; the box itself stays as narrow as the others.
    m_lrSchedule->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_lrSchedule->setMinimumContentsLength(12);
    m_lrSchedule->setToolTip(
        "How the learning rate changes from epoch to epoch. Step is He et al.'s ResNet recipe "
        "(divided by 10 at 32k and 48k of 64k iterations); cosine is Loshchilov and Hutter's "
        "without restarts. The Training tab plots the rate used.");
    m_momentum = doubleBox(0, 0.999, 3, 0.01);
    m_batch = new QSpinBox;
    m_batch->setRange(1, 4096);
    m_epochs = new QSpinBox;
    m_epochs->setRange(1, 1000);
    m_weightDecay = doubleBox(0, 1, 6, 0.0001);
    m_labelNoise = doubleBox(0, 1, 2, 0.1);
    m_labelNoise->setToolTip(
        "Fraction of training labels replaced by uniformly random ones (Zhang et al. 2017)");
    m_subset = new QSpinBox;
    m_subset->setRange(0, 1000000);
    m_subset->setSpecialValueText("all");
    m_subset->setToolTip("Train on this many images (0: all)");
    m_seed = new QSpinBox;
    m_seed->setRange(0, 1000000);
    m_seed->setValue(1);

    auto* form = new QFormLayout;
    form->addRow("Model", m_model);
    form->addRow("Data set", m_dataset);
    auto* dirRow = new QHBoxLayout;
    dirRow->addWidget(m_dataDir, 1);
    dirRow->addWidget(browse);
    form->addRow("Data folder", dirRow);
    form->addRow("Optimizer", m_optimizer);
    form->addRow("Learning rate", m_lr);
    form->addRow("Rate schedule", m_lrSchedule);
    form->addRow("Momentum", m_momentum);
    form->addRow("Batch", m_batch);
    form->addRow("Epochs", m_epochs);
    form->addRow("Weight decay", m_weightDecay);
    form->addRow("Label noise", m_labelNoise);
    form->addRow("Training subset", m_subset);
    form->addRow("Seed", m_seed);

    m_train = new QPushButton("Train");
    m_pause = new QPushButton("Pause");
    m_step = new QPushButton("Step");
    m_stop = new QPushButton("Stop");
    m_train->setToolTip("Start a new run from fresh weights (Ctrl+T)");
    m_pause->setToolTip("Pause or resume (Ctrl+P)");
    m_step->setToolTip("While paused: train one batch (Ctrl+J)");
    m_stop->setToolTip("Stop within one batch; the metrics so far are kept (Ctrl+K)");
    auto* buttons = new QGridLayout;
    buttons->addWidget(m_train, 0, 0);
    buttons->addWidget(m_pause, 0, 1);
    buttons->addWidget(m_step, 1, 0);
    buttons->addWidget(m_stop, 1, 1);
    m_epochBar = new QProgressBar;
    m_epochBar->setFormat("epoch %p%");
    m_runBar = new QProgressBar;
    m_runBar->setFormat("run %p%");
    m_eta = new QLabel;

    auto* lay = new QVBoxLayout(this);
    lay->addLayout(form);
    lay->addLayout(buttons);
    lay->addWidget(m_epochBar);
    lay->addWidget(m_runBar);
    lay->addWidget(m_eta);
    lay->addStretch(1);

    connect(m_model, &QComboBox::currentTextChanged, this, [this](const QString& m) {
        applyModelDefaults(m);
        emit modelOrDataChanged(false);
    });
    connect(m_dataset, qOverload<int>(&QComboBox::activated), this,
            [this] { emit modelOrDataChanged(true); });
    // editingFinished also comes when the field merely loses focus: only a new folder counts.
    connect(m_dataDir, &QLineEdit::editingFinished, this, [this] {
        if (m_dataDir->text() == m_shownDir) return;
        m_shownDir = m_dataDir->text();
        emit modelOrDataChanged(true);
    });
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, "Data folder", m_dataDir->text());
        if (d.isEmpty()) return;
        m_dataDir->setText(d);
        m_shownDir = d;
        emit modelOrDataChanged(true);
    });
    connect(m_lr, &QDoubleSpinBox::editingFinished, this,
            [this] { emit learningRateEdited(m_lr->value()); });
    applyModelDefaults(m_model->currentText());
    setRunning(false, false);
}

void SetupPanel::applyModelDefaults(const QString& model) {
    try {
        // An ONNX file's defaults are fixed: reading them must not parse a 250 MB file here, on
        // the GUI thread (the worker imports it).
        const std::string name = model.toStdString();
        const ModelDefaults d =
            isOnnxPath(name) ? onnxFineTuneDefaults() : readModelSpec(name).defaults;
        m_optimizer->setCurrentText(QString::fromStdString(d.optimizer));
        m_lr->setValue(d.lr);
        setLrSchedule(d.lrSchedule);
        m_momentum->setValue(d.momentum);
        m_batch->setValue(d.batch);
        m_epochs->setValue(d.epochs);
        m_weightDecay->setValue(d.weightDecay);
        const int i =
            isOnnxPath(name) ? -1 : m_dataset->findData(QString::fromStdString(d.dataset));
        if (i >= 0) m_dataset->setCurrentIndex(i);
        m_lossName = QString::fromStdString(d.loss);
        m_rawPixels = d.rawPixels;
        m_augment = d.augment;
    } catch (const std::exception&) {
        // The worker reports a bad model when it loads it.
    }
}

void SetupPanel::setModel(const QString& model) {
    if (m_model->findText(model) < 0) m_model->addItem(model);
    m_model->setCurrentText(model);
}

QString SetupPanel::model() const {
    return m_model->currentText();
}

QStringList SetupPanel::modelChoices() const {
    QStringList list;
    for (int i = 0; i < m_model->count(); ++i)
        list << m_model->itemText(i);
    return list;
}

void SetupPanel::setDataDir(const QString& dir) {
    m_dataDir->setText(dir);
    m_shownDir = dir;
}

QString SetupPanel::dataDir() const {
    return m_dataDir->text();
}

QString SetupPanel::dataset() const {
    return m_dataset->currentData().toString();
}

void SetupPanel::setDataset(const QString& dataset) {
    const int i = m_dataset->findData(dataset);
    if (i >= 0) m_dataset->setCurrentIndex(i);
}

void SetupPanel::setEpochs(int epochs) {
    m_epochs->setValue(epochs);
}

void SetupPanel::setSeed(int seed) {
    m_seed->setValue(seed);
}

void SetupPanel::setTraining(const QString& optimizer, double lr, const LrSchedule& schedule,
                             double momentum, double weightDecay, const QString& loss) {
    if (m_optimizer->findText(optimizer) >= 0) m_optimizer->setCurrentText(optimizer);
    m_lr->setValue(lr);
    setLrSchedule(schedule);
    m_momentum->setValue(momentum);
    m_weightDecay->setValue(weightDecay);
    if (!loss.isEmpty()) m_lossName = loss;
}

void SetupPanel::setLrSchedule(const LrSchedule& schedule) {
    const QString text = QString::fromStdString(schedule.str());
    int i = m_lrSchedule->findData(text);
    if (i < 0) {
        m_lrSchedule->addItem(text, text);
        i = m_lrSchedule->count() - 1;
    }
    m_lrSchedule->setCurrentIndex(i);
}

LrSchedule SetupPanel::lrSchedule() const {
    // Every entry was made from a schedule's own text, so it reads back.
    return parseLrSchedule(m_lrSchedule->currentData().toString().toStdString());
}

void SetupPanel::setLabelNoise(double p) {
    m_labelNoise->setValue(p);
}

void SetupPanel::setTrainingSubset(int count) {
    m_subset->setValue(count);
}

void SetupPanel::setBatch(int batch) {
    m_batch->setValue(batch);
}

RunSettings SetupPanel::settings() const {
    RunSettings s;
    s.model = m_model->currentText();
    s.data.dataset = m_dataset->currentData().toString().toStdString();
    s.data.dir = m_dataDir->text().toStdString();
    s.data.labelNoise = m_labelNoise->value();
    s.data.trainSubset = m_subset->value();
    s.data.seed = static_cast<std::uint64_t>(m_seed->value());
    TrainConfig& c = s.config;
    c.optimizer = m_optimizer->currentText().toStdString();
    c.opt.lr = static_cast<float>(m_lr->value());
    c.lrSchedule = lrSchedule();
    c.opt.momentum = static_cast<float>(m_momentum->value());
    c.opt.weightDecay = static_cast<float>(m_weightDecay->value());
    c.batch = m_batch->value();
    c.epochs = m_epochs->value();
    c.seed = static_cast<std::uint64_t>(m_seed->value());
    c.loss = m_lossName.toStdString();
    c.batchOptions.rawPixels = m_rawPixels;
    c.batchOptions.augment = m_augment;
    c.batchOptions.signedLabels = makeLoss(c.loss)->signedLabels();
    return s;
}

SetupPanel::State SetupPanel::saveState() const {
    State s;
    s.models = modelChoices();
    s.model = m_model->currentText();
    s.dataset = dataset();
    s.dataDir = m_dataDir->text();
    s.optimizer = m_optimizer->currentText();
    s.lossName = m_lossName;
    s.lr = m_lr->value();
    s.lrSchedule = m_lrSchedule->currentData().toString();
    s.momentum = m_momentum->value();
    s.weightDecay = m_weightDecay->value();
    s.labelNoise = m_labelNoise->value();
    s.batch = m_batch->value();
    s.epochs = m_epochs->value();
    s.subset = m_subset->value();
    s.seed = m_seed->value();
    s.rawPixels = m_rawPixels;
    s.augment = m_augment;
    return s;
}

void SetupPanel::restoreState(const State& s) {
    const QSignalBlocker b1(m_model), b2(m_dataset), b3(m_dataDir), b4(m_optimizer), b5(m_lr),
        b6(m_momentum), b7(m_weightDecay), b8(m_labelNoise), b9(m_batch), b10(m_epochs),
        b11(m_subset), b12(m_seed), b13(m_lrSchedule);
    if (modelChoices() != s.models) {
        m_model->clear();
        m_model->addItems(s.models);
    }
    m_model->setCurrentText(s.model);
    setDataset(s.dataset);
    m_dataDir->setText(s.dataDir);
    m_shownDir = s.dataDir;
    m_optimizer->setCurrentText(s.optimizer);
    m_lossName = s.lossName;
    m_lr->setValue(s.lr);
    setLrSchedule(parseLrSchedule(s.lrSchedule.toStdString()));
    m_momentum->setValue(s.momentum);
    m_weightDecay->setValue(s.weightDecay);
    m_labelNoise->setValue(s.labelNoise);
    m_batch->setValue(s.batch);
    m_epochs->setValue(s.epochs);
    m_subset->setValue(s.subset);
    m_seed->setValue(s.seed);
    m_rawPixels = s.rawPixels;
    m_augment = s.augment;
}

QString SetupPanel::etaText() const {
    return m_eta->text();
}

int SetupPanel::runProgress() const {
    return m_runBar->value();
}

int SetupPanel::runProgressMaximum() const {
    return m_runBar->maximum();
}

void SetupPanel::setRunning(bool running, bool paused) {
    m_train->setEnabled(!running);
    m_pause->setEnabled(running);
    m_pause->setText(paused ? "Resume" : "Pause");
    m_step->setEnabled(running && paused);
    m_stop->setEnabled(running);
    if (!running) m_eta->clear();  // no time is left once a run has ended
}

void SetupPanel::setProgress(int batchInEpoch, int batchesPerEpoch, int epoch, int epochs,
                             double eta) {
    m_epochBar->setMaximum(std::max(1, batchesPerEpoch));
    m_epochBar->setValue(batchInEpoch);
    const int total = std::max(1, batchesPerEpoch * epochs);
    m_runBar->setMaximum(total);
    m_runBar->setValue(std::min(total, (epoch - 1) * batchesPerEpoch + batchInEpoch));
    if (eta >= 0 && std::isfinite(eta)) {
        const int s = static_cast<int>(eta);
        m_eta->setText(QString("epoch %1/%2, about %3:%4 left")
                           .arg(epoch)
                           .arg(epochs)
                           .arg(s / 60)
                           .arg(s % 60, 2, 10, QChar('0')));
    } else {
        m_eta->setText(QString());
    }
}

}  // namespace ll::ui
