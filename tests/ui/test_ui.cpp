// The desktop app, headless (QT_QPA_PLATFORM=offscreen): the window trains on generated data,
// steps through layers, shows the clicked unit's receptive field, exports, and stops cleanly.
#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QAbstractSpinBox>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDockWidget>
#include <QFile>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMouseEvent>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextStream>

#include <cmath>
#include <map>

#include "core/analysis/cost.h"
#include "core/analysis/unit_visualization.h"
#include "core/checkpoint.h"
#include "core/foreign_runs.h"
#include "core/model_file.h"
#include "core/onnx/onnx_export.h"
#include "core/onnx/onnx_import.h"
#include "core/runs.h"
#include "core/tfevents.h"
#include "support/blobs.h"
#include "support/http_server.h"
#include "support/onnx_builder.h"
#include "ui/cost_view.h"
#include "ui/experiment_view.h"
#include "ui/graph_view.h"
#include "ui/image_decoder.h"
#include "ui/image_views.h"
#include "ui/insight_view.h"
#include "ui/item_models.h"
#include "ui/lab_view.h"
#include "ui/layers_view.h"
#include "ui/main_window.h"
#include "ui/plot.h"
#include "ui/plot_export.h"
#include "ui/run_controller.h"
#include "ui/run_export.h"
#include "ui/run_status.h"
#include "ui/runs_panel.h"
#include "ui/setup_panel.h"
#include "ui/thread_handoff.h"
#include "ui/training_view.h"
#include "ui/unit_view.h"

using namespace ll;
using namespace ll::ui;

namespace {

// Waits and time limits, multiplied by LAYERLENS_TEST_SLOWDOWN (default 1) for sanitizer builds,
// where everything runs 5-15x slower: the limits stay real limits in the ordinary build.
int slow(int ms) {
    static const int factor = std::max(1, qEnvironmentVariableIntValue("LAYERLENS_TEST_SLOWDOWN"));
    return ms * factor;
}

// A small conv net on 12×12 blobs: two conv layers so receptive fields grow.
const char* kNet = R"({"name": "uinet", "input": [1, 12, 12],
  "defaults": {"optimizer": "adam", "lr": 0.01, "batch": 16, "epochs": 2},
  "layers": [
    {"type": "Conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel": 2},
    {"type": "Conv2d", "out": 6, "kernel": 3}, {"type": "ReLU"},
    {"type": "Flatten"}, {"type": "Linear", "out": 4}]})";

Dataset blobs12(int n, std::uint64_t seed) {
    Dataset small = test::blobs(n, seed);
    Dataset d = small;
    d.height = d.width = 12;
    d.images.assign(static_cast<std::size_t>(n) * 144, 0);
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < 8; ++r)
            for (int c = 0; c < 8; ++c)
                d.images[static_cast<std::size_t>(i) * 144 + (r + 2) * 12 + c + 2] =
                    small.images[static_cast<std::size_t>(i) * 64 + r * 8 + c];
    return d;
}

std::shared_ptr<const DataPair> blobData(int n = 320) {
    auto p = std::make_shared<DataPair>();
    p->train = blobs12(n, 1);
    p->test = blobs12(96, 2);
    p->test.split = "test";
    return p;
}

QByteArray head(const QString& path, int n) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.read(n);
}

}  // namespace

class UiTest : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_model;

    // The window shown, no questions asked, with a small one-epoch setup on a built-in data set
    // (the experiment tests).
    void showSmallSetup(MainWindow& w, const QString& model, const QString& dataset, int subset) {
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.setConfirmStop(false);
        w.setup()->setModel(model);
        w.setup()->setDataset(dataset);
        w.setup()->setEpochs(1);
        w.setup()->setTrainingSubset(subset);
    }

    void loadWindow(MainWindow& w, int epochs = 2) {
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.setConfirmStop(false);
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.setPreloadedData(blobData());
        w.setup()->setModel(m_model);  // loads it, with the data above
        w.setup()->setEpochs(epochs);
        QVERIFY2(loaded.count() > 0 || loaded.wait(slow(5000)),
                 qPrintable(w.lastError() + " | " + w.setup()->model() + " | " +
                            RunController::stateName(w.runController()->state())));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    }

    // Settings for a RunController: the test net on blobs, `epochs` epochs.
    RunSettings controllerSettings(int epochs) {
        RunSettings s;
        s.model = m_model;
        s.preloaded = blobData();
        s.config = trainConfigFromDefaults(readModelSpec(m_model.toStdString()).defaults);
        s.config.epochs = epochs;
        return s;
    }
    static QList<RunController::State> states(const QSignalSpy& spy) {
        QList<RunController::State> list;
        for (const QList<QVariant>& args : spy)
            list << args.first().value<RunController::State>();
        return list;
    }

