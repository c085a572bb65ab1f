#pragma once
// Versions of the GUI stack, for `layerlens --version` and the About box.

#include <QString>

namespace ll::ui {

/// "Qt 6.4.2, QCustomPlot 2.1.1".
QString guiStackVersions();

}  // namespace ll::ui
