#include "ui/window_dialogs.h"

#include <QInputDialog>
#include <QMessageBox>

namespace ll::ui {

QuitAnswer askQuitWhileTraining(QWidget* parent) {
    const auto b = QMessageBox::question(
        parent, "Quit LayerLens",
        "Stop training and save the run?\n\nSave keeps the run with its final weights; Discard "
        "deletes it.",
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    return b == QMessageBox::Save      ? QuitAnswer::Save
           : b == QMessageBox::Discard ? QuitAnswer::Discard
                                       : QuitAnswer::Cancel;
}

bool askStopFor(QWidget* parent, const QString& what) {
    return QMessageBox::question(
               parent, "Stop training?",
               what + " stops the current run. Its curves stay until the next run starts.") ==
           QMessageBox::Yes;
}

QString askInputSize(QWidget* parent, const QString& name, const QString& offered) {
    bool ok = false;
    const QString answer = QInputDialog::getText(
        parent, "Input size",
        QString("%1 leaves the height and width of its input open (dynamic).\n"
                "Open it at height × width:")
            .arg(name),
        QLineEdit::Normal, offered, &ok);
    return ok ? answer : QString();
}

}  // namespace ll::ui
