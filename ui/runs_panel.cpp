#include "ui/runs_panel.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSet>
#include <QSettings>
#include <QStandardPaths>
#include <QTimer>
#include <QVBoxLayout>

#include "ui/plot.h"

namespace ll::ui {

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
// A tag name as one QSettings key ('/' would open a group).
QString nameKey(const std::string& name) {
    return QString::fromLatin1(QByteArray::fromStdString(name).toPercentEncoding());
}
}  // namespace

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
    m_mapTags = new QPushButton("Map tags…");
    m_mapTags->setToolTip(
        "Choose which of another tool's tags or columns is the loss, accuracy, test loss, test "
        "accuracy and learning rate (remembered for every log)");
    m_mapTags->setEnabled(false);
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
    buttons->addWidget(m_mapTags);
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
        QSettings().setValue("runsRoot", dir);
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
    connect(m_mapTags, &QPushButton::clicked, this, &RunsPanel::mapTagsOfSelected);
    connect(m_list, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        m_mapTags->setEnabled(item && isForeign(item->data(Qt::UserRole).toString()));
    });
    connect(rename, &QPushButton::clicked, this, [this] {
        QListWidgetItem* item = m_list->currentItem();
        if (!item) return;
        bool ok = false;
        const QString name = QInputDialog::getText(
            this, "Rename run", "New name:", QLineEdit::Normal, item->text(), &ok);
        if (ok) renameSelected(name);
    });
}

void RunsPanel::restoreRoot() {
    const QString chosen = QSettings().value("runsRoot").toString();
    setRoot(!chosen.isEmpty() && QFileInfo(chosen).isDir()
                ? chosen
                : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/runs");
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
    QListWidgetItem* selected = m_list->currentItem();
    m_mapTags->setEnabled(selected && isForeign(selected->data(Qt::UserRole).toString()));
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
            m_followers[dir] =
                std::make_unique<ForeignRunFollower>(dir.toStdString(), tagMapping());
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

TagMapping RunsPanel::tagMapping() const {
    TagMapping m;
    QSettings s;
    s.beginGroup("tagMapping");
    for (const QString& key : s.childKeys()) {
        const int c = s.value(key).toInt();
        if (c < 0 || c > static_cast<int>(Curve::LearningRate)) continue;
        m[QString::fromUtf8(QByteArray::fromPercentEncoding(key.toLatin1()))
              .toLower()
              .toStdString()] = static_cast<Curve>(c);
    }
    return m;
}

void RunsPanel::setTagMapping(const TagMapping& mapping) {
    QSettings s;
    s.remove("tagMapping");
    s.beginGroup("tagMapping");
    for (const auto& [name, curve] : mapping)
        s.setValue(nameKey(name), static_cast<int>(curve));
    s.endGroup();
    m_followers.clear();
    followChecked();
    emit overlaysChanged();
}

void RunsPanel::mapTagsOfSelected() {
    QListWidgetItem* item = m_list->currentItem();
    if (!item) return;
    const QString dir = item->data(Qt::UserRole).toString();
    RunData r;
    try {
        r = loadForeignRun(dir.toStdString(), tagMapping());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, "Map tags", e.what());
        return;
    }
    QStringList names;
    for (const CurvePoints& cp : r.curves)
        names << QString::fromStdString(cp.source);
    for (const std::string& n : r.unmapped)
        names << QString::fromStdString(n);
    names.removeDuplicates();
    names.sort(Qt::CaseInsensitive);
    QDialog d(this);
    d.setWindowTitle("Map tags of " + item->text());
    auto* form = new QFormLayout(&d);
    form->addRow(
        new QLabel("Which tag or column each curve is drawn from (remembered; the "
                   "table's choice otherwise):"));
    TagMapping mapping = tagMapping();
    std::vector<QComboBox*> boxes;
    for (int c = 0; c <= static_cast<int>(Curve::LearningRate); ++c) {
        const Curve curve = static_cast<Curve>(c);
        auto* box = new QComboBox;
        box->setObjectName(QString("map-%1").arg(c));
        QString current = "none";
        for (const CurvePoints& cp : r.curves)
            if (cp.curve == curve) current = QString::fromStdString(cp.source);
        box->addItem(QString("the table's choice (%1)").arg(current));
        box->addItems(names);
        for (const QString& n : names) {
            const auto it = mapping.find(n.toLower().toStdString());
            if (it != mapping.end() && it->second == curve) box->setCurrentText(n);
        }
        form->addRow(curveName(curve), box);
        boxes.push_back(box);
    }
    auto* ok = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(ok, &QDialogButtonBox::accepted, &d, &QDialog::accept);
    connect(ok, &QDialogButtonBox::rejected, &d, &QDialog::reject);
    form->addRow(ok);
    if (d.exec() != QDialog::Accepted) return;
    // This log's names are mapped as chosen now; other logs' names keep theirs.
    for (const QString& n : names)
        mapping.erase(n.toLower().toStdString());
    for (int c = 0; c < static_cast<int>(boxes.size()); ++c)
        if (boxes[static_cast<std::size_t>(c)]->currentIndex() > 0)
            mapping[boxes[static_cast<std::size_t>(c)]->currentText().toLower().toStdString()] =
                static_cast<Curve>(c);
    setTagMapping(mapping);
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
