#pragma once
// Deterministic pseudo-random numbers (xoshiro256**, seeded through splitmix64).
//
// The standard library's distributions are implementation-defined; these are not, so a seed
// gives the same weights, data order and dropout masks on every platform.

#include <cstdint>
#include <vector>

namespace ll {

class Rng {
public:
    explicit Rng(std::uint64_t seed = 0x5eed);

    std::uint64_t next();
    /// Uniform in [0, 1) with 24 random bits (exactly representable as float).
    float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
    /// Uniform in [lo, hi).
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    /// Uniform double in [0, 1) with 53 random bits.
    double uniformDouble() {
        return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
    }
    /// Uniform integer in [0, n); n > 0.
    std::uint64_t below(std::uint64_t n);
    /// Standard normal (Box-Muller).
    float normal();
    /// Fisher-Yates shuffle.
    template <typename T>
    void shuffle(std::vector<T>& v) {
        for (std::size_t i = v.size(); i > 1; --i) {
            const std::size_t j = static_cast<std::size_t>(below(i));
            std::swap(v[i - 1], v[j]);
        }
    }
    /// 0 .. n−1 in random order.
    std::vector<int> permutation(int n) {
        std::vector<int> v(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
            v[static_cast<std::size_t>(i)] = i;
        shuffle(v);
        return v;
    }
    /// A new generator whose stream is independent of this one (for per-layer or per-thread use).
    Rng split() { return Rng(next()); }

private:
    std::uint64_t m_s[4];
};

}  // namespace ll
