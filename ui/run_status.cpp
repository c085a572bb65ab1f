#include "ui/run_status.h"

#include <QProgressBar>

#include "ui/run_controller.h"

namespace ll::ui {

RunStatus::RunStatus(RunController* run, QWidget* parent)
    : QLabel("ready", parent), m_run(run), m_loading(new QProgressBar) {
    m_loading->setObjectName("loadingBar");
    m_loading->setRange(0, 0);  // busy: the import says nothing of how far it is
    m_loading->setMaximumWidth(120);
    m_loading->hide();
    connect(run, &RunController::stateChanged, this, &RunStatus::showState);
    connect(run, &RunController::progress, this, [this](const BatchReport& r) {
        // A run's last batches come after it ended (for the bars): how it ended stays shown.
        if (!m_run->isRunning()) return;
        setText(QString("epoch %1, batch %2/%3, loss %4, %5 images/s")
                    .arg(r.epoch)
                    .arg(r.batch)
                    .arg(r.batchesPerEpoch)
                    .arg(r.loss, 0, 'f', 4)
                    .arg(r.imagesPerSecond, 0, 'f', 0));
    });
    connect(run, &RunController::runFinished, this, [this](const QString& how) {
        if (how == "failed") return;  // the problem says it
        setText(QString("run %1 (%2 images/s)")
                    .arg(how)
                    .arg(m_run->lastBatch().imagesPerSecond, 0, 'f', 0));
    });
}

void RunStatus::showState() {
    m_loading->setVisible(m_run->state() == RunController::State::Loading);
    switch (m_run->state()) {
        case RunController::State::Loading:
            return setText("loading the model and data…");
        case RunController::State::Paused:
            return setText("paused (Step trains one batch)");
        case RunController::State::Training:
            return setText("training");
        case RunController::State::Stopping:
            return setText("stopping…");
        case RunController::State::Idle:
        case RunController::State::Ready:
            return setText("ready");  // how a run ended follows (runFinished)
        default:
            return;
    }
}

QString RunStatus::epochLine(const EpochReport& e) {
    return QString(
               "epoch %1: training loss %2, accuracy %3%, test loss %4, test accuracy %5%, %6 "
               "images/s")
        .arg(e.epoch)
        .arg(e.trainLoss, 0, 'f', 4)
        .arg(100 * e.trainAccuracy, 0, 'f', 2)
        .arg(e.testLoss, 0, 'f', 4)
        .arg(100 * e.testAccuracy, 0, 'f', 2)
        .arg(e.imagesPerSecond, 0, 'f', 0);
}

}  // namespace ll::ui
