#pragma once
// Descriptive statistics used by reports and routing.
#include <cstdint>
#include <vector>

namespace orch::util {

struct MeanCi {
    double mean = 0;
    double lo = 0;
    double hi = 0;
    std::size_t n = 0;
};

double mean(const std::vector<double>& xs);
double stddev(const std::vector<double>& xs); // sample standard deviation (n-1)
// Linear-interpolated percentile, p in [0, 100]; sorts a copy. 0 for an empty input.
double percentile(std::vector<double> xs, double p);
// The same over an input already sorted ascending, without a copy.
double percentile_sorted(const std::vector<double>& sorted, double p);
// Mean with a 95% interval (Student t); for n < 2 the interval is the mean itself.
MeanCi mean_ci95(const std::vector<double>& xs);
// Wilson lower bound of a proportion at ~95%.
double wilson_lower(double successes, double n);
// Two-sided 97.5% Student t quantile for the given degrees of freedom.
double t_quantile_975(std::size_t dof);

} // namespace orch::util
