#pragma once
// What the kernel tests that compare two orders of the same sums share: random inputs, their
// magnitudes (the reference kernels run on |x| and |w| give Σ|products|), and the rounding
// error bound γ_n = n·u / (1 − n·u), u = 2⁻²⁴, of an n-term float sum (Higham, "Accuracy and
// Stability of Numerical Algorithms", §3.1).

#include <cmath>
#include <cstddef>
#include <vector>

#include "core/random.h"

namespace ll::test {

/// n standard normal floats from rng.
inline std::vector<float> normals(std::size_t n, Rng& rng) {
    std::vector<float> v(n);
    for (float& f : v)
        f = rng.normal();
    return v;
}

/// v with every element replaced by its magnitude.
inline std::vector<float> absolute(std::vector<float> v) {
    for (float& f : v)
        f = std::fabs(f);
    return v;
}

/// γ_n for float sums.
inline double gamma(double n) {
    const double u = std::ldexp(1.0, -24);
    return n * u / (1 - n * u);
}

}  // namespace ll::test
