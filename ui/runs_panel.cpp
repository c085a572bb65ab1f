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
#include <QSettings>
#include <QTimer>
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
        followChecked();
        emit overlaysChanged();
    });
    m_followTimer = new QTimer(this);
    m_followTimer->setInterval(2000);
    connect(m_followTimer, &QTimer::timeout, this, &RunsPanel::pollFollowed);
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
    const QString current =
        m_list->currentItem() ? m_list->currentItem()->data(Qt::UserRole).toString() : QString();
    m_list->blockSignals(true);
    m_list->clear();
    for (const std::string& dir : listRuns(m_root.toStdString())) {
        const QString path = QString::fromStdString(dir);
        auto* item = new QListWidgetItem(labelOf(path), m_list);
        item->setData(Qt::UserRole, path);
        const std::string kind = foreignRunKind(dir);
        if (!kind.empty() && !QFileInfo::exists(path + "/config.json"))
            item->setToolTip(QString("%1 log in %2, only read; followed while ticked (what its job "
                                     "appends shows within seconds)")
                                 .arg(QString::fromStdString(kind), path));
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(ticked.contains(path) ? Qt::Checked : Qt::Unchecked);
        if (path == current) m_list->setCurrentItem(item);  // a rename keeps the selection
    }
    m_list->blockSignals(false);
    updateOverlayKeys();
    followChecked();
    emit overlaysChanged();
}

void RunsPanel::checkRuns(const QStringList& dirs) {
    m_list->blockSignals(true);
    for (int i = 0; i < m_list->count(); ++i)
        if (dirs.contains(m_list->item(i)->data(Qt::UserRole).toString()))
            m_list->item(i)->setCheckState(Qt::Checked);
    m_list->blockSignals(false);
    updateOverlayKeys();
    followChecked();
    emit overlaysChanged();
}

namespace {
// A foreign log (another tool's), not one of our run folders.
bool isForeign(const QString& dir) {
    return !QFileInfo::exists(dir + "/config.json") && !foreignRunKind(dir.toStdString()).empty();
}
QString labelKey(const QString& dir) {
    // QSettings keys treat '/' as groups: the path's bytes, percent-encoded, make one key.
    return "runLabels/" +
           QString::fromLatin1(QFileInfo(dir).absoluteFilePath().toUtf8().toPercentEncoding());
}
}  // namespace

QString RunsPanel::labelOf(const QString& dir) const {
    const QString label = QSettings().value(labelKey(dir)).toString();
    return label.isEmpty() ? QFileInfo(dir).fileName() : label;
}

void RunsPanel::followChecked() {
    QSet<QString> ticked;
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->checkState() == Qt::Checked)
            ticked.insert(m_list->item(i)->data(Qt::UserRole).toString());
    for (auto it = m_followers.begin(); it != m_followers.end();)
        it = ticked.contains(it->first) ? std::next(it) : m_followers.erase(it);
    for (const QString& dir : ticked) {
        if (m_followers.count(dir) || !isForeign(dir)) continue;
        try {
            m_followers[dir] = std::make_unique<ForeignRunFollower>(dir.toStdString());
        } catch (const std::exception&) {
            // Unreadable now: checkedRuns() reads it as any run (and skips it if it fails).
        }
    }
    if (m_followers.empty()) {
        m_followTimer->stop();
    } else if (!m_followTimer->isActive()) {
        m_followTimer->start();
    }
}

void RunsPanel::setFollowInterval(int ms) {
    m_followTimer->setInterval(ms);
}

void RunsPanel::pollFollowed() {
    bool changed = false;
    for (auto& [dir, follower] : m_followers)
        changed = follower->poll() || changed;
    if (changed) emit overlaysChanged();
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
        const QString dir = m_list->item(i)->data(Qt::UserRole).toString();
        try {
            const auto f = m_followers.find(dir);
            runs.push_back(f != m_followers.end() ? f->second->run() : loadRun(dir.toStdString()));
            runs.back().name = labelOf(dir).toStdString();
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
    const QString dir = item->data(Qt::UserRole).toString();
    if (isForeign(dir)) {
        // Another tool's log is never moved or written: the name is a label of ours. Empty:
        // back to the folder's name.
        QSettings s;
        if (newName.trimmed().isEmpty()) {
            s.remove(labelKey(dir));
        } else {
            s.setValue(labelKey(dir), newName.trimmed());
        }
        refresh();
        return;
    }
    try {
        renameRun(item->data(Qt::UserRole).toString().toStdString(), newName.toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, "Rename run", e.what());
    }
    refresh();
}

}  // namespace ll::ui
