#pragma once
// The saved runs (a folder per run under the runs folder: the app's own, or one the user
// chose, e.g. where `layerlens train` wrote its runs): tick runs to overlay their
// curves on the training plots; open one (its final weights into the window); rename and delete
// (with confirmation).

#include <QWidget>
#include <vector>

#include "core/runs.h"

class QListWidget;

namespace ll::ui {

class RunsPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunsPanel(QWidget* parent = nullptr);
    void setRoot(const QString& root);
    const QString& root() const { return m_root; }
    /// Re-reads the folder (keeps the ticks of runs that are still there).
    void refresh();
    QListWidget* list() const { return m_list; }
    /// The ticked runs, read from disk.
    std::vector<RunData> checkedRuns() const;
    /// Ticks these run folders (others keep their state); overlaysChanged once.
    void checkRuns(const QStringList& dirs);
    /// When false, Delete does not ask (tests).
    void setConfirm(bool on) { m_confirm = on; }
    void deleteSelected();
    void renameSelected(const QString& newName);

signals:
    void overlaysChanged();
    /// "Same start" on a run: train the next run from its initial weights and data order.
    void sameStartRequested(const QString& runDir);
    /// "Open" (or a double-click) on a run: its model and final weights into the window.
    void openRequested(const QString& runDir);
    /// The user chose another runs folder (Folder…).
    void rootChosen(const QString& root);

private:
    void updateOverlayKeys();

    QString m_root;
    QListWidget* m_list;
    bool m_confirm = true;
};

}  // namespace ll::ui
