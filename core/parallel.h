#pragma once
// Thread control for the math kernels (OpenMP for batch-parallel loops, Eigen for GEMM).

#include <cstdint>

namespace ll {

/// Below this many element operations a loop runs on the calling thread: a parallel region costs
/// a few microseconds, and far more when other processes compete for the cores (every barrier
/// then waits for a descheduled thread). Used as parallelFor(n, work >= kParallelMinWork, ...).
constexpr std::int64_t kParallelMinWork = std::int64_t{1} << 16;

/// body(i) for i in [0, n): split statically over the OpenMP team when `parallel`, else on the
/// calling thread without entering a parallel region at all (libgomp allocates a team even for
/// an `if (false)` region, and a steady-state training step must not allocate). Either way
/// threadIndex() inside is the thread's index (0 when serial), as in `omp parallel for`.
template <typename F>
void parallelFor(int n, bool parallel, F&& body) {
    if (parallel) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < n; ++i)
            body(i);
    } else {
        for (int i = 0; i < n; ++i)
            body(i);
    }
}

/// Sets the number of threads used by OpenMP loops and Eigen; n <= 0 means all cores.
void setNumThreads(int n);
/// Threads the kernels will use.
int numThreads();
/// Index of the calling thread inside a parallel region (0 outside).
int threadIndex();

}  // namespace ll
