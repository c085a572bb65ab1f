#pragma once
// Thread control for the math kernels (OpenMP for batch-parallel loops, Eigen for GEMM).

namespace ll {

/// Sets the number of threads used by OpenMP loops and Eigen; n <= 0 means all cores.
void setNumThreads(int n);
/// Threads the kernels will use.
int numThreads();
/// Index of the calling thread inside a parallel region (0 outside).
int threadIndex();

}  // namespace ll
