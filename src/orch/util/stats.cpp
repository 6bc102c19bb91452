#include <orch/util/stats.hpp>

#include <algorithm>
#include <cmath>

namespace orch::util {

double mean(const std::vector<double>& xs) {
    if (xs.empty()) {
        return 0;
    }
    double s = 0;
    for (double x : xs) {
        s += x;
    }
    return s / static_cast<double>(xs.size());
}

double stddev(const std::vector<double>& xs) {
    if (xs.size() < 2) {
        return 0;
    }
    double m = mean(xs);
    double s = 0;
    for (double x : xs) {
        s += (x - m) * (x - m);
    }
    return std::sqrt(s / static_cast<double>(xs.size() - 1));
}

double percentile(std::vector<double> xs, double p) {
    std::sort(xs.begin(), xs.end());
    return percentile_sorted(xs, p);
}

double percentile_sorted(const std::vector<double>& xs, double p) {
    if (xs.empty()) {
        return 0;
    }
    double rank = p / 100.0 * static_cast<double>(xs.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(rank));
    auto hi = static_cast<std::size_t>(std::ceil(rank));
    double frac = rank - static_cast<double>(lo);
    return xs[lo] + (xs[hi] - xs[lo]) * frac;
}

double t_quantile_975(std::size_t dof) {
    static const double table[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                   2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                                   2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                                   2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
    if (dof == 0) {
        return 0;
    }
    if (dof <= 30) {
        return table[dof];
    }
    return 1.96 + 2.4 / static_cast<double>(dof); // close to the exact values beyond 30
}

MeanCi mean_ci95(const std::vector<double>& xs) {
    MeanCi r;
    r.n = xs.size();
    r.mean = mean(xs);
    r.lo = r.hi = r.mean;
    if (xs.size() >= 2) {
        double half = t_quantile_975(xs.size() - 1) * stddev(xs) / std::sqrt(static_cast<double>(xs.size()));
        r.lo = r.mean - half;
        r.hi = r.mean + half;
    }
    return r;
}

double wilson_lower(double successes, double n) {
    if (n <= 0) {
        return 0;
    }
    const double z = 1.96;
    double p = successes / n;
    double denom = 1 + z * z / n;
    double centre = p + z * z / (2 * n);
    double margin = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
    return std::max(0.0, (centre - margin) / denom);
}

} // namespace orch::util
