#include "core/parallel.h"

#include <omp.h>

#include <algorithm>

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

}  // namespace ll
