#include <orch/report/bootstrap.hpp>
#include <orch/util/rng.hpp>
#include <orch/util/stats.hpp>

namespace orch::report {

Interval bootstrap_mean_ci95(const std::vector<double>& deltas, std::size_t resamples,
                             std::uint64_t seed) {
    Interval r;
    r.n = deltas.size();
    if (deltas.empty()) {
        return r;
    }
    r.mean = util::mean(deltas);
    r.lo = r.hi = r.mean;
    if (deltas.size() < 2 || resamples == 0) {
        return r;
    }
    util::Rng rng(seed);
    std::vector<double> means;
    means.reserve(resamples);
    auto n = static_cast<std::uint64_t>(deltas.size());
    for (std::size_t k = 0; k < resamples; ++k) {
        double sum = 0;
        for (std::uint64_t i = 0; i < n; ++i) {
            sum += deltas[rng.below(n)];
        }
        means.push_back(sum / static_cast<double>(n));
    }
    r.lo = util::percentile(means, 2.5);
    r.hi = util::percentile(means, 97.5);
    return r;
}

} // namespace orch::report
