#include <orch/learn/offpolicy.hpp>
#include <orch/util/stats.hpp>

#include <cmath>

namespace orch::learn {

OffPolicyEstimate estimate_offpolicy(const std::vector<LoggedChoice>& log) {
    OffPolicyEstimate e;
    e.n = log.size();
    if (log.empty()) {
        return e;
    }
    std::vector<double> weighted;
    weighted.reserve(log.size());
    double weights = 0, logged = 0;
    for (const auto& l : log) {
        double w = l.candidate == l.chosen && l.propensity > 0 ? 1 / l.propensity : 0;
        e.matched += w > 0;
        weights += w;
        weighted.push_back(w * l.reward);
        logged += l.reward;
    }
    auto n = static_cast<double>(log.size());
    e.ips = util::mean(weighted);
    double se = log.size() > 1 ? util::stddev(weighted) / std::sqrt(n) : 0;
    e.ips_lo = e.ips - 1.96 * se;
    e.ips_hi = e.ips + 1.96 * se;
    double sum = 0;
    for (double x : weighted) {
        sum += x;
    }
    e.snips = weights > 0 ? sum / weights : 0;
    e.logged = logged / n;
    return e;
}

} // namespace orch::learn
