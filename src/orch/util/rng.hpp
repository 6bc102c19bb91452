#pragma once
// A small deterministic generator (SplitMix64): the same seed gives the same stream everywhere.
#include <cmath>
#include <cstdint>
#include <orch/util/hash.hpp>

namespace orch::util {

class Rng {
  public:
    explicit Rng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next() {
        m_state += 0x9e3779b97f4a7c15ULL;
        return mix64(m_state);
    }
    // Uniform in [0, 1).
    double uniform() { return unit_interval(next()); }
    // Uniform integer in [0, n); n > 0.
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    double normal() {
        double u1 = uniform();
        double u2 = uniform();
        if (u1 < 1e-300) {
            u1 = 1e-300;
        }
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

  private:
    std::uint64_t m_state;
};

} // namespace orch::util
