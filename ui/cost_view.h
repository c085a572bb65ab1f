#pragma once
// Cost view: the per-layer table of core/analysis/cost.h (modules and branches with subtotals,
// totals last), a convention selector, sorting, copy as CSV or Markdown, and a bar chart of
// parameters and FLOPs per layer.

#include <QWidget>
#include <memory>

#include "ui/snapshots.h"

class QComboBox;
class QLabel;
class QTableView;
class QSortFilterProxyModel;

namespace ll::ui {

class CostTableModel;
class Plot;

class CostView : public QWidget {
    Q_OBJECT
public:
    explicit CostView(QWidget* parent = nullptr);
    /// Builds its own copy of the model's structure (never the training net).
    void setModel(const ModelInfo& info);
    void setConvention(const QString& name);
    CostTableModel* tableModel() const { return m_model; }
    QSortFilterProxyModel* sortedModel() const { return m_sorted; }
    Plot* chart() const { return m_chart; }
    QString csv() const;
    QString markdown() const;

private:
    void recompute();

    std::unique_ptr<Net> m_net;
    CostTableModel* m_model;
    QSortFilterProxyModel* m_sorted;
    QTableView* m_table;
    QComboBox* m_convention;
    QLabel* m_caption;
    Plot* m_chart;
};

}  // namespace ll::ui
