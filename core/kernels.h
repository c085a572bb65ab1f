#pragma once
// Which kernels the layers run: the fast ones (default) or the reference path every fast kernel
// is tested against (`--kernels reference` on the command line). They differ only where a fast
// kernel sums in another order, so results differ in the last bits, never in meaning:
//
//   fast       batch norm's training statistics and its gradient sums run in 8 double lanes
//              (vectorized); 3×3 convolutions at stride 1 or 2 run direct AVX-512 kernels
//              (direct_conv_kernels.h) instead of im2col + GEMM, and wide 3×3 and 5×5 ones at
//              stride 1 Winograd's algorithms (winograd_conv.h); other convolutions work on
//              blocks of samples of at most 2 MB of columns (reference: 32 MB).
//   reference  every sum in its written order (one running double per channel): the path the
//              stored preset trajectories (tests/data/preset_trajectories.txt) were recorded on,
//              bit for bit.
//
// Both are deterministic for a given thread count.

#include <string>

namespace ll {

enum class KernelSet { Fast, Reference };

/// Process-wide; set it before training or inference starts, not while a pass runs.
void setKernelSet(KernelSet k);
KernelSet kernelSet();
/// "fast" or "reference".
const char* kernelSetName(KernelSet k);
/// Parses "fast" or "reference"; throws std::invalid_argument otherwise.
KernelSet parseKernelSet(const std::string& name);

/// Sets a kernel set for the lifetime of the scope (tests).
class KernelSetScope {
public:
    explicit KernelSetScope(KernelSet k) : m_previous(kernelSet()) { setKernelSet(k); }
    ~KernelSetScope() { setKernelSet(m_previous); }
    KernelSetScope(const KernelSetScope&) = delete;
    KernelSetScope& operator=(const KernelSetScope&) = delete;

private:
    KernelSet m_previous;
};

}  // namespace ll
