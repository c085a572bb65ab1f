#pragma once
// File → Download MNIST / CIFAR-10: the official files (or a mirror's) into the app's data
// folder, on their own thread, with a progress dialog and Cancel; every file is verified
// (core/data/download.h) before it is kept.

#include <QObject>
#include <QPointer>
#include <atomic>
#include <memory>

class QThread;
class QWidget;

namespace ll::ui {

class DataDownload : public QObject {
    Q_OBJECT
public:
    explicit DataDownload(QObject* parent = nullptr);
    /// Cancels a download still going and waits for its thread.
    ~DataDownload() override;

    /// Starts downloading `dataset` ("mnist", "cifar10") from `baseUrl` (empty: the official
    /// address) into `to`, the progress dialog over `dialogParent`. Returns an error (one is
    /// going already, an unknown data set) or empty; finished follows.
    QString start(const QString& dataset, const QString& baseUrl, const QString& to,
                  QWidget* dialogParent);
    /// Cancels a download still going and waits for its thread (quit).
    void cancelAndWait();

signals:
    /// error empty: `dataset` is in `dir`, verified.
    void finished(const QString& dataset, const QString& dir, const QString& error);

protected:
    /// Takes over what the download thread handed over (thread_handoff.h).
    bool event(QEvent* e) override;

private:
    QThread* m_thread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancel;
};

}  // namespace ll::ui
