#pragma once
// Table models of the window: the layer list and the cost table. Both are plain
// QAbstractTableModels (tested with QAbstractItemModelTester); numbers sort numerically through
// Qt::UserRole.

#include <QAbstractTableModel>

#include "core/analysis/cost.h"
#include "ui/snapshots.h"

namespace ll::ui {

class LayerListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;
    void setModel(const ModelInfo& info);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    QString inputsText(int row) const;

    ModelInfo m_info;
};

class CostTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Type,
        Output,
        Params,
        Mult,
        Add,
        Flops,
        Macs,
        PoolOps,
        NormOps,
        ActEvals,
        AddMulOps,
        ActBytes,
        Rf,
        ColumnCount
    };
    using QAbstractTableModel::QAbstractTableModel;
    /// Rows: every row of the table (modules, branches, leaves), then the totals.
    void setTable(const CostTable& t);
    const CostTable& table() const { return m_table; }
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    CostTable m_table;
};

QString shapeText(const Shape& s);

}  // namespace ll::ui
