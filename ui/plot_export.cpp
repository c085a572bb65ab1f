#include "ui/plot_export.h"

#include "ui/plot.h"

#include <qcustomplot.h>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QMessageBox>
#include <QPainter>
#include <QPdfWriter>
#include <QSpinBox>
#include <QSvgGenerator>

namespace ll::ui {

namespace {

QString suffixOf(const QString& path) {
    return QFileInfo(path).suffix().toLower();
}

QString checkWritten(const QString& path) {
    const QFileInfo f(path);
    if (!f.exists() || f.size() == 0) return QString("could not write '%1'").arg(path);
    return {};
}

}  // namespace

QString exportPlot(QCustomPlot* plot, const QString& path, int width, int height, double scale) {
    // The hover read-out is for the mouse, not for a figure.
    if (auto* p = qobject_cast<Plot*>(plot)) p->hideReadout();
    const int w = width > 0 ? width : plot->width();
    const int h = height > 0 ? height : plot->height();
    const QString ext = suffixOf(path);
    bool ok = false;
    if (ext == "png") {
        ok = plot->savePng(path, w, h, scale);
    } else if (ext == "pdf") {
        ok = plot->savePdf(path, w, h);
    } else if (ext == "svg") {
        QSvgGenerator gen;
        gen.setFileName(path);
        gen.setSize(QSize(w, h));
        gen.setViewBox(QRect(0, 0, w, h));
        gen.setTitle(plot->objectName());
        QCPPainter painter;
        ok = painter.begin(&gen);
        if (ok) {
            plot->toPainter(&painter, w, h);
            painter.end();
        }
    } else {
        return QString("unknown format '%1': use .png, .svg or .pdf").arg(ext);
    }
    if (!ok) return QString("could not write '%1'").arg(path);
    return checkWritten(path);
}

QString exportWidget(QWidget* widget, const QString& path, double scale) {
    const QString ext = suffixOf(path);
    const QSize size = widget->size();
    if (ext == "png") {
        QImage img(size * scale, QImage::Format_ARGB32);
        img.setDevicePixelRatio(scale);
        img.fill(Qt::white);
        QPainter p(&img);
        widget->render(&p);
        p.end();
        if (!img.save(path, "PNG")) return QString("could not write '%1'").arg(path);
    } else if (ext == "svg") {
        QSvgGenerator gen;
        gen.setFileName(path);
        gen.setSize(size);
        gen.setViewBox(QRect(QPoint(0, 0), size));
        QPainter p;
        if (!p.begin(&gen)) return QString("could not write '%1'").arg(path);
        widget->render(&p);
        p.end();
    } else if (ext == "pdf") {
        QPdfWriter pdf(path);
        pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setResolution(72);
        QPainter p;
        if (!p.begin(&pdf)) return QString("could not write '%1'").arg(path);
        widget->render(&p);
        p.end();
    } else {
        return QString("unknown format '%1': use .png, .svg or .pdf").arg(ext);
    }
    return checkWritten(path);
}

namespace {
QString askPath(QWidget* parent, const QString& suggestedName) {
    return QFileDialog::getSaveFileName(parent, "Export", suggestedName + ".png",
                                        "PNG image (*.png);;SVG drawing (*.svg);;PDF (*.pdf)");
}

// Width and height in points and the PNG scale; false when cancelled.
bool askSize(QWidget* parent, QSize& size, double& scale) {
    QDialog dlg(parent);
    dlg.setWindowTitle("Export size");
    auto* w = new QSpinBox;
    auto* h = new QSpinBox;
    auto* sc = new QDoubleSpinBox;
    w->setRange(100, 10000);
    h->setRange(100, 10000);
    w->setValue(size.width());
    h->setValue(size.height());
    sc->setRange(0.5, 8);
    sc->setSingleStep(0.5);
    sc->setValue(scale);
    sc->setToolTip("PNG pixels per point (2 for sharp images in documents)");
    auto* form = new QFormLayout(&dlg);
    form->addRow("Width", w);
    form->addRow("Height", h);
    form->addRow("PNG scale", sc);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    if (dlg.exec() != QDialog::Accepted) return false;
    size = QSize(w->value(), h->value());
    scale = sc->value();
    return true;
}
}  // namespace

void exportPlotInteractively(QCustomPlot* plot, QWidget* parent, const QString& suggestedName) {
    const QString path = askPath(parent, suggestedName);
    if (path.isEmpty()) return;
    QSize size = plot->size();
    double scale = 2.0;
    if (!askSize(parent, size, scale)) return;
    const QString err = exportPlot(plot, path, size.width(), size.height(), scale);
    if (!err.isEmpty()) QMessageBox::warning(parent, "Export failed", err);
}

void exportWidgetInteractively(QWidget* widget, QWidget* parent, const QString& suggestedName) {
    const QString path = askPath(parent, suggestedName);
    if (path.isEmpty()) return;
    const QString err = exportWidget(widget, path, 2.0);
    if (!err.isEmpty()) QMessageBox::warning(parent, "Export failed", err);
}

}  // namespace ll::ui
