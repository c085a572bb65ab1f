#pragma once
// The main window's menu bar (File, Run, Experiments, View, Help), built on the window's public
// interface only: every menu entry is something a test or a script can do too.

#include <QString>
#include <string>

class QMenu;

namespace ll::ui {

class MainWindow;

/// "Qt: 6.4.2 (built with 6.4.2)\n", for the build facts (About, `layerlens version`).
std::string qtVersionLine();
/// Help → About: version, commit, build type, code path, GEMM backend, library versions.
QString aboutText();

/// Builds `w`'s menus; returns File → Recent files (filled by RecentFiles).
QMenu* buildMenus(MainWindow& w);

}  // namespace ll::ui
