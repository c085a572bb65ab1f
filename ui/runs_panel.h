#pragma once
// The saved runs (a folder per run under the runs folder: the app's own, or one the user
// chose, e.g. where `layerlens train` wrote its runs): tick runs to overlay their
// curves on the training plots; open one (its final weights into the window); rename and delete
// (with confirmation). Logs of other tools (TensorBoard, Lightning and Keras CSV: foreign_runs.h)
// are listed beside them and, while ticked, followed: what a job elsewhere appends shows on the
// plots within a poll interval (2 s). They are never written: Rename gives them a label (kept in
// the settings), not a new folder name, and Delete refuses.

#include <QWidget>
#include <map>
#include <memory>
#include <vector>

#include "core/foreign_runs.h"
#include "core/runs.h"

class QListWidget;
class QPushButton;
class QTimer;

namespace ll::ui {

class RunsPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunsPanel(QWidget* parent = nullptr);
    void setRoot(const QString& root);
    /// The runs folder the user chose last (Folder…, remembered in the settings) if it is still
    /// there, else the app's own (<app data>/runs).
    void restoreRoot();
    const QString& root() const { return m_root; }
    /// Re-reads the folder (keeps the ticks of runs that are still there).
    void refresh();
    QListWidget* list() const { return m_list; }
    /// The ticked runs: ours read from disk, foreign logs as their followers last read them
    /// (named by their label when they have one).
    std::vector<RunData> checkedRuns() const;
    /// How often ticked foreign logs are polled for new records (default 2000 ms; tests).
    void setFollowInterval(int ms);
    /// Polls the ticked foreign logs now; overlaysChanged when one of them changed.
    void pollFollowed();
    /// Foreign logs being followed (the ticked ones).
    int followedCount() const { return static_cast<int>(m_followers.size()); }
    /// The tag names the user mapped to curves (Map tags…), remembered in the settings and used
    /// for every foreign log.
    TagMapping tagMapping() const;
    /// Replaces and remembers the mapping; the ticked logs are read again with it.
    void setTagMapping(const TagMapping& mapping);
    /// Map tags… on the selected foreign log: a dialog with a choice of its tags per curve.
    void mapTagsOfSelected();
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
    /// Followers for the ticked foreign logs (made on ticking, dropped on unticking).
    void followChecked();
    QString labelOf(const QString& dir) const;

    QString m_root;
    QListWidget* m_list;
    QPushButton* m_mapTags;
    bool m_confirm = true;
    std::map<QString, std::unique_ptr<ForeignRunFollower>> m_followers;
    QTimer* m_followTimer;
};

}  // namespace ll::ui
