#pragma once
// Renders the training curves of a headless run without a window, read as the window reads runs
// (epochs.csv, else batches.csv and evals.csv for a run killed in its first epoch; metrics.csv for
// folders without config.json):
// `layerlens export-plots --run DIR --out DIR [--format png|svg|pdf]`.

#include <QString>
#include <QStringList>

namespace ll::ui {

/// Writes loss.<format> and accuracy.<format> into outDir. Returns the files written; throws
/// ll::DataError (not a run, or nothing logged yet) or ll::UsageError.
QStringList exportRunPlots(const QString& runDir, const QString& outDir, const QString& format);

}  // namespace ll::ui
