#pragma once
// Live training curves: loss (raw per batch, smoothed, test) with the learning rate on a second
// axis; accuracy (training smoothed, test); per-layer gradient norms on a log scale (the
// vanishing-gradient view). Points are appended with addData and replots are queued.

#include <QStringList>
#include <QTimer>
#include <QWidget>

#include "core/runs.h"
#include "ui/plot.h"
#include "ui/snapshots.h"

namespace ll::ui {

/// Exponential moving average (α = 0.05) divided by 1 − (1−α)^n, so early points are unbiased.
struct Smoothed {
    double add(double x);
    double sum = 0, weight = 0;
};

class RunController;

class TrainingView : public QWidget {
    Q_OBJECT
public:
    explicit TrainingView(QWidget* parent = nullptr);

    /// Clears the curves for a new run of a model with these parameterized layers.
    void reset();
    /// Shows `run`'s runs: a new run's curves from its start (runStarted), its batches and
    /// evaluations.
    void follow(RunController* run);
    void addBatches(const BatchPoints& points);
    void addEval(const EvalReport& e);

    Plot* lossPlot() const { return m_loss; }
    Plot* accuracyPlot() const { return m_accuracy; }
    Plot* gradientPlot() const { return m_grads; }
    QList<Plot*> plots() const { return {m_loss, m_accuracy, m_grads}; }
    /// Metrics so far as CSV (step,epoch,batch,loss,accuracy,lr, then test rows).
    QString metricsCsv() const;
    /// Saved runs drawn beside the live curves, one colour and dash pattern per run: training
    /// loss and accuracy (smoothed like the live ones), test accuracy (markers) and each layer's
    /// gradient norm (in that layer's live colour).
    void setOverlays(const std::vector<RunData>& runs);
    int overlayGraphs() const { return m_overlayGraphs.size(); }
    /// Minimum time between redraws of the live curves (default 100 ms: 10 redraws/s; the
    /// training threads need the CPU more than the eye needs frames). A redraw's work is bounded
    /// however long the run: curves keep at most a few thousand points (LiveSeries), the axes
    /// follow running bounds, and a frame whose axes did not move redraws only the curves.
    void setRedrawInterval(int ms);
    int redraws() const { return m_redraws; }

private:
    Plot* m_loss;
    Plot* m_accuracy;
    Plot* m_grads;
    Smoothed m_emaLoss, m_emaAcc;
    LiveSeries m_lossRaw, m_lossSmoothed, m_lr, m_accSmoothed;
    QList<LiveSeries> m_norms;       // live, one per parameterized layer
    Bounds m_live[3], m_overlay[3];  // loss, accuracy, gradient plots
    double m_lrMax = 0;
    bool m_layoutChanged = true;  // graphs or legend entries added or removed
    bool m_evalAdded = false;
    QStringList m_csv;
    QStringList m_evalCsv;
    QTimer* m_redraw;
    QList<QCPGraph*> m_overlayGraphs;
    bool m_dirty = false;
    int m_redraws = 0;
};

}  // namespace ll::ui
