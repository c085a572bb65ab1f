#include "ui/window_menus.h"

#include <QAction>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QTabWidget>
#include <QTextStream>
#include <functional>

#include "core/build_info.h"
#include "core/experiments.h"
#include "ui/banner.h"
#include "ui/cost_view.h"
#include "ui/experiment_view.h"
#include "ui/image_views.h"
#include "ui/insight_view.h"
#include "ui/lab_view.h"
#include "ui/layers_view.h"
#include "ui/main_window.h"
#include "ui/plot.h"
#include "ui/plot_export.h"
#include "ui/training_view.h"
#include "ui/unit_view.h"

namespace ll::ui {

namespace {

void addFileMenu(MainWindow& w, QMenu* file) {
    file->addAction("&Open model file…", QKeySequence::Open, &w, [&w] {
        const QString path =
            QFileDialog::getOpenFileName(&w, "Open a model file", {},
                                         "Models (*.json *.onnx);;LayerLens models (*.json);;ONNX "
                                         "models (*.onnx);;All files (*)");
        if (!path.isEmpty()) w.openModelFile(path);
    });
    file->addAction("Open &checkpoint…", &w, [&w] {
        if (w.isTraining())
            return w.banner()->showProblem("stop training before opening a checkpoint");
        const QString path = QFileDialog::getOpenFileName(&w, "Open a checkpoint", {},
                                                          "LayerLens checkpoints (*.llck)");
        if (!path.isEmpty()) w.openPath(path);
    });
    file->addAction("&Save checkpoint…", QKeySequence::Save, &w, [&w] {
        if (w.isTraining())
            return w.banner()->showProblem("stop or finish training before saving a checkpoint");
        const QString path = QFileDialog::getSaveFileName(
            &w, "Save checkpoint", w.modelInfo().model + ".llck", "LayerLens checkpoints (*.llck)");
        if (!path.isEmpty()) w.saveCheckpoint(path);
    });
}

bool writeText(const QString& path, const QString& text) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
    QTextStream(&f) << text;
    return true;
}

void addExportMenu(MainWindow& w, QMenu* exp) {
    exp->addAction("Model as &ONNX…", &w, [&w] {
        if (w.isTraining())
            return w.banner()->showProblem("stop or finish training before exporting the model");
        const QString path = QFileDialog::getSaveFileName(
            &w, "Export the model as ONNX", w.modelInfo().model + ".onnx", "ONNX models (*.onnx)");
        if (!path.isEmpty()) w.exportModelAsOnnx(path);
    });
    exp->addSeparator();
    // Plots (PNG, SVG, PDF) and images (PNG, SVG, PDF).
    const auto plot = [&](const QString& label, const QString& name, std::function<Plot*()> p) {
        exp->addAction(label, &w, [&w, name, p] { exportPlotInteractively(p(), &w, name); });
    };
    const auto widget = [&](const QString& label, const QString& name,
                            std::function<QWidget*()> p) {
        exp->addAction(label, &w, [&w, name, p] { exportWidgetInteractively(p(), &w, name); });
    };
    plot("Loss plot…", "loss", [&w] { return w.trainingView()->lossPlot(); });
    plot("Accuracy plot…", "accuracy", [&w] { return w.trainingView()->accuracyPlot(); });
    plot("Gradient-norm plot…", "gradient-norms",
         [&w] { return w.trainingView()->gradientPlot(); });
    widget("Feature maps…", "feature-maps", [&w] { return w.layersView()->grid(); });
    widget("Input with receptive field…", "receptive-field",
           [&w] { return w.layersView()->inputView(); });
    widget("Lab maps…", "lab-maps", [&w] { return w.labView()->outputGrid(); });
    plot("Cost chart…", "costs", [&w] { return w.costView()->chart(); });
    plot("Confusion matrix…", "confusion-matrix", [&w] { return w.insightView()->heatmap(); });
    widget("Misclassified images…", "misclassified", [&w] { return w.insightView()->gallery(); });
    plot("Weight histogram…", "weight-histogram",
         [&w] { return w.insightView()->weightHistogram(); });
    plot("Gradient histogram…", "gradient-histogram",
         [&w] { return w.insightView()->gradientHistogram(); });
    plot("Experiment summary chart…", "experiment", [&w] { return w.experimentView()->chart(); });
    plot("Experiment gradient norms per layer…", "experiment-gradient-norms",
         [&w] { return w.experimentView()->normsChart(); });
    widget("Units grid (top-k and optimized inputs)…", "units",
           [&w] { return w.unitView()->grid(); });
    plot("Units ascent curve…", "activation-ascent", [&w] { return w.unitView()->curvePlot(); });
    exp->addSeparator();
    // Tables and summaries as text.
    const auto text = [&](const QString& label, const QString& title, std::function<QString()> file,
                          const QString& filter, std::function<QString()> content) {
        exp->addAction(label, &w, [&w, title, file, filter, content] {
            const QString path = QFileDialog::getSaveFileName(&w, title, file(), filter);
            if (!path.isEmpty() && !writeText(path, content()))
                w.banner()->showProblem("could not write " + path);
        });
    };
    const QString csv = "CSV (*.csv)", md = "Markdown (*.md)";
    text(
        "Metrics as CSV…", "Export metrics", [] { return QString("metrics.csv"); }, csv,
        [&w] { return w.metricsCsv(); });
    text(
        "Cost table as CSV…", "Export cost table",
        [&w] { return w.modelInfo().model + "-costs.csv"; }, csv,
        [&w] { return w.costView()->csv(); });
    text(
        "Experiment summary as Markdown…", "Export experiment summary",
        [] { return QString("experiment.md"); }, md,
        [&w] { return w.experimentView()->markdown(); });
    text(
        "Units summary as Markdown…", "Export the units summary",
        [] { return QString("units.md"); }, md, [&w] { return w.unitView()->markdown(); });
    text(
        "Cost table as Markdown…", "Export cost table",
        [&w] { return w.modelInfo().model + "-costs.md"; }, md,
        [&w] { return w.costView()->markdown(); });
}

void addRunMenu(MainWindow& w, QMenu* run) {
    run->addAction("&Train", QKeySequence("Ctrl+T"), &w, &MainWindow::startTraining);
    run->addAction("&Pause / resume", QKeySequence("Ctrl+P"), &w, &MainWindow::pauseOrResume);
    run->addAction("&Step one batch", QKeySequence("Ctrl+J"), &w, &MainWindow::stepOnce);
    run->addAction("Sto&p", QKeySequence("Ctrl+K"), &w, &MainWindow::stopTraining);
    run->addSeparator();
    QAction* tensorboard = run->addAction("Write &TensorBoard logs");
    tensorboard->setCheckable(true);
    tensorboard->setToolTip(
        "Each run also writes a TensorBoard log in its run folder (tensorboard/): tensorboard "
        "--logdir on the runs folder shows them all, live");
    tensorboard->setChecked(QSettings().value("writeTensorBoard", false).toBool());
    w.runController()->setWriteTensorBoard(tensorboard->isChecked());
    QObject::connect(tensorboard, &QAction::toggled, &w, [&w](bool on) {
        QSettings().setValue("writeTensorBoard", on);
        w.runController()->setWriteTensorBoard(on);
    });
}

void addExperimentsMenu(MainWindow& w, QMenu* experiments) {
    for (const std::string& e : experimentNames()) {
        const QString name = QString::fromStdString(e);
        std::string explain;
        experimentVariants(e, explain);
        QAction* a = experiments->addAction(name, &w, [&w, name] { w.runExperiment(name); });
        a->setToolTip(QString::fromStdString(explain));
        a->setStatusTip(QString::fromStdString(explain));
    }
    experiments->addSeparator();
    experiments
        ->addAction("Fold batch norm of the current model", &w, &MainWindow::checkBatchNormFolding)
        ->setToolTip(
            "Folds every BatchNorm that follows a Conv2d or Linear into it and compares the "
            "outputs on the test set: same outputs, fewer layers");
    experiments
        ->addAction("Apply activations after max-pooling of the current model", &w,
                    &MainWindow::checkActivationSwap)
        ->setToolTip(
            "Moves every monotonic activation (ReLU, sigmoid, tanh) that feeds a "
            "max-pool after it and compares the outputs on the test set: same outputs, "
            "fewer activation evaluations");
    experiments->setToolTipsVisible(true);
}

void addViewMenu(MainWindow& w, QMenu* view) {
    QTabWidget* tabs = w.tabs();
    for (int i = 0; i < tabs->count(); ++i) {
        view->addAction(tabs->tabText(i), QKeySequence(QString("Ctrl+%1").arg(i + 1)), &w,
                        [tabs, i] { tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    for (QDockWidget* d : w.findChildren<QDockWidget*>())
        view->addAction(d->toggleViewAction());
    view->addAction("Reset layout", &w, &MainWindow::resetLayout);
    view->addAction("Next layer (PgDn)", &w, [&w] { w.layersView()->nextLayer(); });
    view->addAction("Previous layer (PgUp)", &w, [&w] { w.layersView()->previousLayer(); });
}

void addHelpMenu(MainWindow& w, QMenu* help) {
    help->addAction("&Keyboard shortcuts", &w, [&w] {
        QMessageBox::information(
            &w, "Keyboard shortcuts",
            "Ctrl+T  train\nCtrl+P  pause / resume\nCtrl+J  one batch while paused\nCtrl+K  stop\n"
            "Ctrl+1…8  Training / Layers / Cost / Insight / Experiment / Graph / Lab / Units\n"
            "PgUp/PgDn or ←/→  previous / next layer (Layers tab)\n"
            "Mouse wheel / drag  zoom / pan a plot; double-click  reset the view\n"
            "Right-click  export a plot or image");
    });
    help->addAction("&About LayerLens", &w,
                    [&w] { QMessageBox::about(&w, "About LayerLens", aboutText()); });
}

}  // namespace

QString aboutText() {
    QString facts;
    for (const QString& line : QString::fromStdString(buildInfo(qtVersionLine())).split('\n'))
        if (!line.isEmpty()) facts += line.toHtmlEscaped() + "<br>";
    return QString(
               "<b>LayerLens %1</b><br>See inside a neural network while it trains.<br>"
               "C++17, Qt 6, QCustomPlot, OpenCV, Eigen; its own training core with "
               "hand-written backpropagation.<br><br>%2")
        .arg(buildVersion(), facts);
}

std::string qtVersionLine() {
    return std::string("Qt: ") + qVersion() + " (built with " QT_VERSION_STR ")\n";
}

QMenu* buildMenus(MainWindow& w) {
    QMenuBar* bar = w.menuBar();
    QMenu* file = bar->addMenu("&File");
    addFileMenu(w, file);
    addExportMenu(w, file->addMenu("&Export"));
    file->addAction("Download &MNIST…", &w, [&w] { w.downloadData("mnist"); });
    file->addAction("Download CIFAR-&10…", &w, [&w] { w.downloadData("cifar10"); });
    QMenu* recent = file->addMenu("&Recent files");
    file->addSeparator();
    file->addAction("&Quit", QKeySequence::Quit, &w, &QWidget::close);
    addRunMenu(w, bar->addMenu("&Run"));
    addExperimentsMenu(w, bar->addMenu("&Experiments"));
    addViewMenu(w, bar->addMenu("&View"));
    addHelpMenu(w, bar->addMenu("&Help"));
    return recent;
}

}  // namespace ll::ui
