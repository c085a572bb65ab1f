// The convolution lab's kernel text: parseKernel (conv_lab.h), then the kernel applied to a small
// image with the settings the mode bits give.
//
// Mode bits: stride 1 + (mode & 3), padding (mode >> 2 & 3), dilation 1 + (mode >> 4 & 3);
// 0x40: the image has 3 channels (else 1). Part 0 is the kernel text.
#include <cmath>

#include "core/analysis/conv_lab.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    guarded([&] {
        const ll::Kernel k = ll::parseKernel(in.part(0));
        require(k.rows >= 1 && k.rows <= ll::kMaxLabKernel && k.cols >= 1 &&
                    k.cols <= ll::kMaxLabKernel &&
                    k.w.size() == static_cast<std::size_t>(k.rows * k.cols),
                "parseKernel returned a kernel of a size it should refuse");
        for (float v : k.w)
            require(std::isfinite(v), "parseKernel returned a value that is not finite");
        require(ll::parseKernel(k.str()) == k, "the kernel's text does not read back the same");
        ll::LabConv s;
        s.stride = 1 + (in.mode & 3);
        s.padding = in.mode >> 2 & 3;
        s.dilation = 1 + (in.mode >> 4 & 3);
        ll::Tensor image({in.mode & 0x40 ? 3 : 1, 9, 9}, 0.5f);
        const ll::Tensor y = ll::applyKernel(image, k, s);  // UsageError when it does not fit
        require(y.rank() == 3 && y.dim(0) == image.dim(0), "applyKernel's output shape");
    });
    return 0;
}
