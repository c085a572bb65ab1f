#pragma once
// The summary of an experiment run from the Experiments menu: per variant, the final training and
// test accuracy, test error and training time, as a table and a chart (test error bars, time on a
// second axis) — for random labels, test error against the noise ratio.

#include <QWidget>

#include "core/trainer.h"

class QLabel;
class QTableWidget;

namespace ll::ui {

class Plot;

class ExperimentView : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentView(QWidget* parent = nullptr);
    void start(const QString& name, const QString& explanation);
    void addResult(const QString& variant, const EpochReport& last, double seconds);
    QTableWidget* table() const { return m_table; }
    Plot* chart() const { return m_chart; }

private:
    void redraw();

    QLabel* m_title;
    QTableWidget* m_table;
    Plot* m_chart;
    QStringList m_names;
    QVector<double> m_error, m_seconds;
};

}  // namespace ll::ui