private slots:
    void initTestCase() {
        // ctest runs the test functions as parallel processes: each gets its own home, so
        // settings, saved runs and downloads of one never meet another's.
        QVERIFY(m_dir.isValid());
        qputenv("HOME", m_dir.filePath("home").toUtf8());
        QStandardPaths::setTestModeEnabled(true);  // settings of the tests, not the user's
        installQtImageDecoder();
        QSettings().clear();
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/runs")
            .removeRecursively();
        QVERIFY(m_dir.isValid());
        m_model = m_dir.filePath("uinet.json");
        QFile f(m_model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kNet);
    }

    void trainsAndDrawsCurves() {
        MainWindow w;
        w.show();
        loadWindow(w);
        QCOMPARE(w.modelInfo().layerNames.size(), 7);
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.startTraining();
        QVERIFY(done.wait(slow(20000)));
        QCOMPARE(done.first().first().toString(), QString("completed"));
        // The bars end full (the progress ticks every 200 ms; the last batches come after the
        // last tick of the run), with no time left shown.
        QTRY_COMPARE_WITH_TIMEOUT(w.setup()->runProgress(), w.setup()->runProgressMaximum(), 2000);
        QCOMPARE(w.setup()->runProgressMaximum(), 40);
        QVERIFY2(w.setup()->etaText().isEmpty(), qPrintable(w.setup()->etaText()));
        // ... and the status bar still says how the run ended.
        const auto* status = w.findChild<RunStatus*>();
        QVERIFY(status);
        QVERIFY2(status->text().startsWith("run completed ("), qPrintable(status->text()));
        // 320 images / batch 16 = 20 batches per epoch, 2 epochs.
        Plot* loss = w.trainingView()->lossPlot();
        QCOMPARE(loss->graph(0)->dataCount(), 40);
        QCOMPARE(loss->graph(2)->dataCount(), 2);  // a test evaluation per epoch
        Plot* acc = w.trainingView()->accuracyPlot();
        QCOMPARE(acc->graph(1)->dataCount(), 2);
        QVERIFY(acc->graph(1)->data()->at(1)->value > 60.0);          // blobs are easy
        QCOMPARE(w.trainingView()->gradientPlot()->graphCount(), 3);  // conv1, conv2, fc1
        QVERIFY(w.metricsCsv().count('\n') >= 41);
        QVERIFY(loss->readout(10).contains("training loss (per batch)"));
        // The confusion matrix after the last epoch, with its mistakes.
        QTRY_COMPARE_WITH_TIMEOUT(w.insightView()->snapshot().epoch, 2, slow(5000));
        const ConfusionSnapshot& cs = w.insightView()->snapshot();
        QCOMPARE(cs.matrix.total(), 96LL);  // every test image
        const std::int64_t wrong =
            cs.matrix.total() - static_cast<std::int64_t>(std::llround(cs.matrix.accuracy() * 96));
        QCOMPARE(static_cast<std::int64_t>(cs.mistakes.size()), wrong);
        QCOMPARE(w.insightView()->gallery()->count(), static_cast<int>(cs.mistakes.size()));
        for (int t = 0; t < cs.matrix.classes; ++t)
            for (int p = 0; p < cs.matrix.classes; ++p) {
                if (t == p || cs.matrix.at(t, p) == 0) continue;
                w.insightView()->selectCell(t, p);
                QCOMPARE(static_cast<std::int64_t>(w.insightView()->gallery()->count()),
                         cs.matrix.at(t, p));
            }
        // Weight and gradient histograms of the three parameterized layers, at least one per epoch.
        QVERIFY(w.insightView()->histogramSnapshots() >= 2);
        QCOMPARE(w.insightView()->weightHistogram()->plottableCount() >= 1, true);
        const HistogramSnapshot& hs = w.insightView()->histogramHistory().back();
        QCOMPARE(static_cast<int>(hs.layers.size()), 3);
        QCOMPARE(hs.layers[0].name, QString("conv1"));
        int total = 0, gradTotal = 0;
        for (int c : hs.layers[0].weights)
            total += c;
        for (int c : hs.layers[0].grads)
            gradTotal += c;
        QCOMPARE(total, 4 * 9 + 4);  // every weight and bias of conv1 falls in a bin
        QCOMPARE(gradTotal, 4 * 9 + 4);
        // The run was saved as it went, and can be overlaid on the plots.
        const RunData run = loadRun(w.currentRunDir().toStdString());
        QCOMPARE(static_cast<int>(run.batches.size()), 40);
        QCOMPARE(static_cast<int>(run.evals.size()), 2);
        QVERIFY(run.configJson.find("\"seed\": 1") != std::string::npos);
        QCOMPARE(static_cast<int>(run.batches.back().norms.size()), 3);
        QCOMPARE(run.batches.back().norms[2].layer, std::string("fc1"));
        QVERIFY(run.batches.back().norms[0].gradNorm > 0);
        // Its final weights land in its folder once the run has ended.
        const QString ckpt = QString::fromStdString(runCheckpointPath(run.dir));
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(ckpt), slow(5000));
        RunsPanel* runs = w.runsPanel();
        QListWidget* list = runs->list();
        QVERIFY(list->count() >= 1);
        QListWidgetItem* mine = nullptr;
        for (int i = 0; i < list->count(); ++i)
            if (list->item(i)->data(Qt::UserRole).toString() == w.currentRunDir())
                mine = list->item(i);
        QVERIFY(mine);
        mine->setCheckState(Qt::Checked);
        // Loss, training and test accuracy, the 3 layers' gradient norms, and a legend key in the
        // accuracy and gradient plots (the loss legend names the run); the run shows its colour
        // and dash in the list.
        QCOMPARE(w.trainingView()->overlayGraphs(), 3 + 3 + 2);
        QVERIFY(!mine->icon().isNull());
        QCOMPARE(w.trainingView()
                     ->gradientPlot()
                     ->graph(w.trainingView()->gradientPlot()->graphCount() - 2)
                     ->dataCount(),
                 40);
        QCOMPARE(w.trainingView()
                     ->lossPlot()
                     ->graph(w.trainingView()->lossPlot()->graphCount() - 1)
                     ->dataCount(),
                 40);
        mine->setCheckState(Qt::Unchecked);
        QCOMPARE(w.trainingView()->overlayGraphs(), 0);
        // Opening the run loads its final weights: training goes on from its step 40, and its
        // curves are overlaid again.
        QSignalSpy again(&w, &MainWindow::runFinished);
        // Another model in the panel first: opening the run switches back, and its weights land
        // on the net of that setup, not before it (the setup is queued ahead of the checkpoint).
        w.setup()->setModel("lenet5");
        w.openRun(w.currentRunDir());
        QTest::qWait(300);  // as a user would: the window settles before Train is pressed
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        QCOMPARE(mine->checkState(), Qt::Checked);
        w.setup()->setEpochs(3);
        QVERIFY(QMetaObject::invokeMethod(&w, [&w] { w.startTraining(); }));
        QVERIFY(again.wait(slow(20000)));
        const RunData continued = loadRun(w.currentRunDir().toStdString());
        QVERIFY(!continued.batches.empty());
        QCOMPARE(continued.batches.front().step, std::int64_t{41});
        QVERIFY(continued.batches.front().loss < run.batches.front().loss);
        // The finished run refreshed the list: its items are new ones.
        mine = nullptr;
        for (int i = 0; i < list->count(); ++i)
            if (list->item(i)->data(Qt::UserRole).toString() == QString::fromStdString(run.dir))
                mine = list->item(i);
        QVERIFY(mine);
        QCOMPARE(mine->checkState(), Qt::Checked);  // the refresh kept the tick
        mine->setCheckState(Qt::Unchecked);
        list->setCurrentItem(mine);
        runs->setConfirm(false);
        runs->renameSelected("renamed-run");
        QVERIFY(QFileInfo::exists(runs->root() + "/renamed-run/config.json"));
        list->setCurrentItem(list->findItems("renamed-run", Qt::MatchExactly).value(0));
        runs->deleteSelected();
        QVERIFY(!QFileInfo::exists(runs->root() + "/renamed-run"));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    }

    void nextAndPreviousLayerChangeTheGrid() {
        MainWindow w;
        w.show();
        loadWindow(w);
        LayersView* lv = w.layersView();
        w.tabs()->setCurrentIndex(1);
        QTRY_VERIFY_WITH_TIMEOUT(w.snapshotsReceived() > 0, slow(5000));
        lv->setCurrentLayer(0);
        QTRY_COMPARE_WITH_TIMEOUT(lv->grid()->maps(), 4, slow(5000));  // conv1: 4 maps
        lv->nextLayer();
        lv->nextLayer();
        QCOMPARE(lv->currentLayer(), 2);
        lv->nextLayer();  // conv2: 6 maps
        QTRY_COMPARE_WITH_TIMEOUT(lv->grid()->maps(), 6, slow(5000));
        lv->setFocus();
        QTest::keyClick(lv, Qt::Key_PageUp);
        QCOMPARE(lv->currentLayer(), 2);
        QTest::keyClick(lv, Qt::Key_PageDown);
        QCOMPARE(lv->currentLayer(), 3);
        lv->previousLayer();
        lv->previousLayer();
        lv->previousLayer();
        lv->previousLayer();  // clamps at 0
        QCOMPARE(lv->currentLayer(), 0);
        QVERIFY(lv->statsText().contains("zeros"));
    }

    void clickOnAUnitShowsItsReceptiveField() {
        MainWindow w;
        w.show();
        loadWindow(w);
        LayersView* lv = w.layersView();
        w.tabs()->setCurrentIndex(1);
        lv->setCurrentLayer(3);  // conv2: (6, 4, 4)
        QTRY_COMPARE_WITH_TIMEOUT(lv->grid()->maps(), 6, slow(5000));
        // Let pending snapshots and layouts settle so the rectangle is where the click lands.
        QTest::qWait(200);
        const QRect r = lv->grid()->unitRect(2, 1, 3);
        QVERIFY(r.isValid());
        QTest::mouseClick(lv->grid(), Qt::LeftButton, {}, r.center());
        QVERIFY(lv->inputView()->hasRegion());
        // The analysis code's answer for the same unit.
        Net net = loadModelFile(m_model.toStdString());
        const CostTable t = computeCosts(net);
        const UnitRegion want = unitRegion(t.findLeaf("conv2").rf, 1, 3, 12, 12);
        const UnitRegion& got = lv->inputView()->region();
        QCOMPARE(got.rows[0], want.rows[0]);
        QCOMPARE(got.rows[1], want.rows[1]);
        QCOMPARE(got.cols[0], want.cols[0]);
        QCOMPARE(got.cols[1], want.cols[1]);
        QCOMPARE(got.rows[1] - got.rows[0], 8);  // 3×3 conv, pool 2, 3×3 conv: 8 pixels
        QCOMPARE(got.cols[0], -1 + 3 * 2);
    }

    void saliencyAndGradCamOverlays() {
        MainWindow w;
        w.show();
        loadWindow(w);
        LayersView* lv = w.layersView();
        lv->setCurrentLayer(3);  // conv2: (6, 4, 4)
        lv->setOverlay(1, 2);    // saliency of class 2
        QTRY_VERIFY_WITH_TIMEOUT(
            lv->lastSnapshot().request.overlay == 1 && !lv->lastSnapshot().erf.empty(), slow(5000));
        QCOMPARE(lv->lastSnapshot().erf.shape(), Shape({12, 12}));
        QCOMPARE(lv->lastSnapshot().overlayClass, 2);
        QVERIFY(lv->lastSnapshot().erf.sumSquares() > 0);
        lv->setOverlay(2);  // Grad-CAM of conv2 for the predicted class
        QTRY_VERIFY_WITH_TIMEOUT(lv->lastSnapshot().request.overlay == 2, slow(5000));
        QCOMPARE(lv->lastSnapshot().erf.shape(), Shape({12, 12}));
        QVERIFY(lv->lastSnapshot().overlayClass >= 0);
        lv->setCurrentLayer(5);  // flatten: no maps, no Grad-CAM, and no error
        QTRY_VERIFY_WITH_TIMEOUT(lv->lastSnapshot().request.layer == 5, slow(5000));
        QVERIFY(lv->lastSnapshot().erf.empty());
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    }

    void experimentPresetRunsFromTheSameStartAndOverlays() {
        MainWindow w;
        showSmallSetup(w, "lenet5", "synthetic-digits", 200);
        QSignalSpy done(&w, &MainWindow::experimentFinished);
        w.runExperiment("optimizers");
        QVERIFY(done.wait(slow(60000)));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        // The summary: a row per variant, in order.
        QCOMPARE(w.experimentView()->table()->rowCount(), 5);
        QCOMPARE(w.experimentView()->table()->item(4, 0)->text(), QString("adam"));
        QCOMPARE(w.experimentView()->table()->item(1, 0)->text(), QString("momentum"));
        // Five runs saved and overlaid: a loss, a training and a test accuracy curve each, and the
        // gradient norm of LeNet-5's five parameterized layers.
        QCOMPARE(w.trainingView()->overlayGraphs(), 5 * (3 + 5) + 2);
        // The loss legend names the runs without their shared prefix and time stamps.
        QStringList legend;
        Plot* lossPlot = w.trainingView()->lossPlot();
        for (int i = 0; i < lossPlot->legend->itemCount(); ++i)
            if (auto* it = dynamic_cast<QCPPlottableLegendItem*>(lossPlot->legend->item(i)))
                legend << it->plottable()->name();
        QVERIFY2(legend.contains("momentum-form1 (saved run)"), qPrintable(legend.join(" | ")));
        QVERIFY2(legend.contains("adam (saved run)"), qPrintable(legend.join(" | ")));
        QCOMPARE(w.experimentView()->normsChart()->graphCount(), 5);
        // Both momentum forms: the same curve, said in numbers (200 images, batches of 100).
        QVERIFY2(w.experimentView()->findingsText().contains("momentum form I"),
                 qPrintable(w.experimentView()->findingsText()));
        QVERIFY2(w.experimentView()->findingsText().contains("over 2 batches"),
                 qPrintable(w.experimentView()->findingsText()));
        std::vector<RunData> runs = w.runsPanel()->checkedRuns();
        QCOMPARE(static_cast<int>(runs.size()), 5);
        // The experiment's notice stays with its results, and goes when an ordinary run starts
        // (it stayed during the next run).
        QVERIFY2(w.bannerText().contains("Experiment optimizers"), qPrintable(w.bannerText()));
        {
            QSignalSpy plain(&w, &MainWindow::runFinished);
            QVERIFY(QMetaObject::invokeMethod(&w, [&w] { w.startTraining(); }));
            QVERIFY(plain.wait(slow(30000)));
            QVERIFY2(!w.bannerText().contains("Experiment"), qPrintable(w.bannerText()));
        }
        // The same start: every run's first batch (before any update) has the same loss.
        for (const RunData& r : runs) {
            QVERIFY(!r.batches.empty());
            QCOMPARE(r.batches.front().loss, runs.front().batches.front().loss);
        }
        // "Same start" from a saved run, after the panel was changed (another seed, optimizer,
        // learning rate and batch): the run's settings come back, and the new run repeats it
        // exactly — every batch loss of its first epoch is the same.
        const RunData& sgd = *std::find_if(runs.begin(), runs.end(), [](const RunData& r) {
            return r.name.find("optimizers-sgd") == 0;
        });
        w.setup()->setSeed(7);
        w.setup()->setBatch(32);
        w.setup()->setTraining("adam", 0.5, parseLrSchedule("step:0.2,0.4:0.3"), 0.9, 0.0,
                               "cross_entropy");
        QCOMPARE(w.setup()->settings().config.lrSchedule.str(), std::string("step:0.2,0.4:0.3"));
        w.sameStartAs(QString::fromStdString(sgd.dir));
        const RunSettings s = w.setup()->settings();
        QCOMPARE(s.config.seed, std::uint64_t{1});
        QCOMPARE(s.config.optimizer, std::string("sgd"));
        QCOMPARE(s.config.opt.lr, 0.05f);
        QCOMPARE(s.config.lrSchedule.str(), std::string("constant"));
        QCOMPARE(s.config.batch, 100);
        QCOMPARE(s.data.trainSubset, 200.0);
        QSignalSpy finished(&w, &MainWindow::runFinished);
        QVERIFY(QMetaObject::invokeMethod(&w, [&w] { w.startTraining(); }));
        QVERIFY(finished.wait(slow(30000)));
        const RunData again = loadRun(w.currentRunDir().toStdString());
        QCOMPARE(again.batches.size(), sgd.batches.size());
        for (std::size_t i = 0; i < sgd.batches.size(); ++i)
            QCOMPARE(again.batches[i].loss, sgd.batches[i].loss);
        QCOMPARE(again.epochs.front().testAccuracy, sgd.epochs.front().testAccuracy);
        QVERIFY(again.configJson.find("\"train_images\": 200") != std::string::npos);
    }

    // BatchNorm: with and without, then the trained net with BN folded: same outputs, fewer
    // layers; and the same check asked from the menu for a model without batch norm.
    void batchNormExperimentShowsTheFolding() {
        MainWindow w;
        showSmallSetup(w, "smallnet-bn", "synthetic-shapes", 128);
        QSignalSpy folded(&w, &MainWindow::foldChecked);
        QSignalSpy done(&w, &MainWindow::experimentFinished);
        w.runExperiment("batchnorm");
        QVERIFY2(done.wait(slow(90000)), qPrintable(w.lastError()));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        QCOMPARE(folded.count(), 1);
        QCOMPARE(folded.first().first().toString(), QString());
        const QString text = w.experimentView()->findingsText();
        QVERIFY2(text.contains("11 → 8 top-level layers (conv1+bn1, conv2+bn2, fc1+bn3 folded)"),
                 qPrintable(text));
        QVERIFY2(text.contains("the same prediction for 1000 of 1000"), qPrintable(text));
        QCOMPARE(w.experimentView()->table()->rowCount(), 2);
        const QString md = w.experimentView()->markdown();
        QVERIFY2(md.contains("## Experiment batchnorm"), qPrintable(md));
        QVERIFY2(md.contains("| variant | train acc | test acc | test error | seconds |"),
                 qPrintable(md));
        QVERIFY2(md.contains("\n| with-bn | "), qPrintable(md));
        QVERIFY2(md.contains("- Same outputs: on 1000 test images"), qPrintable(md));
        // A layer keeps its place on the per-layer chart: without batch norm, conv2 is still the
        // third tick (conv1, bn1, conv2, ...).
        Plot* norms = w.experimentView()->normsChart();
        QCOMPARE(norms->graphCount(), 2);
        QCOMPARE(norms->graph(0)->dataCount(), 7);  // conv1 bn1 conv2 bn2 fc1 bn3 fc2
        QCOMPARE(norms->graph(1)->dataCount(), 4);  // conv1 conv2 fc1 fc2
        QCOMPARE(norms->graph(1)->data()->at(1)->key, 2.0);
        QCOMPARE(norms->graph(1)->data()->at(3)->key, 6.0);
        // After the experiment the views show the panel's model again (smallnet-bn): it folds.
        QTRY_COMPARE_WITH_TIMEOUT(w.modelInfo().model, QString("smallnet-bn"), slow(10000));
        w.checkBatchNormFolding();
        QVERIFY(folded.wait(slow(10000)));
        QCOMPARE(folded.last().first().toString(), QString());
        // The variant without batch norm (its model file is in the experiments folder): nothing
        // to fold, said plainly.
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.openModelFile(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                        "/experiments/batchnorm-without-bn.json");
        w.setup()->setDataset("synthetic-shapes");  // one setup with the change above
        QVERIFY2(loaded.wait(slow(10000)), qPrintable(w.lastError()));
        w.checkBatchNormFolding();
        QVERIFY(folded.wait(slow(10000)));
        QVERIFY2(folded.last().first().toString().contains("nothing to fold"),
                 qPrintable(folded.last().first().toString()));
        QVERIFY(w.experimentView()->findingsText().contains("nothing to fold"));
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.experimentView()));
        QCOMPARE(w.experimentView()->chart()->xAxis->label(), QString("variant"));
        // Random labels: the axis is the noise ratio ("noise-0.2" → tick "0.2").
        ExperimentView v;
        v.start("random-labels", "noise");
        EpochReport e;
        e.testAccuracy = 0.9;
        v.addResult("noise-0.0", e, 1.0);
        e.testAccuracy = 0.1;
        v.addResult("noise-1.0", e, 1.0);
        QCOMPARE(v.chart()->xAxis->label(), QString("noise"));
        auto* ticker = dynamic_cast<QCPAxisTickerText*>(v.chart()->xAxis->ticker().data());
        QVERIFY(ticker);
        QCOMPARE(ticker->ticks().value(1.0), QString("1.0"));
    }

    // After an experiment whose variants are other models than the panel's, the views show the
    // panel's model again, not the last variant's (they disagreed: panel lenet5, Cost relu-mlp).
    void experimentLeavesThePanelsModelShown() {
        MainWindow w;
        showSmallSetup(w, "lenet5", "synthetic-digits", 200);
        w.loadSetup();
        QTRY_COMPARE_WITH_TIMEOUT(w.modelInfo().model, QString("lenet5"), slow(10000));
        QSignalSpy done(&w, &MainWindow::experimentFinished);
        w.runExperiment("vanishing-gradients");
        QVERIFY(done.wait(slow(60000)));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        QCOMPARE(w.setup()->model(), QString("lenet5"));
        QTRY_COMPARE_WITH_TIMEOUT(w.modelInfo().model, QString("lenet5"), slow(10000));
    }

    // Runs written elsewhere (by `layerlens train --out DIR`) are listed once their folder is
    // chosen; opening one without final weights says so, and a damaged one says what is wrong.
    void runsOfAnotherFolder() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.setConfirmStop(false);
        const QString root = m_dir.filePath("cli-runs");
        DataOptions d;
        d.dataset = "synthetic-digits";
        TrainConfig c;
        c.seed = 5;
        c.batch = 32;
        {
            RunLog log =
                RunLog::create(root.toStdString(), "lenet5-cli", runConfigJson("lenet5", "", d, c));
            BatchReport b;
            b.step = 1;
            b.epoch = 1;
            b.loss = 2.3;
            log.appendBatch(b);
        }
        RunLog::create(root.toStdString(), "gone-model",
                       runConfigJson("/no/such/model.json", "", d, c));
        w.runsPanel()->setRoot(root);
        QCOMPARE(w.runsPanel()->list()->count(), 2);
        w.openRun(root + "/lenet5-cli");
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        QVERIFY2(w.bannerText().contains("no final weights"), qPrintable(w.bannerText()));
        QCOMPARE(w.setup()->settings().config.seed, std::uint64_t{5});
        QCOMPARE(w.setup()->settings().config.batch, 32);
        QCOMPARE(w.setup()->dataset(), QString("synthetic-digits"));
        QCOMPARE(w.trainingView()->overlayGraphs(), 3 + 2);  // no norms in that run: keys only
        w.openRun(root + "/gone-model");
        QVERIFY2(w.lastError().contains("is no longer there"), qPrintable(w.lastError()));
        // An experiment variant's model exists only as the document in its run; a subset given as
        // a fraction comes back as the count it gave.
        DataOptions tenth = d;
        tenth.trainSubset = 0.1;
        const std::string relu =
            RunLog::create(root.toStdString(), "relu",
                           runConfigJson("relu-mlp", presetJson("mlp-mnist"), tenth, c, {}, 1200))
                .dir();
        w.openRun(QString::fromStdString(relu));
        QVERIFY2(w.bannerText().contains("no final weights"), qPrintable(w.bannerText()));
        QCOMPARE(w.setup()->model(), QString::fromStdString(relu + "/model.json"));
        QCOMPARE(w.setup()->settings().data.trainSubset, 1200.0);
        // `layerlens FILE` and the file manager go through openPath: a run's folder opens as a
        // run, another folder becomes the data folder, a missing file is said so.
        w.setup()->setSeed(9);
        w.openPath(root + "/lenet5-cli");
        QCOMPARE(w.setup()->settings().config.seed, std::uint64_t{5});
        const QString dataDir = m_dir.filePath("some-data");
        QVERIFY(QDir().mkpath(dataDir));
        w.openPath(dataDir);
        QCOMPARE(QFileInfo(w.setup()->dataDir()).canonicalFilePath(),
                 QFileInfo(dataDir).canonicalFilePath());
        w.openPath(m_dir.filePath("missing.llck"));
        QVERIFY2(w.lastError().contains("no such file"), qPrintable(w.lastError()));
        // Another tool's log (Lightning's metrics.csv, accuracy not logged at every step) is
        // listed, overlays with every point of both curves, and is not opened as a run.
        const QString foreign = root + "/lightning";
        QVERIFY(QDir().mkpath(foreign));
        {
            QFile f(foreign + "/metrics.csv");
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("epoch,step,train_loss,train_acc\n0,1,2.0,0.25\n0,2,1.5,\n0,3,1.0,0.5\n");
        }
        w.runsPanel()->refresh();
        QCOMPARE(w.runsPanel()->list()->count(), 4);
        const int before = w.trainingView()->overlayGraphs();
        w.runsPanel()->checkRuns({foreign});
        QCOMPARE(w.trainingView()->overlayGraphs(), before + 3);
        QCPGraph* trainAcc = nullptr;
        for (int i = 0; i < w.trainingView()->accuracyPlot()->graphCount(); ++i)
            if (w.trainingView()->accuracyPlot()->graph(i)->name().startsWith(
                    "lightning: training"))
                trainAcc = w.trainingView()->accuracyPlot()->graph(i);
        QVERIFY(trainAcc);
        QCOMPARE(trainAcc->data()->size(), 2);  // the step without accuracy is skipped, not NaN
        // The smoothing's second value (bias-corrected EMA, alpha 0.05) from 0.25 and 0.5.
        QVERIFY(std::fabs(trainAcc->data()->at(1)->value - 100.0 * (0.95 * 0.25 + 0.5) / 1.95) <
                1e-9);
        w.openRun(foreign);
        QVERIFY2(w.lastError().contains("holds no model"), qPrintable(w.lastError()));
    }

    // Run → Write TensorBoard logs: the run's folder gets tensorboard/ with an event file that
    // reads back as the same 40 training losses and 2 evaluations; the choice is remembered.
    void writesATensorBoardLogWhenAsked() {
        QSettings().remove("writeTensorBoard");
        MainWindow w;
        w.show();
        loadWindow(w);
        QAction* tb = nullptr;
        for (QAction* a : w.findChildren<QAction*>())
            if (a->text() == "Write &TensorBoard logs") tb = a;
        QVERIFY(tb && tb->isCheckable() && !tb->isChecked());
        tb->setChecked(true);
        QVERIFY(QSettings().value("writeTensorBoard").toBool());
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.startTraining();
        QVERIFY(done.wait(slow(20000)));
        const QString log = w.currentRunDir() + "/tensorboard";
        QVERIFY2(QFileInfo(log).isDir(), qPrintable(log));
        const RunData r = loadForeignRun(log.toStdString());
        QCOMPARE(r.kind, std::string("tensorboard"));
        QCOMPARE(static_cast<int>(r.batches.size()), 40);
        QCOMPARE(static_cast<int>(r.evals.size()), 2);
        // The run itself still reads as ours, with the same losses.
        const RunData ours = loadRun(w.currentRunDir().toStdString());
        QCOMPARE(ours.kind, std::string("layerlens"));
        QCOMPARE(static_cast<float>(r.batches.back().loss),
                 static_cast<float>(ours.batches.back().loss));
        tb->setChecked(false);
        QVERIFY(!QSettings().value("writeTensorBoard").toBool());
    }

    // A TensorBoard log a job elsewhere is still writing: ticked, it is followed, and what the
    // writer flushes reaches the loss plot within the poll interval; renamed, it keeps its folder
    // and shows the label in the legend.
    void followsALiveTensorBoardLog() {
        MainWindow w;
        w.show();
        const QString root = m_dir.filePath("live-runs");
        QDir(root).removeRecursively();
        const QString log = root + "/cluster-job";
        EventFileWriter writer(log.toStdString(), [] { return 1.0e9; });
        for (int s = 0; s < 5; ++s)
            writer.addScalars(s, {{"train/loss", 2.0f - 0.1f * s}});
        writer.flush();
        RunsPanel* runs = w.runsPanel();
        runs->setFollowInterval(50);
        runs->setRoot(root);
        QCOMPARE(runs->list()->count(), 1);
        runs->checkRuns({log});
        QCOMPARE(runs->followedCount(), 1);
        const auto lossPoints = [&]() -> int {
            for (int i = 0; i < w.trainingView()->lossPlot()->graphCount(); ++i) {
                QCPGraph* g = w.trainingView()->lossPlot()->graph(i);
                if (g->name().startsWith("cluster-job")) return g->data()->size();
            }
            return -1;
        };
        QCOMPARE(lossPoints(), 5);
        QSignalSpy changed(runs, &RunsPanel::overlaysChanged);
        for (int s = 5; s < 8; ++s)
            writer.addScalars(s, {{"train/loss", 2.0f - 0.1f * s}});
        writer.flush();
        QVERIFY(changed.wait(slow(5000)));
        QCOMPARE(lossPoints(), 8);
        // With LAYERLENS_UI_SCREENSHOTS=DIR: the followed log beside a live run, for the README.
        if (const QByteArray dir = qgetenv("LAYERLENS_UI_SCREENSHOTS"); !dir.isEmpty()) {
            loadWindow(w);
            QSignalSpy done(&w, &MainWindow::runFinished);
            w.startTraining();
            QVERIFY(done.wait(slow(20000)));
            QTest::qWait(1000);  // the plots and bars redraw on a timer
            QVERIFY(w.grab().save(QString::fromLocal8Bit(dir) + "/layerlens-runs-tensorboard.png"));
        }
        // Renamed: a label; the folder and its file are untouched.
        runs->list()->setCurrentRow(0);
        runs->renameSelected("GPU run 3");
        QVERIFY(QFileInfo::exists(log));
        QCOMPARE(runs->list()->item(0)->text(), QString("GPU run 3"));
        QCOMPARE(runs->checkedRuns().at(0).name, std::string("GPU run 3"));
        bool labelled = false;
        for (int i = 0; i < w.trainingView()->lossPlot()->graphCount(); ++i)
            labelled =
                labelled || w.trainingView()->lossPlot()->graph(i)->name().startsWith("GPU run 3");
        QVERIFY(labelled);
        // Map tags…: the log's own "objective" tag is chosen as the accuracy; remembered, and the
        // followed log is read again with it.
        writer.addScalars(8, {{"objective", 0.75f}});
        writer.flush();
        QVERIFY(changed.wait(slow(5000)));
        runs->list()->setCurrentRow(0);
        QTimer::singleShot(0, [] {
            for (QWidget* top : QApplication::topLevelWidgets())
                if (auto* d = qobject_cast<QDialog*>(top); d && d->isVisible()) {
                    d->findChild<QComboBox*>("map-1")->setCurrentText("objective");
                    d->accept();
                }
        });
        runs->mapTagsOfSelected();
        QCOMPARE(runs->tagMapping().at("objective"), Curve::Accuracy);
        const RunData mapped = runs->checkedRuns().at(0);
        QVERIFY(std::any_of(mapped.curves.begin(), mapped.curves.end(), [](const CurvePoints& cp) {
            return cp.curve == Curve::Accuracy && cp.source == "objective";
        }));
        runs->setTagMapping({});
        QVERIFY(runs->tagMapping().empty());
        // Unticked: no longer followed.
        runs->list()->item(0)->setCheckState(Qt::Unchecked);
        QCOMPARE(runs->followedCount(), 0);
        runs->renameSelected("");  // back to the folder's name
        QCOMPARE(runs->list()->item(0)->text(), QString("cluster-job"));
    }

    void opensAnImageFileAsTheInput() {
        MainWindow w;
        w.show();
        loadWindow(w);
        LayersView* lv = w.layersView();
        QImage img(40, 30, QImage::Format_RGB32);
        img.fill(Qt::black);
        for (int y = 10; y < 20; ++y)
            for (int x = 5; x < 35; ++x)
                img.setPixel(x, y, qRgb(255, 255, 255));
        const QString path = m_dir.filePath("bar.png");
        QVERIFY(img.save(path));
        const int before = w.snapshotsReceived();
        QCOMPARE(lv->openImage(path), QString());
        QTRY_VERIFY_WITH_TIMEOUT(w.snapshotsReceived() > before, slow(5000));
        QTRY_VERIFY_WITH_TIMEOUT(lv->statsText().contains("activations"), slow(5000));
        QVERIFY(!lv->openImage(m_dir.filePath("missing.png")).isEmpty());
        QFile junk(m_dir.filePath("junk.png"));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not an image");
        junk.close();
        QVERIFY(lv->openImage(junk.fileName()).contains("cannot read"));
    }

    // The convolution lab: a typed kernel changes the map at once; the identities on this input
    // show exact zeros for ReLU; a learned filter opens, is edited and reset.
    void labTypesAKernelAndShowsIdentities() {
        MainWindow w;
        w.show();
        loadWindow(w);
        LabView* lab = w.labView();
        w.tabs()->setCurrentWidget(lab);
        QTRY_VERIFY_WITH_TIMEOUT(!lab->input().empty(), slow(5000));
        const Tensor x = lab->input();  // (1, 12, 12), the current test image
        QCOMPARE(x.shape(), Shape({1, 12, 12}));
        // It opens with the course's two forward differences, one map each, 10×10 without
        // padding: x[i][j+1] − x[i][j] and x[i+1][j] − x[i][j] around the centre pixel.
        QCOMPARE(lab->kernelCount(), 2);
        QCOMPARE(lab->kernelText(), QString("0,0,0;0,-1,1;0,0,0"));
        QCOMPARE(lab->outputMap().shape(), Shape({2, 10, 10}));
        QCOMPARE(lab->outputMap()[0], x[1 * 12 + 2] - x[1 * 12 + 1]);
        QCOMPARE(lab->outputMap()[100], x[2 * 12 + 1] - x[1 * 12 + 1]);
        QVERIFY2(lab->rangeText().contains("2 maps (one per kernel) 10×10"),
                 qPrintable(lab->rangeText()));
        // One kernel left (the second removed), then the editor's own.
        lab->setCurrentKernel(1);
        QCOMPARE(lab->kernelText(), QString("0,0,0;0,-1,0;0,1,0"));
        lab->removeKernel();
        QCOMPARE(lab->kernelCount(), 1);
        QCOMPARE(lab->outputMap().shape(), Shape({1, 10, 10}));
        // Type a kernel: twice the centre pixel. The map follows as the text changes.
        QSignalSpy updated(lab, &LabView::mapUpdated);
        lab->kernelEdit()->setFocus();
        lab->kernelEdit()->selectAll();
        QTest::keyClicks(lab->kernelEdit(), "0 0 0; 0 2 0; 0 0 0");
        QVERIFY(updated.count() > 0);
        QCOMPARE(lab->errorText(), QString());
        for (int i : {0, 37, 99})
            QCOMPARE(lab->outputMap()[i], 2 * x[(i / 10 + 1) * 12 + i % 10 + 1]);
        QVERIFY(lab->rangeText().contains("1 map 10×10, values"));
        QCOMPARE(lab->kernelTable()->item(1, 1)->text(), QString("2"));
        // A ragged kernel is refused with its row; the map keeps the last good kernel.
        QTest::keyClicks(lab->kernelEdit(), "; 1");
        QVERIFY2(lab->errorText().contains("kernel row 4 has 1 value, row 1 has 3"),
                 qPrintable(lab->errorText()));
        QCOMPARE(lab->outputMap()[0], 2 * x[13]);
        // An edit in the table: the centre weight 3.
        lab->kernelTable()->item(1, 1)->setText("3");
        QCOMPARE(lab->outputMap()[0], 3 * x[13]);
        QCOMPARE(lab->kernelEdit()->text(), QString("0,0,0;0,3,0;0,0,0"));
        // Stride 2 and padding 1: 6×6.
        lab->setConv(2, 1, 1);
        QCOMPARE(lab->outputMap().shape(), Shape({1, 6, 6}));
        // Too much dilation leaves no map: said, no crash.
        lab->setConv(1, 0, 7);
        QVERIFY2(lab->rangeText().contains("no output"), qPrintable(lab->rangeText()));
        lab->setConv(1, 0, 1);
        // The identities panel: the ReLU commutation and the pooling identity show 0 here.
        lab->setPreset("dx");
        QTableWidget* t = lab->identityTable();
        QVERIFY(t->rowCount() >= 6);
        bool sawRelu = false;
        for (int r = 0; r < t->rowCount(); ++r) {
            const QString title = t->item(r, 0)->text();
            if (title == "ReLU-maxpool") {
                sawRelu = true;
                QCOMPARE(t->item(r, 1)->text(), QString("0"));
                QCOMPARE(t->item(r, 3)->text(), QString("holds"));
                lab->selectIdentity(r);
                QVERIFY(lab->identityPair()->findChild<QLabel*>() != nullptr);
            }
            if (title == "avgpool-2")
                QVERIFY2(t->item(r, 1)->text().toDouble() <= 1e-6,
                         qPrintable(t->item(r, 1)->text()));
        }
        QVERIFY(sawRelu);
        QVERIFY(lab->identitiesCsv().contains("ReLU(maxpool(x))"));
        QVERIFY(lab->mapCsv().count('\n') == 10);
        for (const char* ext : {"png", "svg", "pdf"}) {
            const QString f = m_dir.filePath(QString("lab.%1").arg(ext));
            QCOMPARE(exportWidget(lab->outputGrid(), f), QString());
            QCOMPARE(exportWidget(lab->identityPair(), m_dir.filePath(QString("pair.%1").arg(ext))),
                     QString());
        }
        // The learned filter of the first convolution, selected in the Layers tab: applied to
        // the layer's input it is the layer's own map.
        QVERIFY(!lab->loadLearnedFilter(2).isEmpty());  // layer 1, a ReLU, is inspected now
        w.layersView()->setCurrentLayer(0);
        QString learnedError;
        QTRY_VERIFY2_WITH_TIMEOUT((learnedError = lab->loadLearnedFilter(2)).isEmpty(),
                                  qPrintable(learnedError), slow(5000));
        QVERIFY(lab->learnedMode());
        QVERIFY2(lab->learnedText().contains("the layer's own map, largest difference"),
                 qPrintable(lab->learnedText()));
        const double ownDifference =
            lab->learnedText().section("largest difference ", 1).toDouble();
        QVERIFY2(ownDifference < 1e-5, qPrintable(lab->learnedText()));
        const Tensor learned = lab->outputMap();
        QCOMPARE(learned.shape(), Shape({1, 12, 12}));  // padding 1, as the layer
        const QString w0 = lab->kernelTable()->item(0, 0)->text();
        lab->kernelTable()->item(0, 0)->setText(QString::number(w0.toDouble() + 1.0));
        QVERIFY(lab->outputMap().values() != learned.values());
        QVERIFY(lab->learnedText().contains("edited"));
        lab->resetToLearned();
        QCOMPARE(lab->outputMap().values(), learned.values());
        // The model identities, run by the worker on the current net: the test net has no batch
        // norm; its classifier converts; its ReLU → max-pool pair moves, outputs exactly equal.
        QSignalSpy identities(w.runController(), &RunController::modelIdentitiesChecked);
        emit lab->modelIdentitiesRequested();
        QVERIFY(identities.wait(slow(10000)));
        const QString m = lab->modelIdentitiesText();
        QVERIFY2(m.contains("Activations after max-pooling (1 moved): largest difference 0 "),
                 qPrintable(m));
        QVERIFY2(m.contains("FC → conv"), qPrintable(m));
        QVERIFY2(m.contains("not checked: batch-norm folding"), qPrintable(m));
        QVERIFY2(!m.contains("DOES NOT HOLD"), qPrintable(m));
        // Each model check is a row of the table too, selected first: the network's class
        // scores and the transformed network's side by side, a row per image (at most 8).
        int fcRow = -1, swapRow = -1;
        for (int r = 0; r < lab->identityTable()->rowCount(); ++r) {
            const QString name = lab->identityTable()->item(r, 0)->text();
            if (name == "model-fc-conv") fcRow = r;
            if (name == "model-act-after-maxpool") swapRow = r;
        }
        QVERIFY(fcRow >= 0 && swapRow >= 0);
        QCOMPARE(lab->identityTable()->item(swapRow, 1)->text(), QString("0"));
        QCOMPARE(lab->identityTable()->currentRow(), fcRow);
        const IdentityCheck& fc = lab->identities()[static_cast<std::size_t>(fcRow)];
        QCOMPARE(fc.a.rank(), 2);
        QVERIFY(fc.a.dim(0) >= 1 && fc.a.dim(0) <= 8);
        QCOMPARE(fc.b.shape(), fc.a.shape());
        QVERIFY(fc.asExpected());
        const QString shown = QString("%1 images × %2 outputs").arg(fc.a.dim(0)).arg(fc.a.dim(1));
        const auto titles = lab->identityPair()->findChildren<QLabel*>();
        QVERIFY(std::any_of(titles.begin(), titles.end(), [&](const QLabel* l) {
            return l->text().contains("fully convolutional") && l->text().contains(shown);
        }));
        QVERIFY(lab->identitiesCsv().contains("FC → conv (the classifier as convolutions"));
        // They stay while the input changes (the table is rebuilt), and go with the model.
        lab->setConv(2, 0, 1);
        bool kept = false;
        for (int r = 0; r < lab->identityTable()->rowCount(); ++r)
            kept = kept || lab->identityTable()->item(r, 0)->text() == "model-fc-conv";
        QVERIFY(kept);
        lab->setConv(1, 1, 1);
        // A preset leaves the learned filter (the layer's padding 1 stays set): on the image.
        lab->setPreset("laplacian");
        QVERIFY(!lab->learnedMode());
        QCOMPARE(lab->outputMap().shape(), Shape({1, 12, 12}));
        QCOMPARE(lab->outputMap()[13], x[1] + x[12] + x[14] + x[25] - 4 * x[13]);
        // A model (re)loaded: the model identities' rows and lines were the old net's.
        lab->setModel(w.modelInfo());
        for (int r = 0; r < lab->identityTable()->rowCount(); ++r)
            QVERIFY(!lab->identityTable()->item(r, 0)->text().startsWith("model-"));
        QVERIFY(lab->modelIdentitiesText().startsWith("Model identities ("));
    }

    // "Apply activations after max-pooling": the test net's ReLU → max-pool pair moves, with the
    // evaluations saved and the same outputs, shown in the Experiment tab.
    void activationSwapShowsTheSavedEvaluations() {
        MainWindow w;
        w.show();
        loadWindow(w);
        QSignalSpy checked(&w, &MainWindow::foldChecked);
        w.checkActivationSwap();
        QVERIFY(checked.wait(slow(10000)));
        QCOMPARE(checked.last().first().toString(), QString());
        const QString f = w.experimentView()->findingsText();
        // ReLU 4·12² + 6·4² = 672 evaluations; after the 2×2 pool 4·6² + 96 = 240.
        QVERIFY2(f.contains("672 → 240 per image"), qPrintable(f));
        QVERIFY2(f.contains("largest output difference is 0"), qPrintable(f));
        QVERIFY2(f.contains("Activations after max-pooling in uinet"), qPrintable(f));
    }

    // Units: the top-k of a layer off the GUI thread, equal to the core's on a copy of the same
    // weights, with the analytic receptive field; cached; activation maximization live, with its
    // curve, cancel, the grid, exports and the Markdown summary.
    void unitViewFindsTopKAndMaximizes() {
        MainWindow w;
        w.show();
        loadWindow(w);
        UnitView* uv = w.unitView();
        w.tabs()->setCurrentWidget(uv);
        w.layersView()->setCurrentLayer(3);  // conv2 (6, 4, 4): the Units view follows
        QTRY_COMPARE_WITH_TIMEOUT(uv->layer(), 3, slow(5000));
        uv->kBox()->setValue(5);
        QSignalSpy shown(uv, &UnitView::topKShown);
        uv->findTopK();
        QVERIFY(shown.wait(slow(10000)));
        QVERIFY2(uv->topK(), qPrintable(uv->status()->text()));
        const TopKResult got = *uv->topK();
        QCOMPARE(got.samplesSeen, 96);
        QCOMPARE(static_cast<int>(got.channels.size()), 6);
        // The same weights through the core directly.
        QSignalSpy copied(w.runController(), &RunController::netCopied);
        w.runController()->requestNetCopy();
        QVERIFY(copied.wait(slow(5000)));
        const NetCopy copy = copied.first().first().value<NetCopy>();
        TopKOptions o;
        o.k = 5;
        const TopKResult want = topKExamples(*copy.net, copy.data->test, 3, copy.batch, o);
        for (int c = 0; c < 6; ++c) {
            const auto& g = got.channels[static_cast<std::size_t>(c)];
            const auto& e = want.channels[static_cast<std::size_t>(c)];
            QCOMPARE(g.size(), std::size_t{5});
            for (std::size_t j = 0; j < 5; ++j) {
                QCOMPARE(g[j].index, e[j].index);
                QCOMPARE(g[j].activation, e[j].activation);
                // conv2 (3×3) after a 2×2 pool after conv1 (3×3, padding 1): 8×8 from 2i − 1.
                QCOMPARE(g[j].region.rows[0], 2 * g[j].row - 1);
                QCOMPARE(g[j].region.rows[1], 2 * g[j].row + 7);
                QCOMPARE(g[j].region.cols[0], 2 * g[j].col - 1);
            }
        }
        QCOMPARE(uv->grid()->rowCount(), 6);
        QCOMPARE(static_cast<int>(uv->grid()->row(0).tiles.size()), 5);
        QCOMPARE(uv->grid()->row(0).tiles[0].size(), QSize(60, 60));  // 12 pixels × 5
        // Again: from the cache, at once.
        uv->findTopK();
        QVERIFY(shown.count() == 2 || shown.wait(slow(5000)));
        QVERIFY2(uv->status()->text().contains("from the cache"), qPrintable(uv->status()->text()));

        // Maximization of channel 2: a curve point per step, the image beside its top-k.
        uv->stepsBox()->setValue(30);
        uv->objectiveBox()->setCurrentIndex(0);  // max, as the top-k: a ratio is shown
        QSignalSpy maxDone(uv, &UnitView::maximizeFinished);
        uv->maximize(2);
        QVERIFY(maxDone.wait(slow(10000)));
        QCOMPARE(static_cast<int>(uv->curve().size()), 30);
        QCOMPARE(uv->curvePlot()->graph(0)->dataCount(), 30);
        QCOMPARE(uv->curvePlot()->graph(1)->dataCount(), 2);  // the best test image's level
        QVERIFY(uv->maximized().count(2));
        QVERIFY(uv->maximized().at(2).activation > uv->curve().front());
        // The best test image under the objective (max, as the top-k's): the top-k's first.
        QCOMPARE(static_cast<int>(uv->bestUnderObjective().size()), 6);
        for (int c = 0; c < 6; ++c)
            QCOMPARE(uv->bestUnderObjective()[static_cast<std::size_t>(c)].activation,
                     got.channels[static_cast<std::size_t>(c)][0].activation);
        QVERIFY(!uv->grid()->row(2).optimized.isNull());
        QVERIFY2(uv->grid()->row(2).optimizedCaption.contains("×"),
                 qPrintable(uv->grid()->row(2).optimizedCaption));
        QVERIFY(!uv->liveImage()->pixmap().isNull());
        const QString md = uv->markdown();
        QVERIFY2(md.contains("### What the channels of"), qPrintable(md));
        QVERIFY2(md.contains(QString("| 2 | #%1: ").arg(got.channels[2][0].index)), qPrintable(md));

        // Every channel, cancelled on the way: what finished stays, and nothing hangs.
        uv->stepsBox()->setValue(100000);
        uv->maximize(-1);
        QTRY_VERIFY_WITH_TIMEOUT(uv->curve().size() > 5, slow(10000));
        uv->cancel();
        QVERIFY(maxDone.wait(slow(5000)));
        QVERIFY(!uv->busy());

        for (const char* ext : {"png", "svg"}) {
            const QString f = m_dir.filePath(QString("units.%1").arg(ext));
            QCOMPARE(exportWidget(uv->grid(), f), QString());
            const QString c = m_dir.filePath(QString("ascent.%1").arg(ext));
            QCOMPARE(exportPlot(uv->curvePlot(), c, 480, 300, 1.0), QString());
        }
        QVERIFY(head(m_dir.filePath("units.png"), 8).startsWith("\x89PNG"));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    }

    // While training, a top-k is taken from the weights of the batch going (a copy made between
    // batches): twice in a row they differ (other steps: no cache hit), and training goes on.
    void unitViewRefreshesWhileTraining() {
        MainWindow w;
        w.show();
        loadWindow(w, 500);
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.startTraining();
        QTRY_VERIFY_WITH_TIMEOUT(w.trainingView()->lossPlot()->graph(0)->dataCount() > 5,
                                 slow(10000));
        UnitView* uv = w.unitView();
        uv->setLayer(0);
        QSignalSpy shown(uv, &UnitView::topKShown);
        uv->findTopK();
        QVERIFY(shown.wait(slow(10000)));
        QVERIFY2(uv->topK(), qPrintable(uv->status()->text()));
        const QString first = uv->status()->text();
        QVERIFY2(first.contains("step "), qPrintable(first));
        QTRY_VERIFY_WITH_TIMEOUT(w.trainingView()->lossPlot()->graph(0)->dataCount() > 20,
                                 slow(10000));
        uv->findTopK();
        QVERIFY(shown.wait(slow(10000)));
        QVERIFY2(!uv->status()->text().contains("from the cache"),
                 qPrintable(uv->status()->text()));
        QVERIFY2(uv->status()->text() != first, qPrintable(uv->status()->text()));
        QVERIFY(w.isTraining());
        w.stopTraining();
        QVERIFY(done.wait(slow(5000)));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    }

    void exportsPngSvgAndPdf() {
        MainWindow w;
        w.show();
        loadWindow(w);
        w.tabs()->setCurrentIndex(1);
        QTRY_VERIFY_WITH_TIMEOUT(w.snapshotsReceived() > 0, slow(5000));
        w.trainingView()->lossPlot()->graph(0)->addData(QVector<double>{1, 2, 3},
                                                        QVector<double>{2, 1.5, 1.2});
        // A legend in the way can be moved or hidden.
        Plot* loss = w.trainingView()->lossPlot();
        loss->setLegendCorner(Qt::AlignBottom | Qt::AlignLeft);
        QCOMPARE(loss->axisRect()->insetLayout()->insetAlignment(0),
                 Qt::AlignBottom | Qt::AlignLeft);
        loss->setLegendShown(false);
        QVERIFY(!loss->legend->visible());
        loss->setLegendShown(true);
        for (const char* ext : {"png", "svg", "pdf"}) {
            const QString plotFile = m_dir.filePath(QString("loss.%1").arg(ext));
            QCOMPARE(exportPlot(w.trainingView()->lossPlot(), plotFile, 640, 400, 1.0), QString());
            const QString mapFile = m_dir.filePath(QString("maps.%1").arg(ext));
            QCOMPARE(exportWidget(w.layersView()->grid(), mapFile), QString());
            for (const QString& f : {plotFile, mapFile}) {
                const QByteArray h = head(f, 64);
                if (QString(ext) == "png") QVERIFY2(h.startsWith("\x89PNG"), qPrintable(f));
                if (QString(ext) == "pdf") QVERIFY2(h.startsWith("%PDF"), qPrintable(f));
                if (QString(ext) == "svg") QVERIFY2(head(f, 4096).contains("<svg"), qPrintable(f));
            }
        }
        QImage png(m_dir.filePath("loss.png"));
        QCOMPARE(png.size(), QSize(640, 400));
        QVERIFY(!exportPlot(w.trainingView()->lossPlot(), m_dir.filePath("x.bmp")).isEmpty());
    }

    void stopDuringTrainingEndsCleanly() {
        MainWindow w;
        w.show();
        loadWindow(w, 500);
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.startTraining();
        QTRY_VERIFY_WITH_TIMEOUT(w.trainingView()->lossPlot()->graph(0)->dataCount() > 5,
                                 slow(10000));
        w.pauseOrResume();
        const int before = w.trainingView()->lossPlot()->graph(0)->dataCount();
        w.stepOnce();
        QTRY_VERIFY_WITH_TIMEOUT(w.trainingView()->lossPlot()->graph(0)->dataCount() > before,
                                 slow(5000));
        QElapsedTimer t;
        t.start();
        w.stopTraining();
        QVERIFY(done.wait(slow(5000)));
        QVERIFY(t.elapsed() < slow(2000));
        QCOMPARE(done.first().first().toString(), QString("stopped"));
        QVERIFY(w.metricsCsv().count('\n') > 5);  // the run's metrics are kept
        QVERIFY(!w.isTraining());
    }

    void closingWhileTrainingDoesNotHang() {
        auto* w = new MainWindow;
        w->show();
        loadWindow(*w, 500);
        w->startTraining();
        QTRY_VERIFY_WITH_TIMEOUT(w->trainingView()->lossPlot()->graph(0)->dataCount() > 2,
                                 slow(10000));
        QElapsedTimer t;
        t.start();
        w->close();
        delete w;
        QVERIFY(t.elapsed() < slow(3000));
    }

    // The run lifecycle without a window: every transition, with what each one leaves on disk.
    void runControllerTransitions() {
        using S = RunController::State;
        RunController c;
        c.setRunsRoot(m_dir.filePath("controller-runs"));
        QSignalSpy changes(&c, &RunController::stateChanged);
        QSignalSpy ready(&c, &RunController::modelReady);
        QSignalSpy loadFailed(&c, &RunController::setupFailed);
        QSignalSpy started(&c, &RunController::runStarted);
        QSignalSpy finished(&c, &RunController::runFinished);
        QCOMPARE(c.state(), S::Idle);
        QVERIFY(!c.hasModel());
        // A load that fails goes back to Idle: there is no model.
        RunSettings bad = controllerSettings(1);
        bad.model = "no-such-model";
        bad.setupId = 1;
        QVERIFY(c.load(bad));
        QCOMPARE(c.state(), S::Loading);
        QVERIFY(loadFailed.wait(slow(5000)));
        QCOMPARE(loadFailed.first().first().toInt(), 1);
        QCOMPARE(c.state(), S::Idle);
        RunSettings s = controllerSettings(500);
        s.setupId = 2;
        QVERIFY(c.load(s));
        QVERIFY(ready.wait(slow(5000)));
        QCOMPARE(ready.first().first().value<ModelInfo>().setupId, 2);
        QCOMPARE(c.state(), S::Ready);
        // A failed load after a good one: back to Ready, the model kept.
        bad.setupId = 3;
        QVERIFY(c.load(bad));
        QVERIFY(loadFailed.wait(slow(5000)));
        QCOMPARE(c.state(), S::Ready);
        QVERIFY(c.hasModel());
        // Train, pause, step, resume, stop.
        QVERIFY(c.train(s));
        QCOMPARE(c.state(), S::Training);
        QVERIFY(!c.train(s));  // one run at a time
        QVERIFY(started.wait(slow(5000)));
        const QString dir = started.first().first().toString();
        QCOMPARE(dir, c.currentRunDir());
        QSignalSpy batches(&c, &RunController::batches);
        QVERIFY(batches.wait(slow(5000)));
        c.pauseOrResume();
        QCOMPARE(c.state(), S::Paused);
        c.step();
        c.pauseOrResume();
        QCOMPARE(c.state(), S::Training);
        c.stop();
        QCOMPARE(c.state(), S::Stopping);
        QVERIFY(finished.wait(slow(5000)));
        QCOMPARE(finished.first().first().toString(), QString("stopped"));
        QCOMPARE(c.state(), S::Ready);
        const QList<S> expected = {S::Loading,  S::Idle,     S::Loading,  S::Ready,
                                   S::Loading,  S::Ready,    S::Training, S::Paused,
                                   S::Training, S::Stopping, S::Ready};
        QCOMPARE(states(changes), expected);
        // The stopped run: its log and its final weights, those of its last logged batch.
        const RunData run = loadRun(dir.toStdString());
        QVERIFY(!run.batches.empty());
        Net net = loadModel(m_model.toStdString());
        QCOMPARE(ll::loadCheckpoint(runCheckpointPath(run.dir), net).step, run.batches.back().step);
        // A run whose model does not load: runFailed, no folder, still Ready with the old model.
        QSignalSpy runFailed(&c, &RunController::runFailed);
        finished.clear();
        QVERIFY(c.train(bad));
        QVERIFY(finished.wait(slow(5000)));
        QCOMPARE(finished.first().first().toString(), QString("failed"));
        QCOMPARE(runFailed.count(), 1);
        QCOMPARE(c.state(), S::Ready);
        QVERIFY(c.currentRunDir().isEmpty());
        QCOMPARE(QDir(c.runsRoot()).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(), 1);
        // A run that completes, then quit: Closed, and every request refused.
        finished.clear();
        QVERIFY(c.train(controllerSettings(1)));
        QVERIFY(finished.wait(slow(10000)));
        QCOMPARE(finished.first().first().toString(), QString("completed"));
        QVERIFY(QFileInfo::exists(
            QString::fromStdString(runCheckpointPath(c.currentRunDir().toStdString()))));
        c.quit(RunController::QuitMode::Save);
        QCOMPARE(c.state(), S::Closed);
        QVERIFY(!c.load(s));
        QVERIFY(!c.train(s));
        c.requestInspection(InspectRequest());  // dropped: the worker is gone
        c.pauseOrResume();
        QCOMPARE(c.state(), S::Closed);
    }

    // Quit in every state, Save and Discard: within 2 s, the thread joined, Closed; a run that
    // was going is saved (log and final checkpoint, at the same step) or deleted.
    void runControllerQuitsInEveryState() {
        using S = RunController::State;
        const QString root = m_dir.filePath("quit-runs");
        for (const S at : {S::Idle, S::Loading, S::Ready, S::Training, S::Paused, S::Stopping}) {
            for (const auto mode :
                 {RunController::QuitMode::Save, RunController::QuitMode::Discard}) {
                const bool save = mode == RunController::QuitMode::Save;
                const QString what =
                    RunController::stateName(at) + (save ? " (save)" : " (discard)");
                QDir(root).removeRecursively();
                RunController c;
                c.setRunsRoot(root);
                QSignalSpy finished(&c, &RunController::runFinished);
                RunSettings s = controllerSettings(500);
                s.setupId = 1;
                if (at != S::Idle) {
                    QSignalSpy ready(&c, &RunController::modelReady);
                    QVERIFY(c.load(s));
                    if (at != S::Loading) QVERIFY(ready.wait(slow(5000)));
                }
                if (at == S::Training || at == S::Paused || at == S::Stopping) {
                    QSignalSpy batches(&c, &RunController::batches);
                    QVERIFY(c.train(s));
                    QVERIFY(batches.wait(slow(5000)));
                    if (at == S::Paused) c.pauseOrResume();
                    if (at == S::Stopping) c.stop();
                }
                QCOMPARE(c.state(), at);
                const QString dir = c.currentRunDir();
                QElapsedTimer t;
                t.start();
                c.quit(mode);
                QVERIFY2(t.elapsed() < slow(2000), qPrintable(what));
                QCOMPARE(c.state(), S::Closed);
                if (dir.isEmpty()) {
                    QCOMPARE(finished.count(), 0);
                    continue;
                }
                QCOMPARE(finished.count(), 1);
                QCOMPARE(finished.first().first().toString(), QString("stopped"));
                if (!save) {
                    QVERIFY2(!QFileInfo::exists(dir), qPrintable(what));
                    continue;
                }
                const RunData run = loadRun(dir.toStdString());
                QVERIFY2(!run.batches.empty(), qPrintable(what));
                Net net = loadModel(m_model.toStdString());
                QCOMPARE(ll::loadCheckpoint(runCheckpointPath(run.dir), net).step,
                         run.batches.back().step);
            }
        }
        // Quit during an experiment: its first run is saved, the next never starts.
        QDir(root).removeRecursively();
        RunController c;
        c.setRunsRoot(root);
        QSignalSpy done(&c, &RunController::experimentFinished);
        QSignalSpy batches(&c, &RunController::batches);
        QVERIFY(c.runExperiment(
            "twice", {{controllerSettings(500), "twice-a"}, {controllerSettings(500), "twice-b"}}));
        QVERIFY(batches.wait(slow(5000)));
        c.quit(RunController::QuitMode::Save);
        QTest::qWait(50);
        QCOMPARE(done.count(), 0);
        const QStringList runs = QDir(root).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(runs.size(), 1);
        QVERIFY(runs.first().startsWith("twice-a"));
        QVERIFY(QFileInfo::exists(
            QString::fromStdString(runCheckpointPath((root + "/" + runs.first()).toStdString()))));
    }

    // Quit while a run trains or is paused: the window answers Save (no question in tests),
    // stops within a batch, saves the final checkpoint and the log, joins the worker and keeps
    // running its event loop (as the app does until it returns from exec) without touching the
    // gone worker.
    void quitWhileTrainingSavesTheRun() {
        for (const bool paused : {false, true}) {
            QSettings().remove("lastModel");  // the last window's: it would load without our data
            auto* w = new MainWindow;
            w->show();
            loadWindow(*w, 500);
            w->startTraining();
            QTRY_VERIFY_WITH_TIMEOUT(w->trainingView()->lossPlot()->graph(0)->dataCount() > 2,
                                     slow(10000));
            if (paused) w->pauseOrResume();
            const QString dir = w->currentRunDir();
            QVERIFY(!dir.isEmpty());
            QElapsedTimer t;
            t.start();
            QVERIFY(w->close());
            QVERIFY2(t.elapsed() < slow(2000), qPrintable(QString::number(t.elapsed())));
            QTest::qWait(300);  // what the worker sent before it stopped arrives now
            QVERIFY(!w->isTraining());
            const RunData run = loadRun(dir.toStdString());
            QVERIFY(run.batches.size() >= 3);
            // The final weights are those of the last batch the log holds.
            const QString ckpt = QString::fromStdString(runCheckpointPath(run.dir));
            QVERIFY2(QFileInfo::exists(ckpt), qPrintable(ckpt));
            Net net = loadModel(m_model.toStdString());
            const CheckpointInfo info = ll::loadCheckpoint(ckpt.toStdString(), net);
            QCOMPARE(info.step, run.batches.back().step);
            delete w;
        }
    }

    // The quit question's other answers: Cancel keeps the window and the run going; Discard
    // stops it and deletes its folder. Idle, the window closes without a question.
    void quitAnswersCancelAndDiscard() {
        QSettings().remove("lastModel");
        auto* w = new MainWindow;
        w->show();
        loadWindow(*w, 500);
        w->setConfirmStop(true);
        w->setQuitAnswer(MainWindow::QuitAnswer::Cancel);
        w->startTraining();
        QTRY_VERIFY_WITH_TIMEOUT(w->trainingView()->lossPlot()->graph(0)->dataCount() > 2,
                                 slow(10000));
        const QString dir = w->currentRunDir();
        QVERIFY(!w->close());
        QVERIFY(w->isVisible());
        QVERIFY(w->isTraining());
        const int before = w->trainingView()->lossPlot()->graph(0)->dataCount();
        QTRY_VERIFY_WITH_TIMEOUT(w->trainingView()->lossPlot()->graph(0)->dataCount() > before,
                                 slow(5000));
        w->setQuitAnswer(MainWindow::QuitAnswer::Discard);
        QVERIFY(w->close());
        QVERIFY(!w->isTraining());
        QVERIFY2(!QFileInfo::exists(dir), qPrintable(dir));
        delete w;
        // Idle: Cancel is never asked.
        MainWindow idle;
        idle.show();
        QVERIFY(QTest::qWaitForWindowExposed(&idle));
        idle.setQuitAnswer(MainWindow::QuitAnswer::Cancel);
        QVERIFY(idle.close());
    }

    // Quit at 20 random moments of loading, training, pausing, stepping and experiments: no
    // crash, no hang, every run folder readable afterwards.
    void quitAtRandomMomentsLeavesReadableRuns() {
        QRandomGenerator rng(19);
        for (int i = 0; i < 20; ++i) {
            QSettings().remove("lastModel");  // the last window's: it would load without our data
            auto* w = new MainWindow;
            w->show();
            loadWindow(*w, 500);
            const int what = static_cast<int>(rng.bounded(4));
            if (what == 3)
                w->runExperiment("optimizers");  // its variants one after the other
            else
                w->startTraining();
            QTest::qWait(static_cast<int>(rng.bounded(250)));
            if (what == 1 || what == 2) w->pauseOrResume();
            if (what == 2) w->stepOnce();
            QTest::qWait(static_cast<int>(rng.bounded(30)));
            QElapsedTimer t;
            t.start();
            QVERIFY(w->close());
            QVERIFY2(t.elapsed() < slow(2000), qPrintable(QString::number(t.elapsed())));
            QTest::qWait(static_cast<int>(rng.bounded(100)));
            QVERIFY(!w->isTraining());
            const QString dir = w->currentRunDir();
            if (!dir.isEmpty()) {  // empty when quit before the run started
                const RunData run = loadRun(dir.toStdString());
                QVERIFY(QFileInfo::exists(QString::fromStdString(runCheckpointPath(run.dir))));
            }
            delete w;
        }
    }

    // The app's case: LeNet-5 on MNIST, File > Quit (Ctrl+Q) while it trains. Under 2 s, the run
    // saved.
    void quitLeNet5OnMnistFromTheMenu() {
        const QString data = QString::fromLocal8Bit(qgetenv("LAYERLENS_TEST_DATA")) + "/mnist";
        if (!QFileInfo::exists(data + "/train-images-idx3-ubyte.gz")) QSKIP("no MNIST here");
        QSettings().remove("lastModel");
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.setConfirmStop(false);
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.setup()->setModel("lenet5");
        w.setup()->setDataset("mnist");
        w.setup()->setDataDir(data);
        w.loadSetup();
        QVERIFY(loaded.wait(slow(60000)));
        QCOMPARE(w.modelInfo().trainSize, 60000);
        w.setup()->setEpochs(5);
        w.startTraining();
        QTRY_VERIFY_WITH_TIMEOUT(w.trainingView()->lossPlot()->graph(0)->dataCount() > 20,
                                 slow(20000));
        const QString dir = w.currentRunDir();
        QElapsedTimer t;
        t.start();
        // File > Quit, the action Ctrl+Q triggers (offscreen windows are never active, so the
        // key itself would not reach it).
        QAction* quit = nullptr;
        for (QAction* a : w.findChildren<QAction*>())
            if (a->text() == "&Quit") quit = a;
        QVERIFY(quit);
        quit->trigger();
        const qint64 ms = t.elapsed();
        qInfo("LeNet-5 on MNIST: quit took %lld ms", ms);
        QVERIFY(!w.isVisible());
        QVERIFY2(ms < 2000, qPrintable(QString::number(ms)));
        const RunData run = loadRun(dir.toStdString());
        Net net = loadModel("lenet5");
        QCOMPARE(ll::loadCheckpoint(runCheckpointPath(run.dir), net).step, run.batches.back().step);
    }

    // A model or data folder that does not load changes nothing: the panel, the model list, the
    // recent files, the loaded model, its curves and the remembered data folder are as before,
    // and Train trains the model that is loaded.
    void failedModelOpenChangesNothing() {
        MainWindow w;
        w.show();
        loadWindow(w, 1);
        QSettings().setValue("recentFiles", QStringList());
        QSettings().setValue("lastDataDir", QString());
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.startTraining();
        QVERIFY(done.wait(slow(20000)));
        const QString firstRun = w.currentRunDir();
        const int points = w.trainingView()->lossPlot()->graph(0)->dataCount();
        QCOMPARE(points, 20);
        const QStringList models = w.setup()->modelChoices();
        const RunSettings before = w.setup()->settings();
        auto same = [&] {
            const RunSettings now = w.setup()->settings();
            QCOMPARE(now.model, before.model);
            QCOMPARE(now.data.dir, before.data.dir);
            QCOMPARE(now.data.dataset, before.data.dataset);
            QCOMPARE(now.config.opt.lr, before.config.opt.lr);
            QCOMPARE(now.config.batch, before.config.batch);
            QCOMPARE(now.config.epochs, before.config.epochs);
            QCOMPARE(now.config.optimizer, before.config.optimizer);
            QCOMPARE(w.setup()->modelChoices(), models);
            QCOMPARE(w.modelInfo().model, QString("uinet"));
            QCOMPARE(w.trainingView()->lossPlot()->graph(0)->dataCount(), points);
            QVERIFY(QSettings().value("recentFiles").toStringList().isEmpty());
            QVERIFY(QSettings().value("lastDataDir").toString().isEmpty());
            QVERIFY(w.setup()->trainButton()->isEnabled());
        };
        QSignalSpy problems(&w, &MainWindow::problem);
        const QString malformed = m_dir.filePath("malformed.json");
        {
            QFile f(malformed);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(R"({"name": "malformed", "layers": [)");
        }
        w.openModelFile(malformed);
        QVERIFY(problems.wait(slow(5000)));
        QTest::qWait(100);
        same();
        if (QTest::currentTestFailed()) return;
        const QString unknown = m_dir.filePath("unknown-layer.json");
        {
            QFile f(unknown);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(R"({"name": "odd", "input": [1, 12, 12],
                "defaults": {"optimizer": "sgd", "lr": 0.5, "batch": 7, "epochs": 9},
                "layers": [{"type": "Wobble"}]})");
        }
        w.openModelFile(unknown);
        QVERIFY(problems.wait(slow(5000)));
        QTest::qWait(100);
        same();
        if (QTest::currentTestFailed()) return;
        // A data folder that does not load is not applied, and not remembered.
        w.setup()->dataDirEdit()->setText(m_dir.filePath("no-such-data"));  // as typed
        emit w.setup()->dataDirEdit()->editingFinished();
        QVERIFY(problems.wait(slow(5000)));
        QTest::qWait(100);
        same();
        if (QTest::currentTestFailed()) return;
        // Train trains the model that is loaded, on its data, as a run named after it.
        w.startTraining();
        QVERIFY(done.wait(slow(20000)));
        QCOMPARE(done.last().first().toString(), QString("completed"));
        QVERIFY(w.currentRunDir() != firstRun);
        QVERIFY2(QFileInfo(w.currentRunDir()).fileName().startsWith("uinet-"),
                 qPrintable(w.currentRunDir()));
        QCOMPARE(w.trainingView()->lossPlot()->graph(0)->dataCount(), 20);
        w.close();
        QVERIFY(QSettings().value("lastDataDir").toString().isEmpty());
    }

    // Nothing of one model or run stays on the next: hover read-outs (on screen and in exports),
    // the time left after Stop; the layer keys step layers whatever has the focus, and the list
    // highlight follows them.
    // A closed Runs dock could not be reopened (View had no entry for it).
    void docksReopenFromTheViewMenuAndTheLayoutResets() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto* runs = w.findChild<QDockWidget*>("runsDock");
        auto* setup = w.findChild<QDockWidget*>("setupDock");
        QVERIFY(runs && setup);
        QAction* entry = nullptr;
        for (QAction* menu : w.menuBar()->actions())
            if (menu->text() == "&View")
                for (QAction* a : menu->menu()->actions())
                    if (a->text() == "Runs") entry = a;
        QVERIFY(entry);
        runs->close();
        QVERIFY(!runs->isVisible());
        entry->trigger();
        QVERIFY(runs->isVisible());
        runs->close();
        setup->setFloating(true);
        w.resetLayout();
        QVERIFY(runs->isVisible());
        QVERIFY(!setup->isFloating());
        QVERIFY(setup->isVisible());
    }

    // The window could not get narrower than 1157 px (1242 with Setup hidden): at 1024×768 parts
    // of the Layers and Cost tabs were off-screen.
    void fitsA1024By768Screen() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // As the app starts: a model and its data loaded, every view filled.
        w.setConfirmStop(false);
        w.setup()->setModel("lenet5");
        w.setup()->setDataset("synthetic-digits");
        w.setup()->setTrainingSubset(300);
        w.setup()->setEpochs(1);
        QSignalSpy finished(&w, &MainWindow::runFinished);
        QVERIFY(QMetaObject::invokeMethod(&w, [&w] { w.startTraining(); }));
        QVERIFY(finished.wait(slow(30000)));
        w.resize(1024, 768);
        QCoreApplication::processEvents();
        auto* tabs = w.findChild<QTabWidget*>();
        QVERIFY(tabs);
        for (int i = 0; i < tabs->count(); ++i) {
            tabs->setCurrentIndex(i);
            QCoreApplication::processEvents();
            if (w.minimumSizeHint().width() > 1024)  // what is too wide, for the failure below
                for (QWidget* c : tabs->widget(i)->findChildren<QWidget*>())
                    if (c->isVisible() && c->minimumSizeHint().width() > 300)
                        qInfo() << c->metaObject()->className() << c->objectName()
                                << c->minimumSizeHint();
            QVERIFY2(w.minimumSizeHint().width() <= 1024 && w.minimumSizeHint().height() <= 740,
                     qPrintable(QString("tab %1: the window needs at least %2×%3")
                                    .arg(tabs->tabText(i))
                                    .arg(w.minimumSizeHint().width())
                                    .arg(w.minimumSizeHint().height())));
            QVERIFY2(
                w.width() <= 1024 && w.height() <= 768,
                qPrintable(
                    QString("tab %1: %2×%3").arg(tabs->tabText(i)).arg(w.width()).arg(w.height())));
            // Every button of the tab lies inside the window.
            for (QAbstractButton* b : tabs->widget(i)->findChildren<QAbstractButton*>()) {
                if (!b->isVisible()) continue;
                const QRect r(b->mapTo(&w, QPoint(0, 0)), b->size());
                QVERIFY2(QRect(0, 0, w.width(), w.height()).contains(r),
                         qPrintable(QString("tab %1: button '%2' at %3,%4 %5×%6 is outside")
                                        .arg(tabs->tabText(i), b->text())
                                        .arg(r.x())
                                        .arg(r.y())
                                        .arg(r.width())
                                        .arg(r.height())));
            }
        }
    }

    // Choosing AlexNet (no data set fits it) showed an error while Layers and Cost still showed
    // the previous model: it opens on random images, and Train says what data would fit.
    // A model trained elsewhere: an ONNX file opens like a model file, with its own weights, and
    // trains (fine-tunes) on data of its input's shape.
    void opensAnOnnxModelAndTrainsIt() {
        ll::test::OnnxBuilder b({0, 1, 28, 28});
        std::vector<float> cw(4 * 9), fc(10 * 4 * 14 * 14);
        for (std::size_t i = 0; i < cw.size(); ++i)
            cw[i] = 0.1f * static_cast<float>(static_cast<int>(i % 7) - 3);
        for (std::size_t i = 0; i < fc.size(); ++i)
            fc[i] = 0.01f * static_cast<float>(static_cast<int>(i % 5) - 2);
        b.init("conv.w", {4, 1, 3, 3}, cw);
        b.init("fc.w", {10, 4 * 14 * 14}, fc);
        b.init("fc.b", {10}, std::vector<float>(10, 0.0f));
        ll::test::OnnxBuilder::ints(b.node("Conv", {"x", "conv.w"}, {"c"}, "conv1"), "pads",
                                    {1, 1, 1, 1});
        b.node("Relu", {"c"}, {"r"}, "relu1");
        auto& pool = b.node("MaxPool", {"r"}, {"p"}, "pool1");
        ll::test::OnnxBuilder::ints(pool, "kernel_shape", {2, 2});
        ll::test::OnnxBuilder::ints(pool, "strides", {2, 2});
        b.node("Flatten", {"p"}, {"f"}, "flatten");
        ll::test::OnnxBuilder::i(b.node("Gemm", {"f", "fc.w", "fc.b"}, {"y"}, "classifier"),
                                 "transB", 1);
        b.output("y");
        const QString path = m_dir.filePath("small_cnn.onnx");
        b.saveTo(path.toStdString());

        MainWindow w;
        showSmallSetup(w, "lenet5", "synthetic-digits", 200);
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.openModelFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(
            w.layersView()->layerModel()->rowCount() == 5 && w.lastError().isEmpty(), slow(30000));
        QCOMPARE(QString::fromStdString(w.costView()->tableModel()->table().model),
                 QString("small_cnn"));
        QCOMPARE(w.layersView()->layerModel()->index(0, 0).data().toString(), QString("conv1"));
        QCOMPARE(w.setup()->saveState().lr, 0.001);  // fine-tuning defaults, not LeNet-5's
        QSignalSpy done(&w, &MainWindow::runFinished);
        QVERIFY(QMetaObject::invokeMethod(&w, [&w] { w.startTraining(); }));
        QVERIFY(done.wait(slow(60000)));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        // Exported back (File → Export → Model as ONNX) with the fine-tuned weights, it opens.
        const QString exported = m_dir.filePath("fine_tuned.onnx");
        w.exportModelAsOnnx(exported);
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(exported), slow(10000));
        QCOMPARE(ll::loadModel(exported.toStdString()).size(), 5);
        // A broken ONNX file is refused with its reason and the model stays.
        QFile junk(m_dir.filePath("junk.onnx"));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not protobuf \xff\xff\xff");
        junk.close();
        QSignalSpy failed(&w, &MainWindow::problem);
        w.openModelFile(junk.fileName());
        QVERIFY(failed.count() > 0 || failed.wait(slow(30000)));
        QVERIFY2(w.lastError().contains("not an ONNX model"), qPrintable(w.lastError()));
        QCOMPARE(w.layersView()->layerModel()->rowCount(), 5);
    }

    // An ONNX model whose input height and width are dynamic (exported with dynamic_axes): the
    // window asks for a size instead of pointing at the command line's --input-size.
    void asksForTheInputSizeOfADynamicOnnxModel() {
        ll::test::OnnxBuilder b({0, 1, 0, 0});
        std::vector<float> cw(4 * 9), fc(10 * 4);
        for (std::size_t i = 0; i < cw.size(); ++i)
            cw[i] = 0.1f * static_cast<float>(static_cast<int>(i % 7) - 3);
        for (std::size_t i = 0; i < fc.size(); ++i)
            fc[i] = 0.01f * static_cast<float>(static_cast<int>(i % 5) - 2);
        b.init("conv.w", {4, 1, 3, 3}, cw);
        b.init("fc.w", {10, 4}, fc);
        b.init("fc.b", {10}, std::vector<float>(10, 0.0f));
        ll::test::OnnxBuilder::ints(b.node("Conv", {"x", "conv.w"}, {"c"}, "conv1"), "pads",
                                    {1, 1, 1, 1});
        b.node("Relu", {"c"}, {"r"}, "relu1");
        b.node("GlobalAveragePool", {"r"}, {"p"}, "pool");
        b.node("Flatten", {"p"}, {"f"}, "flatten");
        ll::test::OnnxBuilder::i(b.node("Gemm", {"f", "fc.w", "fc.b"}, {"y"}, "classifier"),
                                 "transB", 1);
        b.output("y");
        const QString path = m_dir.filePath("any_size.onnx");
        b.saveTo(path.toStdString());

        MainWindow w;
        showSmallSetup(w, "lenet5", "synthetic-digits", 200);
        w.loadSetup();
        QTRY_COMPARE_WITH_TIMEOUT(w.modelInfo().model, QString("lenet5"), slow(10000));
        const int lenetRows = w.layersView()->layerModel()->rowCount();
        // Cancel: the reason stays in the banner and LeNet-5 stays.
        w.setInputSizeAnswer("");
        QSignalSpy failed(&w, &MainWindow::problem);
        w.openModelFile(path);
        QVERIFY(failed.wait(slow(30000)));
        QVERIFY2(w.lastError().contains("dynamic height"), qPrintable(w.lastError()));
        QTest::qWait(50);
        QCOMPARE(w.layersView()->layerModel()->rowCount(), lenetRows);
        // Not a size: said so.
        w.setInputSizeAnswer("big");
        w.openModelFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(w.lastError().contains("input size 'big'"), slow(30000));
        QVERIFY2(w.lastError().contains("give the height and width, e.g. 224x224"),
                 qPrintable(w.lastError()));
        QCOMPARE(w.layersView()->layerModel()->rowCount(), lenetRows);
        // 28x28 (the data's size): it opens at that size, with its own layers, and trains.
        w.setInputSizeAnswer("28x28");
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.openModelFile(path);
        QTRY_VERIFY2_WITH_TIMEOUT(
            QString::fromStdString(w.costView()->tableModel()->table().model) == "any_size",
            qPrintable(w.lastError() + " | " + w.bannerText()), slow(30000));
        QCOMPARE(w.layersView()->layerModel()->rowCount(), 5);
        QCOMPARE(w.layersView()->layerModel()->index(0, 0).data().toString(), QString("conv1"));
        QVERIFY2(w.bannerText().contains("any_size.onnx at 28×28"), qPrintable(w.bannerText()));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        QSignalSpy done(&w, &MainWindow::runFinished);
        QVERIFY(QMetaObject::invokeMethod(&w, [&w] { w.startTraining(); }));
        QVERIFY(done.wait(slow(60000)));
        ll::setOnnxInputSize(0, 0);
    }

    void modelWithoutFittingDataOpensOnRandomImages() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.setConfirmStop(false);
        w.setup()->setDataset("synthetic-digits");
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.setup()->setModel("alexnet");
        QVERIFY(loaded.wait(slow(30000)));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        QVERIFY2(w.bannerText().contains("random images"), qPrintable(w.bannerText()));
        QVERIFY2(w.bannerText().contains("(3, 224, 224)"), qPrintable(w.bannerText()));
        QCOMPARE(w.layersView()->layerModel()->rowCount(), 21);  // AlexNet's, not LeNet-5's
        QCOMPARE(QString::fromStdString(w.costView()->tableModel()->table().model),
                 QString("alexnet"));
        // The Layers view shows feature maps of a random image.
        w.layersView()->setCurrentLayer(0);
        QTRY_VERIFY_WITH_TIMEOUT(w.layersView()->lastSnapshot().activations.size() == 21,
                                 slow(20000));
        QCOMPARE(w.layersView()->lastSnapshot().activations.at(0).shape(), Shape({64, 55, 55}));
        // 1000 classes: the probability panel shows the five most probable.
        QTRY_VERIFY_WITH_TIMEOUT(
            w.layersView()->probabilityPlot()->xAxis->label() == "top 5 of 1000", slow(5000));
        // Train explains instead of training.
        QSignalSpy failed(&w, &MainWindow::problem);
        QVERIFY(QMetaObject::invokeMethod(&w, [&w] { w.startTraining(); }));
        QVERIFY(failed.wait(slow(30000)));
        QVERIFY2(w.lastError().contains("To train it, choose data of that shape"),
                 qPrintable(w.lastError()));
        // The Units view says why it cannot look, and does not stay waiting.
        w.unitView()->findTopK();
        QTRY_VERIFY_WITH_TIMEOUT(!w.unitView()->busy(), slow(5000));
        QVERIFY2(w.unitView()->status()->text().contains("random images"),
                 qPrintable(w.unitView()->status()->text()));
        // A model the data fits loads as usual, and the notice goes.
        w.setup()->setModel("lenet5");  // its preset names MNIST: the built-in digits instead
        w.setup()->setDataset("synthetic-digits");
        QVERIFY(loaded.wait(slow(30000)));
        QVERIFY2(!w.bannerText().contains("random images"), qPrintable(w.bannerText()));
        QCOMPARE(w.layersView()->layerModel()->rowCount(), 12);
    }

    // A click on a node of the Graph tab, shown.
    static void clickGraphNode(MainWindow& w, const GraphNode& node) {
        w.tabs()->setCurrentWidget(w.graphView());
        QCoreApplication::processEvents();
        QTest::mouseClick(w.graphView()->canvas(), Qt::LeftButton, {},
                          node.rect.center().toPoint());
    }
    static QString selectedCostRowName(MainWindow& w) {
        const int row = w.costView()->selectedRow();
        if (row < 0) return {};
        return QString::fromStdString(
            w.costView()->tableModel()->table().rows[static_cast<std::size_t>(row)].name);
    }

    // The architecture graph: one box per layer, Concat branches side by side, a click selects
    // the layer in Layers and Cost, exports like every view, and hundreds of layers lay out fast.
    void graphViewDrawsTheModelAndSelectsLayers() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.setConfirmStop(false);
        w.setup()->setDataset("synthetic-digits");
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.setup()->setModel("lenet5");
        w.loadSetup();
        QVERIFY2(loaded.count() > 0 || loaded.wait(slow(30000)), qPrintable(w.lastError()));
        GraphView* g = w.graphView();
        QVERIFY2(g->error().isEmpty(), qPrintable(g->error()));
        QCOMPARE(g->layout().nodes.size(), 13);  // the input and LeNet-5's 12 layers, a chain
        QCOMPARE(g->layout().edges.size(), 12);
        int c3 = -1;
        for (int k = 0; k < g->layout().nodes.size(); ++k)
            if (g->layout().nodes[k].lines.value(0).startsWith("c3 ")) c3 = k;
        QVERIFY(c3 >= 0);
        const GraphNode& node = g->layout().nodes[c3];
        QCOMPARE(node.lines.value(1), QString("16×10×10"));
        QVERIFY(node.tip.contains("receptive field 14×14"));
        // Nodes lie top to bottom in layer order (dot's ranks), inside the drawing.
        for (int k = 1; k < g->layout().nodes.size(); ++k)
            QVERIFY(g->layout().nodes[k].rect.top() > g->layout().nodes[k - 1].rect.top());
        QVERIFY(QRectF(QPointF(0, 0), g->layout().size).contains(node.rect));
        // A click on c3 selects it in Layers and in Cost.
        clickGraphNode(w, node);
        QCOMPARE(w.layersView()->currentLayer(), 3);
        QCOMPARE(w.costView()->selectedRow(), node.costRow);
        QCOMPARE(selectedCostRowName(w), QString("c3"));
        // Exported as every view is.
        for (const char* ext : {"png", "svg", "pdf"}) {
            const QString file = m_dir.filePath(QString("graph.%1").arg(ext));
            QCOMPARE(exportWidget(g->canvas(), file), QString());
            QVERIFY(QFileInfo(file).size() > 500);
        }
        // An Inception module: four branches between the input and the concatenation.
        w.setup()->setModel("inception-naive");
        QVERIFY(loaded.wait(slow(30000)));
        QCOMPARE(g->layout().nodes.size(), 1 + 7 + 1);
        QCOMPARE(g->layout().edges.size(), 4 + 3 + 4);
        // ResNet-20: 71 layers, each residual join reads two (80 edges); the layer list names the
        // inputs of the joins, the shortcut's node gives its receptive field, the cost table has
        // a subtotal row per block.
        w.setup()->setModel("resnet20-cifar");  // its defaults ask for CIFAR-10: drawn shapes here
        w.setup()->setDataset("synthetic-shapes");
        // Its defaults' step schedule is shown and is what a run would use.
        QCOMPARE(w.setup()->settings().config.lrSchedule.str(), std::string("step:0.5,0.75"));
        loaded.clear();
        w.loadSetup();
        QVERIFY2(loaded.count() > 0 || loaded.wait(slow(30000)), qPrintable(w.lastError()));
        QCOMPARE(g->layout().nodes.size(), 1 + 71);
        QCOMPARE(g->layout().edges.size(), 71 + 9);
        LayerListModel* list = w.layersView()->layerModel();
        QString addInputs, shortTip;
        for (int r = 0; r < list->rowCount(); ++r)
            if (list->index(r, 0).data().toString() == "s1b1.add")
                addInputs = list->index(r, 3).data().toString();
        QCOMPARE(addInputs, QString("s1b1.bn2, relu1"));
        for (const GraphNode& n : g->layout().nodes)
            if (n.lines.value(0).startsWith("s3b1.short ")) shortTip = n.tip;
        QVERIFY2(shortTip.contains("receptive field 37×37, jump 4"), qPrintable(shortTip));
        int blocks = 0;
        for (const CostRow& r : w.costView()->tableModel()->table().rows)
            blocks += r.type == "Block";
        QCOMPARE(blocks, 9);
        // Hundreds of layers in well under a second.
        QString layers;
        for (int i = 0; i < 200; ++i)
            layers += QString("%1{\"type\": \"Linear\", \"out\": 16}, {\"type\": \"ReLU\"}")
                          .arg(i ? ", " : "");
        ModelInfo big;
        big.modelJson =
            QString(R"({"name": "deep", "input": [16], "layers": [%1]})").arg(layers).toStdString();
        Net net = buildNet(big.modelJson);
        big.input = net.inputSample();
        big.costs = computeCosts(net);
        for (int i = 0; i < net.size(); ++i) {
            big.layerNames << QString::fromStdString(net.layer(i).name());
            big.layerCostRow << i;
        }
        GraphView view;
        view.setModel(big);
        QCOMPARE(view.layout().nodes.size(), 401);
        QVERIFY2(view.layoutMs() < slow(1000), qPrintable(QString::number(view.layoutMs())));
        qInfo() << "401-node graph laid out in" << view.layoutMs() << "ms";
    }

    // torchvision's ResNet-18, exported by PyTorch and imported: 49 layers (20 Conv with their
    // batch norms folded by the export, 17 Relu, 8 Add, the pooling, Flatten, Gemm), each of the 8
    // residual joins reading two tensors; a click on a join selects it in Layers and Cost.
    void graphViewDrawsAnImportedResNet18() {
#ifdef LL_THREAD_SANITIZER
        // clang 14's TSan runtime fails its own check in the child of a fork (QProcess).
        QSKIP("ThreadSanitizer builds cannot start python (TSan CHECK failure after fork)");
#endif
        const QString onnx = m_dir.filePath("resnet18.onnx");
        QProcess py;
        py.start("/usr/bin/python3",
                 {"-c", QString("import torch, torchvision\n"
                                "m = torchvision.models.resnet18().eval()\n"
                                "torch.onnx.export(m, torch.zeros(1, 3, 224, 224), '%1', "
                                "opset_version=13)\n")
                            .arg(onnx)});
        if (!py.waitForFinished(slow(120000)) || py.exitCode() != 0 || !QFileInfo::exists(onnx))
            QSKIP("needs Debian's python3-torch and python3-torchvision to export ResNet-18");
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.setConfirmStop(false);
        w.setup()->setDataset("synthetic-shapes");
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.openModelFile(onnx);
        // Loaded in the worker, the window says so meanwhile (a busy bar in the status bar).
        auto* busy = w.findChild<QProgressBar*>("loadingBar");
        QVERIFY(busy);
        QTRY_VERIFY_WITH_TIMEOUT(busy->isVisible(), slow(5000));
        QVERIFY(w.runController()->state() == RunController::State::Loading);
        QVERIFY2(loaded.count() > 0 || loaded.wait(slow(60000)), qPrintable(w.lastError()));
        QTRY_VERIFY(!busy->isVisible());
        QCOMPARE(w.findChild<RunStatus*>()->text(), QString("ready"));
        GraphView* g = w.graphView();
        QVERIFY2(g->error().isEmpty(), qPrintable(g->error()));
        QCOMPARE(g->layout().nodes.size(), 1 + 49);
        QCOMPARE(g->layout().edges.size(), 49 + 8);
        QVERIFY2(g->layoutMs() < slow(1000), qPrintable(QString::number(g->layoutMs())));
        qInfo() << "ResNet-18 (50 nodes) laid out in" << g->layoutMs() << "ms";
        int join = -1;
        for (int k = 0; k < g->layout().nodes.size(); ++k)
            if (g->layout().nodes[k].lines.value(0).startsWith("/layer2/layer2.0/Add ")) join = k;
        QVERIFY(join >= 0);
        const GraphNode& node = g->layout().nodes[join];
        QCOMPARE(node.lines.value(1), QString("128×28×28"));
        clickGraphNode(w, node);
        const int layer = w.layersView()->currentLayer();
        QCOMPARE(w.layersView()->layerModel()->index(layer, 0).data().toString(),
                 QString("/layer2/layer2.0/Add"));
        QCOMPARE(selectedCostRowName(w), QString("/layer2/layer2.0/Add"));
        // Feature maps and Grad-CAM of the last block, on a CIFAR-10 test image when the shared
        // data is there (scaled to 224×224), else on the random input the window shows.
        const QString cifar = QString::fromLocal8Bit(qgetenv("LAYERLENS_TEST_DATA")) +
                              "/cifar-10-batches-bin/test_batch.bin";
        LayersView* lv = w.layersView();
        if (QFile f(cifar); f.open(QIODevice::ReadOnly)) {
            f.seek(3 * 3073);  // the fourth test image (a ship), after its label byte
            const QByteArray rec = f.read(3073).mid(1);
            QImage img(32, 32, QImage::Format_RGB888);
            for (int y = 0; y < 32; ++y)
                for (int x = 0; x < 32; ++x)
                    img.setPixel(x, y,
                                 qRgb(static_cast<uchar>(rec[y * 32 + x]),
                                      static_cast<uchar>(rec[1024 + y * 32 + x]),
                                      static_cast<uchar>(rec[2048 + y * 32 + x])));
            const QString png = m_dir.filePath("ship.png");
            QVERIFY(img.save(png));
            QCOMPARE(lv->openImage(png), QString());
        }
        int last = -1;
        for (int r = 0; r < lv->layerModel()->rowCount(); ++r)
            if (lv->layerModel()->index(r, 0).data().toString() == "/layer4/layer4.1/relu_1/Relu")
                last = r;
        QVERIFY(last >= 0);
        w.tabs()->setCurrentWidget(lv);
        lv->setCurrentLayer(last);
        lv->setOverlay(2);  // Grad-CAM for the predicted class
        QTRY_VERIFY_WITH_TIMEOUT(
            lv->lastSnapshot().request.overlay == 2 && lv->lastSnapshot().request.layer == last,
            slow(20000));
        const InspectSnapshot& snap = lv->lastSnapshot();
        QCOMPARE(snap.activations.at(static_cast<std::size_t>(last)).shape(), Shape({512, 7, 7}));
        QCOMPARE(snap.erf.shape(), Shape({224, 224}));
        QVERIFY(snap.erf.sumSquares() > 0);
        QVERIFY(snap.overlayClass >= 0 && snap.overlayClass < 1000);
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        if (const QByteArray dir = qgetenv("LAYERLENS_UI_SCREENSHOTS"); !dir.isEmpty()) {
            QTest::qWait(500);
            QVERIFY(w.grab().save(QString::fromLocal8Bit(dir) +
                                  "/layerlens-onnx-resnet18-gradcam.png"));
        }
    }

    void staleStateIsCleared() {
        MainWindow w;
        w.show();
        loadWindow(w, 500);
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.startTraining();
        QTRY_VERIFY_WITH_TIMEOUT(w.setup()->etaText().contains("left"), slow(10000));
        w.stopTraining();
        QVERIFY(done.wait(slow(5000)));
        QTest::qWait(400);  // two ticks of the progress timer
        QVERIFY2(w.setup()->etaText().isEmpty(), qPrintable(w.setup()->etaText()));
        // The hover read-out: shown over the plot, gone when the mouse leaves, in an export, and
        // when another model loads.
        Plot* loss = w.trainingView()->lossPlot();
        auto hover = [loss] {
            const QPoint at = loss->axisRect()->rect().center();
            QMouseEvent move(QEvent::MouseMove, QPointF(at), QPointF(loss->mapToGlobal(at)),
                             Qt::NoButton, Qt::NoButton, Qt::NoModifier);
            QApplication::sendEvent(loss, &move);
        };
        hover();
        QVERIFY(loss->readoutShown());
        QEvent leave(QEvent::Leave);
        QApplication::sendEvent(loss, &leave);
        QVERIFY(!loss->readoutShown());
        hover();
        QVERIFY(loss->readoutShown());
        QVERIFY(exportPlot(loss, m_dir.filePath("hover.png")).isEmpty());
        QVERIFY(!loss->readoutShown());
        hover();
        const QString other = m_dir.filePath("uinet2.json");
        {
            QFile f(other);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(kNet).replace("\"uinet\"", "\"uinet2\""));
        }
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.setup()->setModel(other);
        QVERIFY(loaded.wait(slow(5000)));
        QCOMPARE(w.modelInfo().model, QString("uinet2"));
        QVERIFY(!loss->readoutShown());
        // A plot whose items were cleared (the confusion matrix redraws its labels so) makes
        // its read-out again: hiding it must not touch the deleted one.
        Plot cleared("cleared", "x", "y");
        cleared.resize(300, 200);
        cleared.addGraph()->addData(1, 2);
        cleared.replot();
        cleared.clearItems();
        cleared.hideReadout();
        QVERIFY(!cleared.readoutShown());
        const QPoint mid = cleared.axisRect()->rect().center();
        QMouseEvent over(QEvent::MouseMove, QPointF(mid), QPointF(cleared.mapToGlobal(mid)),
                         Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(&cleared, &over);
        QVERIFY(cleared.readoutShown());
        // PgDn on the Layers tab steps the layer even with a spin box of the panel focused, and
        // leaves the spin box's value alone; the list highlights the shown layer.
        w.tabs()->setCurrentWidget(w.layersView());
        QSignalSpy highlighted(w.layersView()->list()->selectionModel(),
                               &QItemSelectionModel::currentRowChanged);
        const int first = w.layersView()->currentLayer();
        QAbstractSpinBox* box = w.setup()->findChildren<QAbstractSpinBox*>().value(0);
        QVERIFY(box);
        box->setFocus();
        const QString value = box->text();
        QTest::keyClick(box, Qt::Key_PageDown);
        QTest::keyClick(box, Qt::Key_PageDown);
        QCOMPARE(box->text(), value);
        QCOMPARE(w.layersView()->currentLayer(), first + 2);
        w.layersView()->nextLayer();
        QCOMPARE(w.layersView()->currentLayer(), first + 3);
        QCOMPARE(highlighted.count(), 3);
        QCOMPARE(w.layersView()->list()->currentIndex().row(), first + 3);
    }

    void workerFailureBecomesAMessage() {
        MainWindow w;
        w.show();
        w.setConfirmStop(false);
        w.setup()->setModel("lenet5");
        w.setup()->setDataDir(m_dir.filePath("no-such-folder"));
        w.loadSetup();
        // The banner ends on this setup's error (an earlier setup may have failed first).
        QTRY_VERIFY_WITH_TIMEOUT(w.lastError().contains("no-such-folder"), slow(5000));
        // A model and a data set that fit, chosen one after the other, load as one setup: no
        // error from the model with the previous data set in between.
        QSignalSpy problems(&w, &MainWindow::problem);
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.setup()->setModel("smallnet-bn");  // its default data set, CIFAR-10, is not there
        w.setup()->setDataset("synthetic-shapes");
        QVERIFY(loaded.wait(slow(30000)));  // generating the shapes takes seconds on a busy machine
        QCOMPARE(problems.count(), 0);
        QCOMPARE(w.modelInfo().model, QString("smallnet-bn"));
    }

    void itemModelsPassTheTester() {
        LayerListModel layers;
        QAbstractItemModelTester t1(&layers,
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelInfo info;
        info.layerNames = {"conv1", "relu1"};
        info.layerTypes = {"Conv2d", "ReLU"};
        info.layerShapes = {Shape({4, 12, 12}), Shape({4, 12, 12})};
        layers.setModel(info);
        QCOMPARE(layers.rowCount(), 2);
        QCOMPARE(layers.data(layers.index(0, 2)).toString(), QString("4×12×12"));
        CostTableModel costs;
        QAbstractItemModelTester t2(&costs, QAbstractItemModelTester::FailureReportingMode::QtTest);
        costs.setTable(computeCosts(loadModel("inception-naive")));
        QCOMPARE(costs.rowCount(), 13);  // module, 4 branches, 7 leaves, totals
        QCOMPARE(costs.data(costs.index(12, CostTableModel::Params), Qt::UserRole).toLongLong(),
                 1089952LL);
        QCOMPARE(costs.data(costs.index(12, CostTableModel::Add)).toString(),
                 QString("1,115,684,864"));
    }

    // An ONNX design added to the comparison is read on a pool thread: the call returns at once
    // with "reading …" in the caption, the row appears when it is read; a broken file's reason
    // shows in the caption; Clear drops a file still being read.
    void costComparisonReadsOnnxFilesOffTheGuiThread() {
        CostView v;
        ModelInfo info;
        info.model = "lenet5";
        info.modelJson = presetJson("lenet5");
        info.costs = computeCosts(loadModel("lenet5"));
        v.setModel(info);
        Net mlp = loadModel("mlp-mnist");
        mlp.resetParameters(1);
        const QString onnx = m_dir.filePath("compare_mlp.onnx");
        ll::exportOnnx(mlp, onnx.toStdString());
        QCOMPARE(v.addComparison(onnx), QString());
        // Nothing read yet: the result comes through the event loop.
        QCOMPARE(v.comparisonsLoading(), 1);
        QVERIFY(v.comparisonTable()->isHidden());
        bool reading = false;
        for (QLabel* l : v.findChildren<QLabel*>())
            reading = reading || l->text().contains("reading compare_mlp.onnx");
        QVERIFY(reading);
        QTRY_VERIFY_WITH_TIMEOUT(v.comparisonsLoading() == 0, slow(10000));
        QCOMPARE(v.comparisonTable()->rowCount(), 2);
        QCOMPARE(v.comparisonTable()->item(1, 3)->text(), QString("669,706"));  // mlp-mnist's
        // A broken file: its reason in the caption, the table as it was.
        QFile junk(m_dir.filePath("compare_junk.onnx"));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not protobuf \xff\xff\xff");
        junk.close();
        QCOMPARE(v.addComparison(junk.fileName()), QString());
        QTRY_VERIFY_WITH_TIMEOUT(v.comparisonsLoading() == 0, slow(10000));
        bool reported = false;
        for (QLabel* l : v.findChildren<QLabel*>())
            reported = reported || l->text().contains("not an ONNX model");
        QVERIFY(reported);
        QCOMPARE(v.comparisonTable()->rowCount(), 2);
        // Cleared while a file is being read: it never shows.
        v.clearComparison();
        QCOMPARE(v.addComparison(onnx), QString());
        v.clearComparison();
        QCOMPARE(v.comparisonsLoading(), 0);
        QTest::qWait(300);
        QVERIFY(v.comparisonTable()->isHidden());
    }

    void costViewSwitchesConventionAndCopies() {
        CostView v;
        ModelInfo info;
        info.model = "lenet5";
        info.modelJson = presetJson("lenet5");
        info.costs = computeCosts(loadModel("lenet5"));  // the worker's table
        v.setModel(info);
        QVERIFY(!v.builtOwnCopy());  // the default convention needs no copy of the net
        const int last = v.tableModel()->rowCount() - 1;
        QCOMPARE(v.tableModel()
                     ->data(v.tableModel()->index(last, CostTableModel::Flops), Qt::UserRole)
                     .toLongLong(),
                 833040LL);
        v.setConvention("macs");
        QVERIFY(v.builtOwnCopy());
        QCOMPARE(v.tableModel()
                     ->data(v.tableModel()->index(last, CostTableModel::Flops), Qt::UserRole)
                     .toLongLong(),
                 416520LL);
        QVERIFY(v.csv().contains("# convention macs"));
        // Another design beside this one, under the same convention, recomputed with it.
        QVERIFY(v.comparisonTable()->isHidden());
        QCOMPARE(v.addComparison("lenet5-c3"), QString());
        QCOMPARE(v.comparisonTable()->rowCount(), 2);
        QCOMPARE(v.comparisonTable()->item(1, 0)->text(), QString("lenet5-c3"));
        QCOMPARE(v.comparisonTable()->item(1, 3)->text(), QString("60,806"));
        QCOMPARE(v.comparisonTable()->item(0, 5)->text(), QString("416,520"));  // MAC convention
        v.setConvention("course");
        QCOMPARE(v.comparisonTable()->item(0, 5)->text(), QString("833,040"));
        QCOMPARE(v.comparisonTable()->item(1, 6)->text(), QString("0.784×"));
        QVERIFY(v.addComparison("no-such-model").contains("unknown model"));
        QCOMPARE(v.comparisonTable()->rowCount(), 2);
        v.clearComparison();
        QVERIFY(v.comparisonTable()->isHidden());
        v.setConvention("macs");
        QVERIFY(v.markdown().contains("| **total** |"));
        // Sorting by parameters puts f5 (48,120) first when descending.
        v.sortedModel()->sort(CostTableModel::Params, Qt::DescendingOrder);
        QCOMPARE(v.sortedModel()
                     ->data(v.sortedModel()->index(0, CostTableModel::Name))
                     .toString()
                     .trimmed(),
                 QString("total"));
        QCOMPARE(v.sortedModel()
                     ->data(v.sortedModel()->index(1, CostTableModel::Name))
                     .toString()
                     .trimmed(),
                 QString("f5"));
    }

    void exportPlotsOfAHeadlessRun() {
        const QString run = m_dir.filePath("run");
        QDir().mkpath(run);
        QFile f(run + "/metrics.csv");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(
            "epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s\n"
            "1,0.5,0.85,0.3,0.9,1.0,1000\n2,0.3,0.9,0.25,0.92,1.0,1000\n");
        f.close();
        for (const char* fmt : {"png", "svg", "pdf"}) {
            const QStringList files = exportRunPlots(run, m_dir.filePath("plots"), fmt);
            QCOMPARE(files.size(), 2);
            for (const QString& file : files)
                QVERIFY(QFileInfo(file).size() > 100);
        }
        QVERIFY_THROWS_EXCEPTION(ll::DataError, exportRunPlots(m_dir.filePath("nothing"),
                                                               m_dir.filePath("plots"), "png"));
        QVERIFY_THROWS_EXCEPTION(ll::UsageError,
                                 exportRunPlots(run, m_dir.filePath("plots"), "gif"));
    }

    // A run killed during its first epoch has no epoch line; its batch log holds the curve
    // (the reproducer cc-killed-in-epoch1-empty-metrics.rundir: 60 batch rows, empty metrics.csv).
    void exportPlotsOfARunKilledInItsFirstEpoch() {
        const QString run = m_dir.filePath("killed");
        QDir().mkpath(run);
        QFile cfg(run + "/config.json");
        QVERIFY(cfg.open(QIODevice::WriteOnly));
        cfg.write("{\"model\":\"lenet5\"}\n");
        cfg.close();
        QFile metrics(run + "/metrics.csv");  // created, then killed before anything was written
        QVERIFY(metrics.open(QIODevice::WriteOnly));
        metrics.close();
        {
            ll::RunLog log(run.toStdString());
            for (int step = 1; step <= 60; ++step) {
                ll::BatchReport b;
                b.step = step;
                b.epoch = 1;
                b.batch = step;
                b.batchesPerEpoch = 938;
                b.loss = 2.3f / static_cast<float>(step);
                b.accuracy = 0.1f + 0.01f * static_cast<float>(step);
                log.appendBatch(b);
            }
        }
        const QStringList files = exportRunPlots(run, m_dir.filePath("killed-plots"), "svg");
        QCOMPARE(files.size(), 2);
        QFile svg(files[0]);
        QVERIFY(svg.open(QIODevice::ReadOnly));
        QVERIFY(svg.readAll().contains("no epoch finished"));  // the x-axis says what it shows
        // A run with no line at all says so.
        const QString empty = m_dir.filePath("empty-run");
        QDir().mkpath(empty);
        QVERIFY(QFile::copy(run + "/config.json", empty + "/config.json"));
        try {
            exportRunPlots(empty, m_dir.filePath("empty-plots"), "png");
            QFAIL("no error for a run with nothing logged");
        } catch (const ll::DataError& e) {
            QVERIFY2(QString(e.what()).contains("no epochs and no batches"), e.what());
        }
    }

    void downloadsWithProgressAndReportsFailures() {
        MainWindow w;
        w.show();
        w.setConfirmStop(false);
        // Test mode: this is the tests' own app data folder; start from an empty one.
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).removeRecursively();
        test::LocalHttpServer server;
        QSignalSpy done(&w, &MainWindow::downloadFinished);
        w.downloadData(
            "mnist", QString::fromStdString(server.url() + "/nothing"));  // every file answers 404
        QVERIFY(done.wait(slow(10000)));
        QCOMPARE(done.takeFirst().first().toBool(), false);
        QVERIFY2(w.lastError().contains("HTTP 404"), qPrintable(w.lastError()));
        const QByteArray real = qgetenv("LAYERLENS_TEST_DATA");
        if (real.isEmpty() || !QFileInfo::exists(real + "/mnist")) return;
        for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            QFile in(real + "/mnist/" + f);
            QVERIFY(in.open(QIODevice::ReadOnly));
            server.route(std::string("/mnist/") + f, {in.readAll().toStdString()});
        }
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.downloadData("mnist", QString::fromStdString(server.url() + "/mnist"));
        QVERIFY(done.wait(slow(30000)));
        QCOMPARE(done.takeFirst().first().toBool(), true);
        QCOMPARE(w.setup()->dataset(), QString("mnist"));
        QVERIFY(loaded.count() > 0 || loaded.wait(slow(20000)));
        QCOMPARE(w.modelInfo().trainSize, 60000);
    }

    // A curve of 100,000 noisy points keeps at most a few hundred, each a real (step, value) pair,
    // spread over the whole run, with the extremes of the run among them.
    void liveSeriesKeepsTheEnvelopeInBoundedMemory() {
        QCustomPlot plot;
        LiveSeries series(plot.addGraph(), 512);
        QRandomGenerator rng(7);
        std::map<double, double> raw;
        double lo = 1e9, hi = -1e9, loKey = 0, hiKey = 0;
        for (int k = 1; k <= 100000; ++k) {
            const double v = std::sin(k * 1e-3) + rng.generateDouble();
            raw[k] = v;
            if (v < lo) lo = v, loKey = k;
            if (v > hi) hi = v, hiKey = k;
            series.add(k, v);
            QVERIFY(plot.graph(0)->dataCount() <= 512 + series.bucket());
        }
        auto data = plot.graph(0)->data();
        QVERIFY(data->size() > 256);
        QVERIFY(series.bucket() >= 256);
        int firstQuarter = 0, thirdQuarter = 0;
        double last = 0;
        bool sawLo = false, sawHi = false;
        for (auto it = data->constBegin(); it != data->constEnd(); ++it) {
            QVERIFY(it->key > last);  // in step order, no duplicates
            last = it->key;
            QCOMPARE(raw.at(it->key), it->value);
            sawLo |= it->key == loKey;
            sawHi |= it->key == hiKey;
            if (it->key <= 25000) ++firstQuarter;
            if (it->key > 50000 && it->key <= 75000) ++thirdQuarter;
        }
        QVERIFY(sawLo && sawHi);
        // The same resolution early and late in the run: as many points in the first quarter as
        // in the third (the last bucket's raw points, at the very end, are not yet folded).
        QVERIFY2(std::abs(firstQuarter - thirdQuarter) < firstQuarter / 5,
                 qPrintable(QString("%1 points in the first quarter, %2 in the third")
                                .arg(firstQuarter)
                                .arg(thirdQuarter)));
        QVERIFY(data->constBegin()->key <= series.bucket());              // from the start...
        QVERIFY((data->constEnd() - 1)->key > 100000 - series.bucket());  // ...to the end
    }

    // While training, a frame redraws the new segments of the curves and recomposes only the
    // columns they changed; the axes move once per epoch (and when values leave them), so full
    // replots (axes, labels, legends) are rare. What is on screen equals a full redraw.
    void liveCurvesRedrawOnlyTheNewColumns() {
        TrainingView view;
        view.resize(1200, 800);
        view.setRedrawInterval(10);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.reset();
        QRandomGenerator rng(3);
        const int perEpoch = 400, frames = 100;
        std::int64_t step = 0;
        for (int f = 0; f < frames; ++f) {
            BatchPoints points;
            for (int b = 0; b < 4; ++b) {
                BatchReport r;
                ++step;
                r.step = step;
                r.epoch = static_cast<int>((step - 1) / perEpoch) + 1;
                r.batch = static_cast<int>((step - 1) % perEpoch) + 1;
                r.batchesPerEpoch = perEpoch;
                r.loss = 2.0 * std::exp(-step / 100.0) + 0.2 * rng.generateDouble();
                r.accuracy = 1.0 - r.loss / 3;
                r.lr = 0.1f;
                r.norms = {{"conv1", 1.0, 0.1 + 0.05 * rng.generateDouble()},
                           {"fc1", 1.0, 0.5 + 0.1 * rng.generateDouble()}};
                points.batches << r;
            }
            view.addBatches(points);
            QTest::qWait(12);
        }
        QTRY_VERIFY_WITH_TIMEOUT(view.redraws() > frames / 2, slow(5000));
        for (Plot* p : view.plots()) {
            QVERIFY2(p->curveReplots() > frames / 3, qPrintable(p->title()));
            QVERIFY2(
                p->fullReplots() < 25,
                qPrintable(QString("%1: %2 full replots").arg(p->title()).arg(p->fullReplots())));
            // The last frame recomposed a narrow strip at the end of the curves, not the plot.
            const QRect axes = p->axisRect()->rect();
            QVERIFY2(p->lastCurveRect().width() < axes.width() / 5, qPrintable(p->title()));
            QVERIFY(p->lastCurveRect().left() > axes.left() + axes.width() / 2);
        }
        // The incrementally drawn curves are the curves: the screen, then a full redraw.
        Plot* loss = view.lossPlot();
        const QImage drawn = loss->grab().toImage();
        loss->replot(QCustomPlot::rpImmediateRefresh);
        const QImage full = loss->grab().toImage();
        QCOMPARE(drawn.size(), full.size());
        // Joints blend a little differently when a curve is drawn in pieces (the translucent
        // per-batch curve gets darker where two pieces meet), so the curves are compared as
        // shapes: every curve pixel of the full redraw has one of the screen within one pixel,
        // and few of the screen's are not near one of the full redraw's.
        auto isCurve = [](const QImage& img, int x, int y) {
            const QRgb c = img.pixel(x, y);
            return qBlue(c) > qRed(c) + 40;  // the loss curves are blue
        };
        auto missing = [&](const QImage& from, const QImage& in, int& total) {
            int miss = 0;
            total = 0;
            for (int y = 1; y + 1 < from.height(); ++y)
                for (int x = 1; x + 1 < from.width(); ++x) {
                    if (!isCurve(from, x, y)) continue;
                    ++total;
                    bool near = false;
                    for (int dy = -1; dy <= 1 && !near; ++dy)
                        for (int dx = -1; dx <= 1 && !near; ++dx)
                            near = isCurve(in, x + dx, y + dy);
                    miss += !near;
                }
            return miss;
        };
        int curveFull = 0, curveDrawn = 0;
        const int lost = missing(full, drawn, curveFull);
        const int extra = missing(drawn, full, curveDrawn);
        QVERIFY(curveFull > 500);
        QVERIFY2(lost < curveFull / 50 && extra < curveDrawn / 10,
                 qPrintable(QString("%1 of %2 curve pixels not drawn, %3 of %4 drawn in excess")
                                .arg(lost)
                                .arg(curveFull)
                                .arg(extra)
                                .arg(curveDrawn)));
    }

    // The training plots' legends sit below the axes: no curve is ever under one, however many
    // layers the gradient plot names.
    void legendsStayOutOfTheCurves() {
        TrainingView view;
        view.resize(900, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        BatchPoints points;
        for (int s = 1; s <= 20; ++s) {
            BatchReport r;
            r.step = s;
            r.epoch = 1;
            r.batch = s;
            r.batchesPerEpoch = 20;
            r.loss = 1.0 / s;
            r.accuracy = 0.5;
            r.lr = 0.1f;
            for (int l = 0; l < 12; ++l)
                r.norms.push_back({"layer" + std::to_string(l), 1.0, 0.1 * (l + 1)});
            points.batches << r;
        }
        view.addBatches(points);
        QTRY_VERIFY_WITH_TIMEOUT(view.redraws() > 0, slow(5000));
        for (Plot* p : view.plots()) {
            p->replot(QCustomPlot::rpImmediateRefresh);
            QVERIFY(p->legendBelow());
            QVERIFY2(!p->legend->outerRect().intersects(p->axisRect()->rect()),
                     qPrintable(p->title()));
            QVERIFY(p->rect().contains(p->legend->outerRect()));
        }
        QCOMPARE(view.gradientPlot()->legend->itemCount() >= 12, true);
        QVERIFY(view.gradientPlot()->legend->wrap() > 1);  // entries side by side
        // Moved inside from the context menu's choice, and back.
        view.lossPlot()->setLegendCorner(Qt::AlignTop | Qt::AlignRight);
        QVERIFY(!view.lossPlot()->legendBelow());
        view.lossPlot()->setLegendBelow();
        QVERIFY(view.lossPlot()->legendBelow());
    }

    // Feature maps and heat maps come with a colour bar that says what their colours are worth.
    void colourBarsBesideMapsAndHeatMaps() {
        MapGrid grid;
        grid.resize(500, 300);
        Tensor maps({4, 5, 5});
        for (std::int64_t i = 0; i < maps.numel(); ++i)
            maps[i] = static_cast<float>(i) * 0.5f - 10.0f;
        grid.setMaps(maps);
        grid.show();
        QVERIFY(QTest::qWaitForWindowExposed(&grid));
        QCOMPARE(grid.colorBarLabels(), QStringList({"39.5", "14.8", "-10"}));
        const QRect bar = grid.colorBarRect();
        QVERIFY(!bar.isEmpty() && grid.rect().contains(bar));
        for (int c = 0; c < grid.maps(); ++c)
            QVERIFY(!grid.unitRect(c, 4, 4).intersects(bar.adjusted(0, 0, 40, 0)));
        const QImage shown = grid.grab().toImage();
        const qreal dpr = shown.devicePixelRatio();
        auto at = [&](int x, int y) { return shown.pixel(qRound(x * dpr), qRound(y * dpr)); };
        QCOMPARE(at(bar.center().x(), bar.top() + 2), viridis(1.0 - 2.0 / (bar.height() - 1)));
        QCOMPARE(at(bar.center().x(), bar.bottom() - 2), viridis(2.0 / (bar.height() - 1)));
        grid.setSharedScale(false);
        QCOMPARE(grid.colorBarLabels(), QStringList({"max", "", "min"}));

        InputView input;
        input.resize(300, 240);
        input.setImage(Tensor({1, 8, 8}, 0.5f));
        input.show();
        QVERIFY(QTest::qWaitForWindowExposed(&input));
        QVERIFY(input.heatBarRect().isEmpty());
        Tensor heat({8, 8}, 0.0f);
        heat[3 * 8 + 4] = 0.02f;
        heat[3 * 8 + 5] = 0.01f;
        input.setHeatmap(heat, "|∂score/∂pixel|");
        QVERIFY(!input.heatBarRect().isEmpty());
        QCOMPARE(input.heatBarTop(), QString("0.02"));
        QCOMPARE(input.heatQuantity(), QString("|∂score/∂pixel|"));
        input.setHeatmapVisible(false);
        QVERIFY(input.heatBarRect().isEmpty());
    }

    // At a scale factor of 2 (ctest runs this with QT_SCALE_FACTOR=2) curves and axes are two
    // device pixels wide, not hairlines.
    void pensScaleWithTheDevicePixelRatio() {
        TrainingView view;
        view.resize(800, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const qreal dpr = view.devicePixelRatioF();
        if (dpr < 2) QSKIP("needs QT_SCALE_FACTOR=2 (the ctest entry sets it)");
        Plot* loss = view.lossPlot();
        QCOMPARE(loss->graph(1)->pen().widthF(), dpr);
        QCOMPARE(loss->xAxis->basePen().widthF(), dpr);
        // The smoothed loss drawn flat: count its rows in device pixels.
        for (double s = 1; s <= 50; ++s)
            loss->graph(1)->addData(s, 1.0);
        loss->xAxis->setRange(0, 51);
        loss->yAxis->setRange(0, 2);
        loss->replot(QCustomPlot::rpImmediateRefresh);
        const QImage img = loss->grab().toImage();
        const int x = qRound(loss->xAxis->coordToPixel(25) * img.devicePixelRatio());
        int rows = 0;
        for (int y = 0; y < img.height(); ++y) {
            const QRgb c = img.pixel(x, y);
            if (qBlue(c) > 150 && qRed(c) < 100) ++rows;
        }
        QVERIFY2(rows >= 2, qPrintable(QString("%1 device rows").arg(rows)));
    }

    void viridisEnds() {
        QCOMPARE(viridis(0.0), qRgb(68, 1, 84));
        QCOMPARE(viridis(1.0), qRgb(253, 231, 37));
        QCOMPARE(viridis(std::nan("")), qRgb(68, 1, 84));
    }
};

QTEST_MAIN(UiTest)
#include "test_ui.moc"
