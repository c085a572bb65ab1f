#include "ui/run_export.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTextStream>
#include <cmath>

#include "core/error.h"
#include "core/runs.h"
#include "ui/plot.h"
#include "ui/plot_export.h"

namespace ll::ui {

namespace {

// The curves of a run: per epoch when it has finished one, else per step from its batch log (a
// run killed during its first epoch), with the x-axis named accordingly.
struct Curves {
    QString xLabel = "epoch";
    QVector<double> x, trainLoss, trainAcc, testX, testLoss, testAcc;
};

// Runs written before the run log existed hold only metrics.csv (one line per epoch).
Curves legacyMetrics(const QString& runDir) {
    const QString path = QDir(runDir).filePath("metrics.csv");
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        throw DataError(strCat("cannot read '", runDir.toStdString(),
                               "': is --run a folder written by 'layerlens train'?"));
    QTextStream in(&f);
    const QStringList header = in.readLine().trimmed().split(',');
    const QStringList want = {"epoch", "train_loss", "train_acc", "test_loss", "test_acc"};
    for (const QString& col : want)
        if (!header.contains(col))
            throw DataError(strCat("'", path.toStdString(), "' has no column '", col.toStdString(),
                                   "' (header: ", header.join(',').toStdString(), ")"));
    Curves c;
    int lineNo = 1;
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty()) continue;
        const QStringList v = line.split(',');
        if (v.size() != header.size()) {
            if (in.atEnd()) break;  // a run cut short may leave a partial last line
            throw DataError(strCat("'", path.toStdString(), "' line ", lineNo, ": ", v.size(),
                                   " fields, expected ", header.size()));
        }
        auto num = [&](const char* col) { return v[header.indexOf(col)].toDouble(); };
        c.x << num("epoch");
        c.trainLoss << num("train_loss");
        c.trainAcc << 100 * num("train_acc");
        c.testLoss << num("test_loss");
        c.testAcc << 100 * num("test_acc");
    }
    c.testX = c.x;
    if (c.x.isEmpty()) throw DataError(strCat("'", path.toStdString(), "' has no epochs yet"));
    return c;
}

Curves curvesOf(const QString& runDir) {
    if (!QFileInfo::exists(QDir(runDir).filePath("config.json"))) return legacyMetrics(runDir);
    const RunData run = loadRun(runDir.toStdString());  // the reader the window uses
    Curves c;
    if (!run.epochs.empty()) {
        for (const EpochReport& e : run.epochs) {
            c.x << e.epoch;
            c.trainLoss << e.trainLoss;
            c.trainAcc << 100 * e.trainAccuracy;
            c.testLoss << e.testLoss;
            c.testAcc << 100 * e.testAccuracy;
        }
        c.testX = c.x;
        return c;
    }
    if (run.batches.empty())
        throw DataError(strCat("run '", runDir.toStdString(),
                               "' has no epochs and no batches yet: nothing to plot"));
    // Killed before its first epoch ended: the batch log has the curve.
    c.xLabel = "step (no epoch finished)";
    for (const BatchReport& b : run.batches) {
        c.x << static_cast<double>(b.step);
        c.trainLoss << b.loss;
        c.trainAcc << 100 * b.accuracy;
    }
    for (const EvalReport& e : run.evals) {
        c.testX << static_cast<double>(e.step);
        c.testLoss << e.loss;
        c.testAcc << 100 * e.accuracy;
    }
    return c;
}

}  // namespace

QStringList exportRunPlots(const QString& runDir, const QString& outDir, const QString& format) {
    if (format != "png" && format != "svg" && format != "pdf")
        throw UsageError(strCat("--format '", format.toStdString(), "': expected png, svg or pdf"));
    const Curves c = curvesOf(runDir);
    if (!QDir().mkpath(outDir))
        throw DataError(strCat("cannot create '", outDir.toStdString(), "'"));
    QStringList written;
    auto series = [](Plot& p, const QString& name, const QVector<double>& x,
                     const QVector<double>& y, const QColor& color) {
        QCPGraph* g = p.addGraph();
        g->setName(name);
        g->setPen(QPen(color, 2));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
        QVector<double> xs, ys;
        for (int i = 0; i < x.size(); ++i)
            if (std::isfinite(y[i])) {
                xs << x[i];
                ys << y[i];
            }
        g->setData(xs, ys);
    };
    const QString run = QDir(runDir).dirName();
    Plot loss("Loss — " + run, c.xLabel, "loss");
    series(loss, "training loss", c.x, c.trainLoss, QColor(31, 119, 180));
    series(loss, "test loss", c.testX, c.testLoss, QColor(214, 39, 40));
    Plot acc("Accuracy — " + run, c.xLabel, "accuracy (%)");
    series(acc, "training accuracy", c.x, c.trainAcc, QColor(31, 119, 180));
    series(acc, "test accuracy", c.testX, c.testAcc, QColor(214, 39, 40));
    for (Plot* p : {&loss, &acc}) {
        p->resize(800, 500);
        p->rescaleAxes();
        p->xAxis->setRange(p->xAxis->range().lower - 0.3, p->xAxis->range().upper + 0.3);
        const QCPRange r = p->yAxis->range();
        p->yAxis->setRange(r.lower - 0.05 * r.size() - 1e-6, r.upper + 0.05 * r.size() + 1e-6);
        const QString file = QDir(outDir).filePath((p == &loss ? "loss." : "accuracy.") + format);
        const QString err = exportPlot(p, file, 800, 500, 1.0);
        if (!err.isEmpty()) throw DataError(err.toStdString());
        written << file;
    }
    return written;
}

}  // namespace ll::ui
