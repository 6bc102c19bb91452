#pragma once
// The quality-vs-cost Pareto frontier: the targets no other target beats on both counts.
#include <cstddef>
#include <vector>

namespace orch::report {

struct CostQuality {
    double cost = 0;    // lower is better
    double quality = 0; // higher is better
};

// Indices of the points not dominated by any other (another point dominates p when its cost
// is <= p's and its quality >= p's, one of them strictly), ordered by cost, cheapest first.
// Equal points are all on the frontier.
std::vector<std::size_t> pareto_frontier(const std::vector<CostQuality>& points);

} // namespace orch::report
