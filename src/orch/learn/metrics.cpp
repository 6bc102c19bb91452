#include <orch/learn/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace orch::learn {

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// A routing path: after `count` strong calls (in ranking order), the summed quality gain and
// the summed extra cost. Linear between points (ties and fractional shares).
struct PathPoint {
    double count = 0;
    double gain = 0;
    double extra = 0;
};

double extra_cost(const PairOutcome& o, Routing routing) {
    return routing == Routing::cascade ? o.strong_cost_usd : o.strong_cost_usd - o.weak_cost_usd;
}

// Value of `field` along the path where `axis` first reaches `at` (axis non-decreasing in use).
template <class Axis, class Field>
double along(const std::vector<PathPoint>& path, double at, Axis axis, Field field) {
    if (at <= axis(path.front())) {
        return field(path.front());
    }
    for (size_t i = 1; i < path.size(); ++i) {
        double a0 = axis(path[i - 1]);
        double a1 = axis(path[i]);
        if (a1 >= at) {
            double t = a1 > a0 ? (at - a0) / (a1 - a0) : 1.0;
            return field(path[i - 1]) + t * (field(path[i]) - field(path[i - 1]));
        }
    }
    return field(path.back());
}

RouterMetrics metrics_of_path(const std::vector<PairOutcome>& items,
                              const std::vector<PathPoint>& path, Routing routing) {
    RouterMetrics m;
    double n = static_cast<double>(items.size());
    double gap = (mean_score(items, true) - mean_score(items, false)) * n; // summed
    double base_cost = 0, total_extra = 0;
    for (const auto& o : items) {
        base_cost += o.weak_cost_usd;
        total_extra += extra_cost(o, routing);
    }
    auto count = [](const PathPoint& p) { return p.count; };
    auto gain = [](const PathPoint& p) { return p.gain; };
    auto extra = [](const PathPoint& p) { return p.extra; };
    bool defined = items.size() > 0 && gap > 1e-9;

    m.share.resize(k_curve_points);
    m.pgr.resize(k_curve_points);
    m.cost_usd_per_1k.resize(k_curve_points);
    const double steps = static_cast<double>(k_curve_points - 1);
    for (size_t k = 0; k < k_curve_points; ++k) {
        double x = static_cast<double>(k) / steps;
        m.share[k] = x;
        m.pgr[k] = defined ? along(path, x * n, count, gain) / gap : k_nan;
        m.cost_usd_per_1k[k] =
            n > 0 ? (base_cost + along(path, x * n, count, extra)) / n * 1000 : 0;
    }
    if (!defined) {
        m.apgr = m.cpt50 = m.cpt80 = m.apgr_usd = m.cpt50_usd_per_1k = m.cpt80_usd_per_1k = k_nan;
        return m;
    }
    m.apgr = 0;
    for (size_t k = 1; k < k_curve_points; ++k) {
        m.apgr += (m.pgr[k - 1] + m.pgr[k]) / 2 / steps;
    }
    // CPT: where the path first reaches p of the gap (never reached: all strong).
    auto cpt = [&](double p, double& share, double& usd) {
        double target = p * gap - 1e-9;
        for (size_t i = 0; i < path.size(); ++i) {
            if (path[i].gain < target) {
                continue;
            }
            if (i == 0) {
                share = 0;
                usd = base_cost / n * 1000;
                return;
            }
            const auto& a = path[i - 1];
            const auto& b = path[i];
            double t = std::clamp((target - a.gain) / (b.gain - a.gain), 0.0, 1.0);
            share = (a.count + t * (b.count - a.count)) / n;
            usd = (base_cost + a.extra + t * (b.extra - a.extra)) / n * 1000;
            return;
        }
        share = 1;
        usd = (base_cost + total_extra) / n * 1000;
    };
    cpt(0.5, m.cpt50, m.cpt50_usd_per_1k);
    cpt(0.8, m.cpt80, m.cpt80_usd_per_1k);

    // APGR in dollars: PGR sampled at evenly spaced fractions of the extra spend.
    if (total_extra > 1e-15) {
        m.apgr_usd = 0;
        double previous = 0;
        for (size_t k = 0; k < k_curve_points; ++k) {
            double spend = static_cast<double>(k) / steps * total_extra;
            double value = along(path, spend, extra, gain) / gap;
            if (k > 0) {
                m.apgr_usd += (previous + value) / 2 / steps;
            }
            previous = value;
        }
    } else {
        m.apgr_usd = k_nan;
    }
    return m;
}

} // namespace

double mean_score(const std::vector<PairOutcome>& items, bool strong) {
    if (items.empty()) {
        return 0;
    }
    double s = 0;
    for (const auto& o : items) {
        s += strong ? o.strong_score : o.weak_score;
    }
    return s / static_cast<double>(items.size());
}

RouterMetrics evaluate_scores(const std::vector<PairOutcome>& items,
                              const std::vector<double>& scores, Routing routing) {
    std::vector<size_t> order(items.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    std::vector<PathPoint> path{PathPoint{}};
    PathPoint at;
    for (size_t i = 0; i < order.size(); ++i) {
        const auto& o = items[order[i]];
        at.count += 1;
        at.gain += o.strong_score - o.weak_score;
        at.extra += extra_cost(o, routing);
        // A point only where the score changes: inside a tie the path is a straight line.
        if (i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]]) {
            path.push_back(at);
        }
    }
    return metrics_of_path(items, path, routing);
}

RouterMetrics evaluate_oracle(const std::vector<PairOutcome>& items, Routing routing) {
    std::vector<size_t> order;
    for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].strong_score > items[i].weak_score) {
            order.push_back(i);
        }
    }
    auto gain = [&](size_t i) { return items[i].strong_score - items[i].weak_score; };
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return gain(a) > gain(b); });
    std::vector<PathPoint> path{PathPoint{}};
    PathPoint at;
    for (size_t i : order) {
        at.count += 1;
        at.gain += gain(i);
        at.extra += extra_cost(items[i], routing);
        path.push_back(at);
    }
    // No more strong calls: the share grows (nominally) with no change in quality or cost.
    at.count = static_cast<double>(items.size());
    path.push_back(at);
    return metrics_of_path(items, path, routing);
}

} // namespace orch::learn
