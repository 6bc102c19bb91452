#include <orch/report/pareto.hpp>

#include <algorithm>

namespace orch::report {

std::vector<std::size_t> pareto_frontier(const std::vector<CostQuality>& points) {
    std::vector<std::size_t> frontier;
    for (std::size_t i = 0; i < points.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < points.size() && !dominated; ++j) {
            const auto& p = points[i];
            const auto& q = points[j];
            dominated = q.cost <= p.cost && q.quality >= p.quality &&
                        (q.cost < p.cost || q.quality > p.quality);
        }
        if (!dominated) {
            frontier.push_back(i);
        }
    }
    std::stable_sort(frontier.begin(), frontier.end(), [&](std::size_t a, std::size_t b) {
        if (points[a].cost != points[b].cost) {
            return points[a].cost < points[b].cost;
        }
        return points[a].quality < points[b].quality;
    });
    return frontier;
}

} // namespace orch::report
