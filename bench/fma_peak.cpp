// The machine's fp32 FMA peak (GFLOP/s) on one thread and on all threads: the 100% of
// `layerlens bench --per-layer`.
//   usage: fma_peak [SECONDS]
#include <cstdio>
#include <cstdlib>

#include "core/fma_peak.h"
#include "core/parallel.h"

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
    ll::setNumThreads(0);
    const ll::FmaPeak one = ll::measureFmaPeak(1, seconds);
    const ll::FmaPeak all = ll::measureFmaPeak(ll::numThreads(), seconds);
    std::printf(
        "fp32 FMA peak (%s, %d lanes): %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d threads\n",
        one.isa, one.lanes, one.gflops, all.gflops, all.threads);
    return 0;
}
