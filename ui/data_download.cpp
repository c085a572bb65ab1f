#include "ui/data_download.h"

#include <QEvent>
#include <QProgressDialog>
#include <QThread>

#include "core/data/download.h"
#include "ui/thread_handoff.h"

namespace ll::ui {

DataDownload::DataDownload(QObject* parent) : QObject(parent) {}

DataDownload::~DataDownload() {
    cancelAndWait();
    delete m_thread;  // its queued hand-back is dropped with this object
}

bool DataDownload::event(QEvent* e) {
    if (e->type() == QEvent::MetaCall) takeOver(Handoff::ToWindow);
    return QObject::event(e);
}

void DataDownload::cancelAndWait() {
    if (!m_thread) return;
    *m_cancel = true;
    m_thread->wait();
}

QString DataDownload::start(const QString& dataset, const QString& baseUrl, const QString& to,
                            QWidget* dialogParent) {
    if (m_thread) return "a download is already running";
    DataSource src;
    try {
        src = officialSource(dataset.toStdString(), baseUrl.toStdString());
    } catch (const std::exception& e) {
        return e.what();
    }
    auto* dlg = new QProgressDialog(QString("Downloading %1 into %2").arg(dataset, to), "Cancel", 0,
                                    1000, dialogParent);
    dlg->setObjectName("downloadDialog");
    dlg->setWindowModality(Qt::WindowModal);
    dlg->setMinimumDuration(0);
    dlg->setAutoClose(false);
    dlg->setAutoReset(false);
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancel;
    connect(dlg, &QProgressDialog::canceled, this, [cancel] { *cancel = true; });
    QPointer<QProgressDialog> guard(dlg);
    m_thread = QThread::create([this, src, to, cancel, guard] {
        QString error;
        try {
            downloadDataset(
                src, to.toStdString(),
                [&](const std::string& file, std::int64_t done, std::int64_t total) {
                    const QString label = QString("%1: %2 of %3 MB")
                                              .arg(QString::fromStdString(file))
                                              .arg(done / 1e6, 0, 'f', 1)
                                              .arg(total > 0 ? total / 1e6 : 0.0, 0, 'f', 1);
                    const int value = total > 0 ? static_cast<int>(1000 * done / total) : 0;
                    handOver(Handoff::ToWindow);
                    QMetaObject::invokeMethod(this, [guard, label, value] {
                        if (!guard) return;
                        guard->setLabelText(label);
                        guard->setValue(value);
                    });
                    return !cancel->load();
                });
        } catch (const std::exception& e) {
            error = e.what();
        }
        handOver(Handoff::ToWindow);
        QMetaObject::invokeMethod(
            this, [this, guard, error, to, ds = QString::fromStdString(src.dataset)] {
                if (guard) guard->deleteLater();
                m_thread->wait();
                m_thread->deleteLater();
                m_thread = nullptr;
                emit finished(ds, to, error);
            });
    });
    m_thread->start();
    return {};
}

}  // namespace ll::ui
