#pragma once
// File → Recent files: the last 8 models and checkpoints that opened (never one that failed),
// kept in the settings ("recentFiles").

#include <QObject>

class QMenu;

namespace ll::ui {

class RecentFiles : public QObject {
    Q_OBJECT
public:
    /// Fills `menu` (owned by the caller) with the list, newest first.
    explicit RecentFiles(QMenu* menu, QObject* parent = nullptr);
    /// `path` first in the list (moved there if it was in it).
    void add(const QString& path);

signals:
    void openRequested(const QString& path);

private:
    void refresh();
    QMenu* m_menu;
};

}  // namespace ll::ui
