#include "ui/run_export.h"

#include <QDir>
#include <QFile>
#include <QTextStream>
#include <cmath>

#include "core/error.h"
#include "ui/plot.h"
#include "ui/plot_export.h"

namespace ll::ui {

QStringList exportRunPlots(const QString& runDir, const QString& outDir, const QString& format) {
    if (format != "png" && format != "svg" && format != "pdf")
        throw UsageError(strCat("--format '", format.toStdString(), "': expected png, svg or pdf"));
    const QString path = QDir(runDir).filePath("metrics.csv");
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        throw DataError(strCat("cannot read '", path.toStdString(),
                               "': is --run a folder written by 'layerlens train'?"));
    QTextStream in(&f);
    const QStringList header = in.readLine().trimmed().split(',');
    const QStringList want = {"epoch", "train_loss", "train_acc", "test_loss", "test_acc"};
    for (const QString& col : want)
        if (!header.contains(col))
            throw DataError(strCat("'", path.toStdString(), "' has no column '", col.toStdString(),
                                   "' (header: ", header.join(',').toStdString(), ")"));
    QVector<double> epoch, trainLoss, trainAcc, testLoss, testAcc;
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
        epoch << num("epoch");
        trainLoss << num("train_loss");
        trainAcc << 100 * num("train_acc");
        testLoss << num("test_loss");
        testAcc << 100 * num("test_acc");
    }
    if (epoch.isEmpty()) throw DataError(strCat("'", path.toStdString(), "' has no epochs yet"));
    if (!QDir().mkpath(outDir))
        throw DataError(strCat("cannot create '", outDir.toStdString(), "'"));
    QStringList written;
    auto series = [](Plot& p, const QString& name, const QVector<double>& x,
                     const QVector<double>& y, const QColor& c) {
        QCPGraph* g = p.addGraph();
        g->setName(name);
        g->setPen(QPen(c, 2));
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
    Plot loss("Loss — " + run, "epoch", "loss");
    series(loss, "training loss", epoch, trainLoss, QColor(31, 119, 180));
    series(loss, "test loss", epoch, testLoss, QColor(214, 39, 40));
    Plot acc("Accuracy — " + run, "epoch", "accuracy (%)");
    series(acc, "training accuracy", epoch, trainAcc, QColor(31, 119, 180));
    series(acc, "test accuracy", epoch, testAcc, QColor(214, 39, 40));
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
