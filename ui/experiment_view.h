#pragma once
// The summary of an experiment run from the Experiments menu: per variant, the final training and
// test accuracy, test error and training time, as a table and a chart (test error bars, time on a
// second axis) — for random labels, test error against the noise ratio; each variant's gradient
// norm per layer (mean over its last epoch, log scale: the vanishing-gradient figure); what the
// runs show beyond the table (momentum forms compared, gradient ratios); and the batch-norm
// folding check (same outputs, fewer layers).

#include <QStringList>
#include <QWidget>
#include <utility>
#include <vector>

#include "core/runs.h"
#include "core/trainer.h"
#include "ui/run_controller.h"

class QLabel;
class QTableWidget;

namespace ll::ui {

class Plot;

class ExperimentView : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentView(QWidget* parent = nullptr);
    void start(const QString& name, const QString& explanation);
    /// The banner's notice for experiment `name` as planned, started with `seed`.
    static QString notice(const QString& name, const RunController::ExperimentPlan& plan,
                          std::uint64_t seed);
    /// A variant finished: its last epoch, its training time and its saved run (for the norms).
    void addResult(const QString& variant, const EpochReport& last, double seconds,
                   const RunData& run = {});
    /// A transform's check (batch-norm folding, activations after max-pooling) under `title`:
    /// its sentences, or why it could not be made.
    void setFoldCheck(const QString& title, const QStringList& lines, const QString& error);
    /// Shows `run`'s experiments as they go: each variant's result when it completes (its saved
    /// run read back), and the transform checks.
    void follow(RunController* run);
    QTableWidget* table() const { return m_table; }
    Plot* chart() const { return m_chart; }
    Plot* normsChart() const { return m_norms; }
    /// Findings and fold check as shown (plain text).
    QString findingsText() const;
    /// The summary for a report: title, table and findings as Markdown.
    QString markdown() const;

private:
    void redraw();
    void showFindings();

    QString m_name;
    QLabel* m_title;
    QLabel* m_findings;
    QTableWidget* m_table;
    Plot* m_chart;
    Plot* m_norms;
    QStringList m_names;
    QVector<double> m_error, m_seconds;
    std::vector<std::pair<std::string, RunData>> m_runs;
    QStringList m_foldLines;
};

}  // namespace ll::ui
