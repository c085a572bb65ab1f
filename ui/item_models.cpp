#include "ui/item_models.h"

#include <QBrush>
#include <QFont>
#include <QLocale>

namespace ll::ui {

QString shapeText(const Shape& s) {
    QStringList parts;
    for (int d = 0; d < s.rank(); ++d)
        parts << QString::number(s[d]);
    return parts.join("×");
}

void LayerListModel::setModel(const ModelInfo& info) {
    beginResetModel();
    m_info = info;
    endResetModel();
}

int LayerListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : m_info.layerNames.size();
}

int LayerListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : 4;
}

QVariant LayerListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_info.layerNames.size()) return {};
    const int r = index.row();
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
            case 0:
                return m_info.layerNames[r];
            case 1:
                return m_info.layerTypes[r];
            case 2:
                return shapeText(m_info.layerShapes[r]);
            case 3:
                return inputsText(r);
        }
    }
    if (role == Qt::ToolTipRole) {
        const int row = m_info.layerCostRow.value(r, -1);
        if (row >= 0 && row < static_cast<int>(m_info.costs.rows.size())) {
            const CostRow& c = m_info.costs.rows[static_cast<std::size_t>(row)];
            return QString("%1 (%2) %3\nparameters %4")
                .arg(m_info.layerNames[r], m_info.layerTypes[r], QString::fromStdString(c.detail))
                .arg(c.cost.params());
        }
    }
    return {};
}

// The layers a node reads, when they are not just the previous one (graphs: "s1b1.bn2, relu1").
QString LayerListModel::inputsText(int r) const {
    const QVector<int> from = m_info.layerInputs.value(r);
    if (from.size() == 1 && from[0] == r - 1) return {};
    QStringList names;
    for (int j : from)
        names << (j < 0 ? QString("input") : m_info.layerNames.value(j));
    return names.join(", ");
}

QVariant LayerListModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"layer", "type", "output", "inputs"};
    return section >= 0 && section < 4 ? QVariant(names[section]) : QVariant();
}

void CostTableModel::setTable(const CostTable& t) {
    beginResetModel();
    m_table = t;
    endResetModel();
}

int CostTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid()
               ? 0
               : static_cast<int>(m_table.rows.size()) + (m_table.rows.empty() ? 0 : 1);
}

int CostTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CostTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const bool total = index.row() == static_cast<int>(m_table.rows.size());
    CostRow tr;
    if (total) {
        tr.name = "total";
        tr.cost = m_table.totals;
        tr.rf.valid = false;
        for (const CostRow& r : m_table.rows)
            if (r.depth == 0) tr.outputShape = r.outputShape;
    }
    const CostRow& r = total ? tr : m_table.rows[static_cast<std::size_t>(index.row())];
    const CostCounts& c = r.cost;
    auto number = [&](std::int64_t v) -> QVariant {
        if (role == Qt::UserRole) return static_cast<qlonglong>(v);
        return QLocale(QLocale::English).toString(static_cast<qlonglong>(v));
    };
    if (role == Qt::DisplayRole || role == Qt::UserRole) {
        switch (index.column()) {
            case Name: {
                const QString n = QString::fromStdString(r.name);
                if (role == Qt::UserRole) return index.row();  // sorting by name keeps table order
                return QString(r.depth * 3, ' ') + n;
            }
            case Type:
                return QString::fromStdString(r.type);
            case Output:
                return shapeText(r.outputShape);
            case Params:
                return number(c.params());
            case Mult:
                return number(c.multiplications);
            case Add:
                return number(c.additions);
            case Flops:
                return number(c.flops);
            case Macs:
                return number(c.macs);
            case PoolOps:
                return number(c.poolOps);
            case NormOps:
                return number(c.normOps);
            case ActEvals:
                return number(c.activations);
            case AddMulOps:
                return number(c.elementwise);
            case ActBytes:
                return number(c.activationBytes);
            case Rf:
                if (!r.rf.valid)
                    return role == Qt::UserRole ? QVariant(-1) : QVariant(total ? "" : "—");
                if (role == Qt::UserRole) return r.rf.size[0];
                return QString("%1×%2 / %3 / %4")
                    .arg(r.rf.size[0])
                    .arg(r.rf.size[1])
                    .arg(r.rf.jump[0])
                    .arg(r.rf.start[0]);
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() >= Params && index.column() <= ActBytes)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::FontRole && (total || !r.leaf)) {
        QFont f;
        f.setBold(true);
        return f;
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == Flops) return QString::fromStdString(m_table.convention.explain());
        if (index.column() == Rf && !r.rf.note.empty()) return QString::fromStdString(r.rf.note);
        return QString::fromStdString(r.detail);
    }
    return {};
}

QVariant CostTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal) return {};

    if (role == Qt::DisplayRole && section >= 0 && section < ColumnCount) {
        if (section == Flops)
            return QString("FLOPs (%1)").arg(QString::fromStdString(m_table.convention.name()));
        return QString::fromStdString(costColumnTitles()[static_cast<std::size_t>(section)]);
    }
    if (role == Qt::ToolTipRole && section == Flops)
        return QString::fromStdString(m_table.convention.explain());
    return {};
}

}  // namespace ll::ui
