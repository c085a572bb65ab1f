// layerlens: parses the command line and wires objects together; the work lives in core/ and ui/.
//
//   layerlens [--model NAME|FILE] [--data DIR] [--dataset D] [--epochs N] [--batch B]
//             [--train | --experiment NAME] [--screenshots DIR] [--quit-when-done]
//                                                                     the desktop window
//   layerlens export-plots --run DIR --out DIR [--format png|svg|pdf]
//   layerlens COMMAND ...                                             headless commands (cli.h)
#include <QApplication>
#include <QDir>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "app/args.h"
#include "app/cli.h"
#include "core/data/discovery.h"
#include "core/data/mnist.h"
#include "core/data/synthetic.h"
#include "core/error.h"
#include "core/experiments.h"
#include "ui/experiment_view.h"
#include "ui/image_decoder.h"
#include "ui/layers_view.h"
#include "ui/main_window.h"
#include "ui/run_export.h"
#include "ui/setup_panel.h"
#include "ui/training_view.h"
#include "ui/unit_view.h"
#include "ui/window_menus.h"

namespace {

// Whether Qt has a platform to open a window on: a display, or a platform chosen explicitly
// (QT_QPA_PLATFORM, or Qt's own -platform option).
bool haveDisplay(const std::vector<std::string>& args) {
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) {
        const char* v = std::getenv(name);
        if (v && *v) return true;
    }
    return std::find(args.begin(), args.end(), "-platform") != args.end();
}

const char* kHeadlessHint =
    "run it under a virtual display with 'xvfb-run -a layerlens ...', or use a headless command "
    "(see 'layerlens help')";

// Qt reports a platform it cannot start (DISPLAY names no reachable X server, a platform plugin
// that is missing or fails) with qFatal, which aborts the process. While the QApplication is
// constructed, this handler holds Qt's messages back; a fatal one becomes one line and exit 2
// instead of SIGABRT. We chose this over probing the display ourselves (connecting to the X
// socket, looking for the plugin): it covers every platform and reason Qt has, with Qt's own
// words for what went wrong, and cannot refuse a display Qt would have opened.
class PlatformStartGuard {
public:
    PlatformStartGuard() { s_previous = qInstallMessageHandler(&PlatformStartGuard::handle); }
    /// Qt started: hands back the messages held, and the handler.
    void started() {
        if (m_done) return;
        m_done = true;
        qInstallMessageHandler(s_previous);
        for (const Held& h : s_held) {
            const QMessageLogContext context(nullptr, 0, nullptr,
                                             h.category.empty() ? nullptr : h.category.c_str());
            qt_message_output(h.type, context, h.message);
        }
        s_held.clear();
    }
    ~PlatformStartGuard() { started(); }

private:
    struct Held {
        QtMsgType type;
        std::string category;
        QString message;
    };
    static void handle(QtMsgType type, const QMessageLogContext& context, const QString& message) {
        if (type != QtFatalMsg) {
            s_held.push_back({type, context.category ? context.category : "", message});
            return;
        }
        // The first thing Qt's platform code said says why ("could not connect to display
        // :5"); the fatal message itself is several lines about plugins.
        QString why = message;
        for (auto it = s_held.rbegin(); it != s_held.rend(); ++it)
            if (it->category.rfind("qt.qpa", 0) == 0) why = it->message;
        why = why.section('\n', 0, 0).trimmed();
        std::cout.flush();
        std::cerr << "layerlens: cannot open the window: " << why.toStdString() << "; "
                  << kHeadlessHint << std::endl;
        std::_Exit(2);
    }
    bool m_done = false;
    static inline QtMessageHandler s_previous = nullptr;
    static inline std::vector<Held> s_held;
};

int exportPlots(int argc, char** argv, const std::vector<std::string>& args) {
    try {
        const ll::cli::Command& command = ll::cli::exportPlotsCommand();
        ll::cli::Args a(std::vector<std::string>(args.begin() + 1, args.end()), command);
        if (a.help()) {
            std::cout << command.usage();
            return 0;
        }
        if (!a.has("run") || !a.has("out"))
            throw ll::UsageError("--run DIR and --out DIR are required");
        // Headless by design: no display needed.
        if (!haveDisplay({})) qputenv("QT_QPA_PLATFORM", "offscreen");
        PlatformStartGuard guard;
        QApplication app(argc, argv);
        guard.started();
        const QStringList files = ll::ui::exportRunPlots(
            QString::fromStdString(a.str("run")), QString::fromStdString(a.str("out")),
            QString::fromStdString(a.str("format", "png")));
        for (const QString& f : files)
            std::cout << f.toStdString() << "\n";
        return 0;
    } catch (const ll::UsageError& e) {
        std::cerr << "layerlens export-plots: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "layerlens export-plots: " << e.what() << "\n";
        return 1;
    }
}

