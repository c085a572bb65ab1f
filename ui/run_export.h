#pragma once
// Renders the training curves of a finished headless run (its metrics.csv) without a window:
// `layerlens export-plots --run DIR --out DIR [--format png|svg|pdf]`.

#include <QString>
#include <QStringList>

namespace ll::ui {

/// Writes loss.<format> and accuracy.<format> into outDir from runDir/metrics.csv. Returns the
/// files written; throws ll::DataError (missing or malformed metrics) or ll::UsageError.
QStringList exportRunPlots(const QString& runDir, const QString& outDir, const QString& format);

}  // namespace ll::ui
