#include "core/build_info.h"

#include <Eigen/Core>
#include <opencv2/core/version.hpp>

#include "core/gemm.h"
#include "core/isa_kernels.h"
#include "core/layers/direct_conv_kernels.h"
#include "core/layers/winograd_conv.h"

#ifndef LAYERLENS_VERSION
#define LAYERLENS_VERSION "unknown"
#endif
#include "layerlens_git_commit.h"  // generated at every build: cmake/GitCommit.cmake
#ifndef LAYERLENS_BUILD_TYPE
#define LAYERLENS_BUILD_TYPE "unknown"
#endif
#ifndef LAYERLENS_TARGET
#define LAYERLENS_TARGET "unknown"
#endif

namespace ll {

const char* buildVersion() {
    return LAYERLENS_VERSION;
}

std::string buildInfo(const std::string& extra) {
    std::string s;
    auto line = [&s](const char* name, const std::string& value) {
        s += name;
        s += ": ";
        s += value;
        s += '\n';
    };
    line("commit", LAYERLENS_GIT_COMMIT);
    line("build type", LAYERLENS_BUILD_TYPE);
    line("compiled for", LAYERLENS_TARGET);
    line("convolution GEMM", gemmBackend());
    line("3×3 convolutions", directConvAvailable()
                                 ? "direct kernels, AVX-512 (chosen at run time: this CPU has it)"
                                 : "im2col + GEMM (the direct kernels need AVX-512, x86-64-v4, "
                                   "and LAYERLENS_ISA not lowering it)");
    line("wide 3×3 and 5×5 convolutions",
         winogradAvailable()
             ? "Winograd F(2×2, 3×3), F(4×4, 3×3), F(2×2, 5×5) (from 64 input and 128 output "
               "channels; LAYERLENS_WINOGRAD=off for the direct kernels)"
             : "no Winograd (it needs the direct kernels' CPU and a build targeting AVX2 or "
               "wider, and LAYERLENS_WINOGRAD not off)");
    line("small products, tanh, Adam, batch norm, depthwise", isaKernelsInfo());
    line("OpenCV", CV_VERSION);
    line("Eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                      "." + std::to_string(EIGEN_MINOR_VERSION));
    return s + extra;
}

}  // namespace ll
