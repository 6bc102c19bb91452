#pragma once
// Paired bootstrap confidence intervals, for comparing two runs result by result.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace orch::report {

struct Interval {
    double mean = 0; // the observed mean
    double lo = 0;   // 2.5th percentile of the resampled means
    double hi = 0;   // 97.5th percentile
    std::size_t n = 0;
};

// The mean of `deltas` (one difference per pair, B − A) with a 95% percentile-bootstrap
// interval from `resamples` resamples of the pairs drawn with replacement. Deterministic: the
// same input and seed give the same interval. An empty input gives all zeros; a single pair
// gives the interval [delta, delta].
Interval bootstrap_mean_ci95(const std::vector<double>& deltas, std::size_t resamples,
                             std::uint64_t seed);

} // namespace orch::report
