#include "ui/banner.h"

namespace ll::ui {

namespace {
const char* kProblemStyle =
    "QLabel { background: #fde2e1; color: #7a0000; padding: 6px; border: 1px solid #e0a0a0; }";
const char* kNoticeStyle =
    "QLabel { background: #e3f0fb; color: #0b3a5e; padding: 6px; border: 1px solid #9cc3e6; }";
}  // namespace

Banner::Banner(QWidget* parent) : QLabel(parent) {
    setWordWrap(true);
    setStyleSheet(kProblemStyle);
    setTextInteractionFlags(Qt::TextSelectableByMouse);
    hide();
}

void Banner::showNotice(const QString& html, const QString& kind) {
    m_kind = kind;
    setStyleSheet(kNoticeStyle);
    setText(html);
    show();
}

void Banner::showProblem(const QString& message) {
    m_problem = message;
    m_kind.clear();
    setStyleSheet(kProblemStyle);
    setText("<b>Problem:</b> " + message.toHtmlEscaped());
    emit problem(message);
    show();
}

void Banner::clearProblem() {
    if (!m_problem.isEmpty()) hide();
    m_problem.clear();
}

void Banner::dismiss(const QString& kind) {
    if (m_kind != kind || kind.isEmpty()) return;
    hide();
    m_kind.clear();
}

}  // namespace ll::ui
