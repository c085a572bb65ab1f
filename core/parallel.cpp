#include "core/parallel.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include <Eigen/Core>

namespace ll {

void setNumThreads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    omp_set_num_threads(n);
    Eigen::setNbThreads(n);
}

int numThreads() {
    return omp_get_max_threads();
}

int threadIndex() {
    return omp_get_thread_num();
}

void zeroParallel(float* p, std::int64_t n) {
    parallelRanges(n, [p](std::int64_t i0, std::int64_t i1) { std::fill(p + i0, p + i1, 0.0f); });
}

void copyParallel(const float* from, std::int64_t n, float* to) {
    parallelRanges(n, [from, to](std::int64_t i0, std::int64_t i1) {
        std::copy(from + i0, from + i1, to + i0);
    });
}

void addParallel(const float* from, std::int64_t n, float* to) {
    parallelRanges(n, [from, to](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
            to[i] += from[i];
    });
}

namespace {
double sumSquaresSerial(const float* p, std::int64_t n) {
    constexpr int kLanes = 16;  // two vectors of doubles: the loop is not bound by add latency
    double acc[kLanes] = {};
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (int j = 0; j < kLanes; ++j)
            acc[j] += static_cast<double>(p[i + j]) * p[i + j];
    }
    for (int j = 0; i < n; ++i, ++j)
        acc[j] += static_cast<double>(p[i]) * p[i];
    for (int w = kLanes / 2; w > 0; w /= 2) {
        for (int j = 0; j < w; ++j)
            acc[j] += acc[j + w];
    }
    return acc[0];
}
}  // namespace

double sumSquaresParallel(const float* p, std::int64_t n) {
    constexpr std::int64_t kBlock = kParallelMinWork;
    const std::int64_t blocks = (n + kBlock - 1) / kBlock;
    if (blocks <= 1) return sumSquaresSerial(p, n);
    // The caller's block sums (grows once). Named through a reference: inside the lambda a
    // thread_local names each worker's own variable, not the caller's.
    thread_local std::vector<double> callers;
    std::vector<double>& sums = callers;
    sums.resize(static_cast<std::size_t>(blocks));
    parallelFor(static_cast<int>(blocks), true, [&](int b) {
        const std::int64_t i0 = b * kBlock;
        sums[static_cast<std::size_t>(b)] = sumSquaresSerial(p + i0, std::min(kBlock, n - i0));
    });
    double s = 0;
    for (double v : sums)
        s += v;
    return s;
}

}  // namespace ll
