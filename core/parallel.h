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

/// body(i0, i1) over [0, n) in min(n, threads) consecutive parts of nearly equal size, one per
/// thread, when `parallel` (else one part on the calling thread): for loops whose parts are whole
/// products or row blocks.
template <typename F>
void parallelParts(int n, bool parallel, F&& body);

/// body(i0, i1) over consecutive ranges covering [0, n), one per thread of the team when n is at
/// least kParallelMinWork (else one range on the calling thread), each starting on a multiple of
/// 16 elements (a 64-byte line of floats, so no two threads write one line): for element-wise
/// loops, which are memory-bound and move about twice the bytes with both cores.
template <typename F>
void parallelRanges(std::int64_t n, F&& body);

/// n floats at p set to zero, split over the threads (parallelRanges): zeroing every gradient
/// before a step is a pass over all the weights.
void zeroParallel(float* p, std::int64_t n);
/// n floats from `from` to `to` (not overlapping), split over the threads (parallelRanges).
void copyParallel(const float* from, std::int64_t n, float* to);
/// to[i] += from[i] for n floats (not overlapping), split over the threads (parallelRanges).
void addParallel(const float* from, std::int64_t n, float* to);

/// The sum of p[i]² over n floats, in double: blocks of kParallelMinWork floats split over the
/// threads, each in 16 double lanes, the blocks' sums added in block order (the same bits at any
/// thread count). It is finite exactly when every p[i] is: a float's square is at most 1.2e77,
/// and any sum of 2^63 of them is a finite double.
double sumSquaresParallel(const float* p, std::int64_t n);
/// Sets the number of threads used by OpenMP loops and Eigen; n <= 0 means all cores.
void setNumThreads(int n);
/// Threads the kernels will use.
int numThreads();
/// Index of the calling thread inside a parallel region (0 outside).
int threadIndex();

template <typename F>
void parallelRanges(std::int64_t n, F&& body) {
    const int parts = n >= kParallelMinWork ? numThreads() : 1;
    parallelFor(parts, parts > 1, [&](int p) {
        const std::int64_t i0 = p == 0 ? 0 : n * p / parts / 16 * 16;
        const std::int64_t i1 = p + 1 == parts ? n : n * (p + 1) / parts / 16 * 16;
        if (i0 < i1) body(i0, i1);
    });
}

template <typename F>
void parallelParts(int n, bool parallel, F&& body) {
    const int T = numThreads();
    const int parts = parallel ? (n < T ? n : T) : 1;
    parallelFor(parts, parts > 1, [&](int part) {
        const int i0 = static_cast<int>(static_cast<std::int64_t>(n) * part / parts);
        const int i1 = static_cast<int>(static_cast<std::int64_t>(n) * (part + 1) / parts);
        if (i0 < i1) body(i0, i1);
    });
}

}  // namespace ll
