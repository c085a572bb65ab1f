#pragma once
// Thread control for the math kernels (OpenMP for batch-parallel loops, Eigen for GEMM).

#include <cstdint>

namespace ll {

/// Below this many element operations a loop runs on the calling thread: a parallel region costs
/// a few microseconds, and far more when other processes compete for the cores (every barrier
/// then waits for a descheduled thread). Used as `#pragma omp parallel for if(...)`.
constexpr std::int64_t kParallelMinWork = std::int64_t{1} << 16;

/// Sets the number of threads used by OpenMP loops and Eigen; n <= 0 means all cores.
void setNumThreads(int n);
/// Threads the kernels will use.
int numThreads();
/// Index of the calling thread inside a parallel region (0 outside).
int threadIndex();

}  // namespace ll
