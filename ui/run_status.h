#pragma once
// The status bar's permanent label, following a RunController: "training", "paused (Step trains
// one batch)", "stopping…", the last batch five times a second ("epoch 2, batch 40/600, loss
// 0.1234, 5120 images/s"), then how the run ended and its speed; "error" after a problem.

#include <QLabel>

#include "core/trainer.h"

class QProgressBar;

namespace ll::ui {

class RunController;

class RunStatus : public QLabel {
    Q_OBJECT
public:
    explicit RunStatus(RunController* run, QWidget* parent = nullptr);
    void showProblem() { setText("error"); }
    /// A busy bar shown while a model and its data load in the worker (a large ONNX model takes
    /// seconds); for the status bar, beside this label.
    QProgressBar* loadingBar() const { return m_loading; }
    /// "epoch 1: training loss 0.2, accuracy 93.10%, test loss ..., test accuracy ...%, N
    /// images/s": the line the window shows (and emits) for a finished epoch.
    static QString epochLine(const EpochReport& e);

private:
    void showState();
    RunController* m_run;
    QProgressBar* m_loading;
};

}  // namespace ll::ui
