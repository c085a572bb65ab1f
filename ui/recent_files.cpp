#include "ui/recent_files.h"

#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace ll::ui {

RecentFiles::RecentFiles(QMenu* menu, QObject* parent) : QObject(parent), m_menu(menu) {
    refresh();
}

void RecentFiles::add(const QString& path) {
    QSettings s;
    QStringList list = s.value("recentFiles").toStringList();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > 8)
        list.removeLast();
    s.setValue("recentFiles", list);
    refresh();
}

void RecentFiles::refresh() {
    m_menu->clear();
    const QStringList list = QSettings().value("recentFiles").toStringList();
    for (const QString& path : list)
        m_menu->addAction(QFileInfo(path).fileName(), this,
                          [this, path] { emit openRequested(path); });
    m_menu->setEnabled(!list.isEmpty());
}

}  // namespace ll::ui
