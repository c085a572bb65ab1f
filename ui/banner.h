#pragma once
// The banner above the tabs: a problem (red, stays until the next thing that works) or a notice
// (blue). A notice may have a kind, so that what it announces can take it away again
// ("experiment": at the next ordinary run; "random-inputs": when a model the data fits loads).

#include <QLabel>

namespace ll::ui {

class Banner : public QLabel {
    Q_OBJECT
public:
    explicit Banner(QWidget* parent = nullptr);

    void showNotice(const QString& html, const QString& kind = {});
    /// "Problem: message" (plain text); emits problem.
    void showProblem(const QString& message);
    /// Hides a problem, if one is shown; a notice stays.
    void clearProblem();
    /// Hides the notice of `kind`, if it is the one shown.
    void dismiss(const QString& kind);
    /// The problem shown last and not cleared since (empty: none).
    const QString& problemText() const { return m_problem; }
    const QString& noticeKind() const { return m_kind; }
    /// The text as shown; empty when hidden.
    QString shownText() const { return isHidden() ? QString() : text(); }

signals:
    void problem(const QString& message);

private:
    QString m_problem;
    QString m_kind;
};

}  // namespace ll::ui
