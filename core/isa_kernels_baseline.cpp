// core/isa_kernels.h's kernels compiled for the build's target, and the choice between them.

#define LL_ISA_KERNELS_NS isa_baseline
#define LL_ISA_KERNELS_NAME "baseline"
#include "core/isa_kernels.inc"

#include "core/isa.h"

namespace ll {

namespace {

// The widest packets the build's own Eigen uses, in floats.
constexpr int kBuildLanes = Eigen::internal::packet_traits<float>::size;

const IsaKernels& choose() {
    const Isa isa = kernelIsa();
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
    if (isa == Isa::Avx512 && kBuildLanes < 16) return isa_avx512::kKernels;
#endif
#if defined(LAYERLENS_HAVE_AVX2_KERNELS)
    if (isa >= Isa::Avx2 && kBuildLanes < 8) return isa_avx2::kKernels;
#endif
    (void)isa;
    return isa_baseline::kKernels;
}

}  // namespace

const IsaKernels& isaKernels() {
    static const IsaKernels& k = choose();
    return k;
}

const IsaKernels& isaKernelsFor(KernelSet set) {
    return set == KernelSet::Fast ? isaKernels() : isa_baseline::kKernels;
}

bool isaKernelsWideEigen() {
    static const bool wide = &isaKernels() != &isa_baseline::kKernels || kBuildLanes >= 8;
    return wide;
}

std::string isaKernelsInfo() {
    const IsaKernels& k = isaKernels();
    if (&k != &isa_baseline::kKernels)
        return std::string(k.name) + " copy (chosen at run time: this CPU has it)";
    return "as compiled (Eigen's " + std::to_string(kBuildLanes) + "-float vectors)";
}

}  // namespace ll
