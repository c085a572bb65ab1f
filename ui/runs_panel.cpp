#include "ui/runs_panel.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QListWidget>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSet>
#include <QVBoxLayout>

#include "ui/plot.h"

namespace ll::ui {

RunsPanel::RunsPanel(QWidget* parent) : QWidget(parent) {
    m_list = new QListWidget;
    m_list->setToolTip("Tick runs to overlay their curves on the training plots");
    auto* refresh = new QPushButton("Refresh");
    auto* folder = new QPushButton("Folder…");
    folder->setToolTip(
        "Choose the runs folder: the runs listed here, and where new runs are saved (for "
        "example the --out folder of layerlens train or layerlens experiment)");
    auto* rename = new QPushButton("Rename…");
    auto* remove = new QPushButton("Delete…");
    auto* open = new QPushButton("Open");
    open->setToolTip(
        "Load this run's model and final weights into the window (Layers and Insight show the "
        "trained net; Train continues from it) and overlay its curves");
    auto* same = new QPushButton("Same start");
    same->setToolTip(
        "Set up the next run as this run was set up (model, data, seed, hyper-parameters): "
        "unchanged it repeats the run exactly, so only what you change differs");
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(refresh);
    buttons->addWidget(rename);
    buttons->addWidget(remove);
    auto* second = new QHBoxLayout;
    second->addWidget(folder);
    second->addWidget(open);
    second->addWidget(same);
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(2, 2, 2, 2);
    lay->addWidget(m_list, 1);
    lay->addLayout(buttons);
    lay->addLayout(second);
    connect(same, &QPushButton::clicked, this, [this] {
        if (QListWidgetItem* item = m_list->currentItem())
            emit sameStartRequested(item->data(Qt::UserRole).toString());
    });
    connect(open, &QPushButton::clicked, this, [this] {
        if (QListWidgetItem* item = m_list->currentItem())
            emit openRequested(item->data(Qt::UserRole).toString());
    });
    connect(m_list, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem* item) {
        emit openRequested(item->data(Qt::UserRole).toString());
    });
    connect(refresh, &QPushButton::clicked, this, &RunsPanel::refresh);
    connect(folder, &QPushButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, "Runs folder", m_root.isEmpty() ? "" : m_root);
        if (dir.isEmpty()) return;
        setRoot(dir);
        emit rootChosen(dir);
    });
    connect(m_list, &QListWidget::itemChanged, this, [this] {
        updateOverlayKeys();
        emit overlaysChanged();
    });
    connect(remove, &QPushButton::clicked, this, &RunsPanel::deleteSelected);
    connect(rename, &QPushButton::clicked, this, [this] {
        QListWidgetItem* item = m_list->currentItem();
        if (!item) return;
        bool ok = false;
        const QString name = QInputDialog::getText(
            this, "Rename run", "New name:", QLineEdit::Normal, item->text(), &ok);
        if (ok) renameSelected(name);
    });
}

void RunsPanel::setRoot(const QString& root) {
    m_root = root;
    refresh();
}

void RunsPanel::refresh() {
    QSet<QString> ticked;
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->checkState() == Qt::Checked)
            ticked.insert(m_list->item(i)->data(Qt::UserRole).toString());
    m_list->blockSignals(true);
    m_list->clear();
    for (const std::string& dir : listRuns(m_root.toStdString())) {
        const QString path = QString::fromStdString(dir);
        auto* item = new QListWidgetItem(QFileInfo(path).fileName(), m_list);
        item->setData(Qt::UserRole, path);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(ticked.contains(path) ? Qt::Checked : Qt::Unchecked);
    }
    m_list->blockSignals(false);
    updateOverlayKeys();
    emit overlaysChanged();
}

void RunsPanel::checkRuns(const QStringList& dirs) {
    m_list->blockSignals(true);
    for (int i = 0; i < m_list->count(); ++i)
        if (dirs.contains(m_list->item(i)->data(Qt::UserRole).toString()))
            m_list->item(i)->setCheckState(Qt::Checked);
    m_list->blockSignals(false);
    updateOverlayKeys();
    emit overlaysChanged();
}

void RunsPanel::updateOverlayKeys() {
    // The k-th ticked run is drawn in overlayColor(k) and overlayDash(k): show them beside it.
    m_list->blockSignals(true);
    int k = 0;
    for (int i = 0; i < m_list->count(); ++i) {
        QListWidgetItem* item = m_list->item(i);
        if (item->checkState() != Qt::Checked) {
            item->setIcon(QIcon());
            continue;
        }
        QPixmap key(28, 12);
        key.fill(Qt::transparent);
        QPainter p(&key);
        QPen pen(overlayColor(k), 2);
        pen.setStyle(overlayDash(k));
        p.setPen(pen);
        p.drawLine(1, 6, 27, 6);
        p.end();
        item->setIcon(QIcon(key));
        ++k;
    }
    m_list->setIconSize(QSize(28, 12));
    m_list->blockSignals(false);
}

std::vector<RunData> RunsPanel::checkedRuns() const {
    std::vector<RunData> runs;
    for (int i = 0; i < m_list->count(); ++i) {
        if (m_list->item(i)->checkState() != Qt::Checked) continue;
        try {
            runs.push_back(loadRun(m_list->item(i)->data(Qt::UserRole).toString().toStdString()));
        } catch (const std::exception&) {
            // Deleted behind our back: the next refresh drops it.
        }
    }
    return runs;
}

void RunsPanel::deleteSelected() {
    QListWidgetItem* item = m_list->currentItem();
    if (!item) return;
    if (m_confirm &&
        QMessageBox::question(this, "Delete run",
                              QString("Delete the run '%1' and its files?").arg(item->text())) !=
            QMessageBox::Yes)
        return;
    try {
        deleteRun(item->data(Qt::UserRole).toString().toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, "Delete run", e.what());
    }
    refresh();
}

void RunsPanel::renameSelected(const QString& newName) {
    QListWidgetItem* item = m_list->currentItem();
    if (!item) return;
    try {
        renameRun(item->data(Qt::UserRole).toString().toStdString(), newName.toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, "Rename run", e.what());
    }
    refresh();
}

}  // namespace ll::ui
