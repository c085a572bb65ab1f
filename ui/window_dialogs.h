#pragma once
// The questions the main window asks, each a modal dialog.

#include <QString>

class QWidget;

namespace ll::ui {

/// What to do with a run that is going when the window closes. Ask: put the question.
enum class QuitAnswer { Ask, Save, Discard, Cancel };
/// "Stop training and save the run?" Save / Discard / Cancel.
QuitAnswer askQuitWhileTraining(QWidget* parent);
/// "`what` stops the current run." Yes / No; true for Yes.
bool askStopFor(QWidget* parent, const QString& what);
/// The height × width to open ONNX model `name` at (its input size is dynamic), offering
/// `offered`; empty for Cancel.
QString askInputSize(QWidget* parent, const QString& name, const QString& offered);

}  // namespace ll::ui
