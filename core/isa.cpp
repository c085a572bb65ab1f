#include "core/isa.h"

#include <cstdlib>
#include <cstring>

namespace ll {

bool cpuSupports(Isa isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    switch (isa) {
        case Isa::Avx512:
            return avx2 && __builtin_cpu_supports("avx512f") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl");
        case Isa::Avx2:
            return avx2;
        case Isa::Baseline:
            break;
    }
    return true;
#else
    return isa == Isa::Baseline;
#endif
}

namespace {

Isa detect() {
    Isa best = cpuSupports(Isa::Avx512) ? Isa::Avx512
               : cpuSupports(Isa::Avx2) ? Isa::Avx2
                                        : Isa::Baseline;
    if (const char* cap = std::getenv("LAYERLENS_ISA")) {
        if (std::strcmp(cap, "portable") == 0) best = Isa::Baseline;
        if (std::strcmp(cap, "avx2") == 0 && best == Isa::Avx512) best = Isa::Avx2;
    }
    return best;
}

}  // namespace

Isa kernelIsa() {
    static const Isa isa = detect();
    return isa;
}

const char* isaName(Isa isa) {
    switch (isa) {
        case Isa::Avx512:
            return "AVX-512";
        case Isa::Avx2:
            return "AVX2";
        case Isa::Baseline:
            break;
    }
    return "baseline";
}

}  // namespace ll