// Grabs each tab of the window into dir (README screenshots, checked by eye).
void saveScreenshots(ll::ui::MainWindow& w, const QString& dir) {
    QDir().mkpath(dir);
    for (int i = 0; i < w.tabs()->count(); ++i) {
        w.tabs()->setCurrentIndex(i);
        QApplication::processEvents();
        w.grab().save(
            QDir(dir).filePath(QString("layerlens-%1.png").arg(w.tabs()->tabText(i).toLower())));
    }
    w.tabs()->setCurrentIndex(0);
}

int gui(int argc, char** argv, const std::vector<std::string>& args) {
    // Options first, so that help and mistakes need no display.
    ll::cli::Args a(args, ll::cli::windowCommand());
    if (a.help()) {
        std::cout << ll::cli::windowCommand().usage();
        return 0;
    }
    if (!haveDisplay(args)) {
        std::cerr << "layerlens: no display to open the window on (DISPLAY, WAYLAND_DISPLAY and "
                     "QT_QPA_PLATFORM are unset); "
                  << kHeadlessHint << std::endl;
        return 2;
    }
    PlatformStartGuard guard;
    QApplication app(argc, argv);
    guard.started();
    QApplication::setApplicationName("LayerLens");
    QApplication::setOrganizationName("LayerLens");
    ll::ui::MainWindow w;
    ll::ui::SetupPanel* setup = w.setup();
    // The data folder first: a model change loads the model with its data at once.
    const char* env = std::getenv("LAYERLENS_DATA");
    if (a.has("data")) {
        setup->setDataDir(QString::fromStdString(a.str("data")));
    } else if (env && *env && setup->dataDir().isEmpty()) {
        setup->setDataDir(QString::fromLocal8Bit(env));
    }
    // An experiment opens on its own (first) model, so the data set given fits what is shown.
    const QString experiment = QString::fromStdString(a.str("experiment"));
    std::string experimentModel;
    if (!experiment.isEmpty()) {
        if (a.has("train")) throw ll::UsageError("--train and --experiment: choose one");
        std::string explain;  // throws UsageError, listing the experiments, for an unknown name
        experimentModel = ll::experimentVariants(experiment.toStdString(), explain).front().model;
    }
    if (a.has("model")) {
        setup->setModel(QString::fromStdString(a.str("model")));
    } else if (!experimentModel.empty()) {
        setup->setModel(QString::fromStdString(experimentModel));
    }
    if (a.has("dataset")) {
        const std::string ds = a.str("dataset");
        if (ds != "mnist" && ds != "cifar10" && !ll::isSyntheticDataset(ds))
            throw ll::UsageError(
                "--dataset must be mnist, cifar10, synthetic-digits or synthetic-shapes, got '" +
                ds + "'");
        setup->setDataset(QString::fromStdString(ds));
    }
    // A fresh install with no data: LeNet-5 on the built-in synthetic digits, and say how to get
    // MNIST.
    bool synthetic = false;
    QString searched;
    if (!a.has("dataset") && setup->dataset() == "mnist" &&
        ll::findMnist(setup->dataDir().toStdString()).empty()) {
        // Look where copies usually are: the app's data folder, ./data, ~/data, Keras' cache.
        const auto roots = ll::dataRoots(
            setup->dataDir().toStdString(),
            QStandardPaths::writableLocation(QStandardPaths::AppDataLocation).toStdString(),
            QDir::homePath().toStdString());
        const ll::FoundData f = ll::firstUsable(ll::discoverData(roots), "mnist");
        if (!f.path.empty() && !a.has("data")) {
            setup->setDataDir(QString::fromStdString(f.path));
        } else {
            setup->setDataset("synthetic-digits");
            synthetic = true;
            for (const ll::DataRoot& r : roots)
                searched += (searched.isEmpty() ? "" : ", ") + QString::fromStdString(r.path);
        }
    }
    if (a.has("epochs")) setup->setEpochs(a.integer("epochs", 1, 1, 100000));
    if (a.has("batch")) setup->setBatch(a.integer("batch", 64, 1, 1 << 20));
    if (a.has("train-subset")) setup->setTrainingSubset(a.integer("train-subset", 0, 0, 1 << 30));
    if (a.has("redraw-ms"))
        w.trainingView()->setRedrawInterval(a.integer("redraw-ms", 100, 10, 60000));
    w.show();
    if (synthetic) {
        w.showNotice(QString("No MNIST found (looked in %1), so LayerLens uses its "
                             "built-in <b>synthetic digits</b>. To use MNIST, choose the folder "
                             "holding the four IDX files (train-images-idx3-ubyte.gz ...) under "
                             "<i>Data folder</i> and pick MNIST, or start with --data DIR or "
                             "LAYERLENS_DATA.")
                         .arg(searched.toHtmlEscaped()));
    }
    w.loadSetup();
    // layerlens FILE (a file manager's "Open with"): the first operand that is a file or folder.
    for (const std::string& word : a.positional()) {
        if (word.rfind("-", 0) == 0 || !std::filesystem::exists(word)) continue;
        w.openPath(QString::fromStdString(word));
        break;
    }
    const bool train = a.has("train");
    const QString shots = QString::fromStdString(a.str("screenshots"));
    const bool quit = a.has("quit-when-done");
    if (train || !experiment.isEmpty()) {
        QObject::connect(&w, &ll::ui::MainWindow::modelLoaded, &w, [&w, experiment] {
            static bool once = false;
            if (once) return;
            once = true;
            if (experiment.isEmpty()) {
                w.startTraining();
            } else {
                w.runExperiment(experiment);
            }
        });
    }
    if (quit) {
        // Headless use (run.sh without a display): a problem before or during the run ends it.
        QObject::connect(&w, &ll::ui::MainWindow::problem, &w, [&w](const QString& message) {
            if (w.isTraining()) return;  // runFinished follows
            std::cerr << "layerlens: " << message.toStdString() << std::endl;
            QApplication::exit(1);
        });
    }
    QObject::connect(&w, &ll::ui::MainWindow::epochReported, &w,
                     [](const QString& line) { std::cout << line.toStdString() << std::endl; });
    auto grabAndQuit = [&w, shots, quit] {
        if (!shots.isEmpty()) saveScreenshots(w, shots);
        if (quit) w.close();
    };
    // --units LAYER: the Units tab on that layer, its top-k, then every channel maximized. Each
    // load restarts the wait (the panel's model, then the file opened), so it starts on the last.
    const QString unitsLayer = QString::fromStdString(a.str("units"));
    if (!unitsLayer.isEmpty()) {
        if (train || !experiment.isEmpty())
            throw ll::UsageError("--units and --train or --experiment: choose one");
        auto* settle = new QTimer(&w);
        settle->setSingleShot(true);
        settle->setInterval(1500);
        QObject::connect(&w, &ll::ui::MainWindow::modelLoaded, settle, qOverload<>(&QTimer::start));
        QObject::connect(settle, &QTimer::timeout, &w, [&w, unitsLayer] {
            const int node = w.runController()->modelInfo().layerNames.indexOf(unitsLayer);
            if (node < 0) {
                std::cerr << "layerlens: --units " << unitsLayer.toStdString() << ": "
                          << w.runController()->modelInfo().model.toStdString()
                          << " has no layer of that name" << std::endl;
                QApplication::exit(2);
                return;
            }
            w.tabs()->setCurrentWidget(w.unitView());
            w.unitView()->setLayer(node);
            w.unitView()->findTopK();
        });
        ll::ui::UnitView* uv = w.unitView();
        QObject::connect(uv, &ll::ui::UnitView::topKShown, uv, [uv] {
            if (uv->maximized().empty() && !uv->busy()) uv->maximize(-1);
        });
        QObject::connect(uv, &ll::ui::UnitView::maximizeFinished, &w, [&w, uv, grabAndQuit] {
            std::cout << uv->markdown().toStdString() << std::flush;
            w.tabs()->setCurrentWidget(uv);
            QTimer::singleShot(500, &w, grabAndQuit);
        });
    }
    QObject::connect(&w, &ll::ui::MainWindow::experimentFinished, &w, [&w, grabAndQuit] {
        std::cout << "experiment finished" << std::endl;
        w.tabs()->setCurrentWidget(w.experimentView());
        QTimer::singleShot(1500, &w, grabAndQuit);
    });
    QObject::connect(&w, &ll::ui::MainWindow::runFinished, &w,
                     [&w, shots, experiment, grabAndQuit](const QString& how) {
                         std::cout << "run " << how.toStdString() << std::endl;
                         // An experiment ends with experimentFinished, or with a failed run.
                         if (!experiment.isEmpty() && how != "failed") return;
                         if (!w.lastError().isEmpty())
                             std::cerr << "layerlens: " << w.lastError().toStdString() << std::endl;
                         if (!shots.isEmpty()) {
                             // Show a unit's receptive field on the layers tab before grabbing it.
                             w.tabs()->setCurrentIndex(1);
                             w.layersView()->setCurrentLayer(3);
                             w.layersView()->selectUnit(2, 4, 6);
                             QTimer::singleShot(1500, &w, grabAndQuit);
                         } else {
                             grabAndQuit();
                         }
                     });
    return app.exec();
}

}  // namespace

int main(int argc, char** argv) {
    ll::cli::setVersionExtra(ll::ui::qtVersionLine());
    ll::ui::installQtImageDecoder();  // image folders and opened images, CLI and window alike
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "export-plots") return exportPlots(argc, argv, args);
    // A command word, help, version -- or a word no command has, which run() refuses.
    if (!ll::cli::isWindowLaunch(args)) return ll::cli::run(args, std::cout, std::cerr);
    try {
        return gui(argc, argv, args);
    } catch (const ll::UsageError& e) {
        std::cerr << "layerlens: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "layerlens: " << e.what() << "\n";
        return 1;
    }
}
