#pragma once
// What this binary is: version, git commit, build type, the code path of the hot kernels and the
// libraries it was built with. `layerlens version` and Help → About print the same lines.

#include <string>

namespace ll {

/// "0.1.0".
const char* buildVersion();
/// Lines "name: value", one per fact (commit, build type, target, GEMM, OpenCV, Eigen);
/// `extra` lines (the window adds Qt's) are appended as given.
std::string buildInfo(const std::string& extra = {});

}  // namespace ll
