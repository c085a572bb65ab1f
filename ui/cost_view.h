#pragma once
// Cost view: the per-layer table of core/analysis/cost.h (modules and branches with subtotals,
// totals last), a convention selector, sorting, copy as CSV or Markdown, and a bar chart of
// parameters and FLOPs per layer.

#include <QWidget>
#include <map>
#include <memory>
#include <set>

#include "ui/snapshots.h"

class QComboBox;
class QLabel;
class QTableWidget;
class QTableView;
class QSortFilterProxyModel;

namespace ll::ui {

class CostTableModel;
class Plot;

class CostView : public QWidget {
    Q_OBJECT
public:
    explicit CostView(QWidget* parent = nullptr);
    /// Shows the worker's table (course convention); builds its own copy of the model's
    /// structure (never the training net) only when another convention is chosen, so a large
    /// model (AlexNet: 61 M parameters) does not stall the window when it is loaded.
    void setModel(const ModelInfo& info);
    /// Whether the copy of the structure exists (tests).
    bool builtOwnCopy() const { return m_net != nullptr; }
    void setConvention(const QString& name);
    CostTableModel* tableModel() const { return m_model; }
    /// Selects (and scrolls to) row `costRow` of the cost table, whatever the sorting.
    void selectRow(int costRow);
    /// The row of the cost table selected now (-1: none).
    int selectedRow() const;
    QSortFilterProxyModel* sortedModel() const { return m_sorted; }
    Plot* chart() const { return m_chart; }
    QString csv() const;
    QString markdown() const;
    /// Adds a design (preset name or model file) to the comparison below the caption: its totals
    /// beside the current model's, under the same convention. Returns the error, or empty. A
    /// preset or a small model file is read at once; an ONNX file or a large one is read on a
    /// pool thread (the window stays responsive; AlexNet's 244 MB takes seconds): the caption says
    /// "reading …", and its row, or its error in the caption, appears when it is read.
    QString addComparison(const QString& model);
    void clearComparison();
    QTableWidget* comparisonTable() const { return m_compare; }
    /// Models being read for the comparison now (tests).
    int comparisonsLoading() const { return static_cast<int>(m_loading.size()); }

private:
    void recompute();
    void recomputeComparison(const CostTable& current, const CostConvention& convention);
    void comparisonRead(const QString& model, std::shared_ptr<const Net> net, const QString& error);

    std::unique_ptr<Net> m_net;
    std::string m_json, m_name;
    CostTable m_default;  // the worker's, under the default convention
    CostTableModel* m_model;
    QSortFilterProxyModel* m_sorted;
    QTableView* m_table;
    QComboBox* m_convention;
    QLabel* m_caption;
    Plot* m_chart;
    QComboBox* m_compareWith;
    QTableWidget* m_compare;
    QStringList m_compared;  // in the order added, each read (in m_comparedNets)
    std::map<QString, std::shared_ptr<const Net>> m_comparedNets;  // shapes only: no weights
    std::set<QString> m_loading;                                   // being read on a pool thread
    int m_generation = 0;  // clearComparison drops what is still being read
};

}  // namespace ll::ui
