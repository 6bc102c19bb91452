#include <orch/core/error.hpp>
#include <orch/report/diff.hpp>
#include <orch/report/leaderboard.hpp>
#include <orch/report/text.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/stats.hpp>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <tuple>

namespace orch::report {

DiffResult diff_result_from(const store::ResultRow& row) {
    DiffResult d;
    d.target = row.target;
    d.model = row.model;
    d.suite = row.suite;
    d.task_id = row.task_id;
    d.task_type = row.task_type;
    d.repeat = row.repeat;
    d.status = row.status;
    d.score = row.score;
    d.passed = row.passed;
    d.cost_usd = row.cost_usd;
    d.latency_ms = row.latency_ms;
    d.routed = !row.route.is_null();
    d.rule = route_rule(row);
    d.simulated = row.simulated;
    if (row.route.is_object() && row.route.contains("steps") && row.route["steps"].is_object()) {
        for (const auto& [id, st] : row.route["steps"].items()) {
            StepRoute sr;
            sr.step = id;
            sr.model = st.value("model", "");
            sr.rule = st.value("rule", "");
            if (st.contains("passed") && st["passed"].is_boolean()) {
                sr.passed = st["passed"].get<bool>();
            }
            d.steps.push_back(std::move(sr));
        }
    }
    return d;
}

void DiffSide::add(DiffResult result) {
    if (std::find(targets.begin(), targets.end(), result.target) == targets.end()) {
        targets.push_back(result.target);
    }
    simulated = simulated || result.simulated;
    results.push_back(std::move(result));
}

DiffSide load_run_side(store::Store& store, std::int64_t run_id) {
    auto run = store.run(run_id);
    if (!run) {
        throw Error(ErrorKind::config,
                    fmt::format("no run {} in the database (see 'orch runs list')", run_id));
    }
    DiffSide side;
    side.label = fmt::format("run {}", run_id);
    side.run_id = run_id;
    side.simulated = run->simulated;
    store.for_each_result(run_id,
                          [&](const store::ResultRow& r) { side.add(diff_result_from(r)); });
    return side;
}

bool RunDiff::regression() const {
    return std::any_of(targets.begin(), targets.end(),
                       [](const TargetDiff& t) { return t.regression; });
}

namespace {

using PairKey = std::tuple<std::string, std::string, std::int64_t>; // suite, task id, repeat

PairKey key_of(const DiffResult& r) {
    return {r.suite, r.task_id, r.repeat};
}

bool has_target(const DiffSide& side, const std::string& target) {
    return std::find(side.targets.begin(), side.targets.end(), target) != side.targets.end();
}

std::string target_list(const DiffSide& side) {
    std::string s;
    for (const auto& t : side.targets) {
        s += (s.empty() ? "" : ", ") + t;
    }
    return s.empty() ? "no results" : s;
}

std::vector<std::pair<std::string, std::string>> choose_pairs(const DiffSide& a, const DiffSide& b,
                                                              const DiffOptions& options) {
    if (options.a_target) {
        std::string bt = options.b_target.value_or(*options.a_target);
        if (!has_target(a, *options.a_target)) {
            throw Error(ErrorKind::config,
                        fmt::format("--target: {} has no target \"{}\" (it has: {})", a.label,
                                    *options.a_target, target_list(a)));
        }
        if (!has_target(b, bt)) {
            throw Error(ErrorKind::config,
                        fmt::format("--target: {} has no target \"{}\" (it has: {})", b.label, bt,
                                    target_list(b)));
        }
        return {{*options.a_target, bt}};
    }
    if (a.targets.size() == 1 && b.targets.size() == 1) {
        return {{a.targets.front(), b.targets.front()}};
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& t : a.targets) {
        if (has_target(b, t)) {
            pairs.emplace_back(t, t);
        }
    }
    if (pairs.empty()) {
        throw Error(ErrorKind::config, fmt::format("{} and {} share no target; choose one with "
                                                   "--target A_TARGET:B_TARGET ({} has: {}; "
                                                   "{} has: {})",
                                                   a.label, b.label, a.label, target_list(a),
                                                   b.label, target_list(b)));
    }
    return pairs;
}

Direction direction_of(const Interval& i) {
    if (i.n == 0) {
        return Direction::none;
    }
    if (i.lo > 0) {
        return Direction::up;
    }
    if (i.hi < 0) {
        return Direction::down;
    }
    return Direction::none;
}

MetricDelta metric(const std::vector<double>& a, const std::vector<double>& b,
                   const DiffOptions& options, std::uint64_t salt) {
    MetricDelta m;
    std::vector<double> deltas(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        deltas[i] = b[i] - a[i];
    }
    m.a = util::mean(a);
    m.b = util::mean(b);
    m.delta = bootstrap_mean_ci95(deltas, options.resamples, util::mix64(options.seed ^ salt));
    m.direction = direction_of(m.delta);
    return m;
}

// Per-step tallies of a target diff, keyed by suite and step.
class StepTally {
  public:
    // Adds a pair's steps; true when any step was routed differently.
    bool add(const DiffResult& a, const DiffResult& b) {
        bool changed = false;
        for (const auto& sa : a.steps) {
            auto it = std::find_if(b.steps.begin(), b.steps.end(), [&](const StepRoute& s) { return s.step == sa.step; });
            if (it == b.steps.end()) {
                continue;
            }
            const StepRoute& sb = *it;
            Entry& e = m_entries[{a.suite, sa.step}];
            e.diff.paired++;
            e.diff.checked = e.diff.checked || sa.passed.has_value() || sb.passed.has_value();
            e.diff.a_passed += sa.passed.value_or(false) ? 1 : 0;
            e.diff.b_passed += sb.passed.value_or(false) ? 1 : 0;
            std::string move;
            if (sa.model != sb.model) {
                move = fmt::format("{} → {}", sa.model.empty() ? "(none)" : sa.model,
                                   sb.model.empty() ? "(none)" : sb.model);
            } else if (!sa.rule.empty() && !sb.rule.empty() && sa.rule != sb.rule) { // both policies
                move = fmt::format("{} (rule {} → {})", sa.model, sa.rule, sb.rule);
            }
            if (!move.empty()) {
                e.diff.route_changes++;
                e.moves[move]++;
                changed = true;
            }
        }
        return changed;
    }

    std::vector<StepDiff> take() {
        std::vector<StepDiff> out;
        for (auto& [key, e] : m_entries) {
            e.diff.suite = key.first;
            e.diff.step = key.second;
            for (const auto& [move, n] : e.moves) {
                e.diff.moves.emplace_back(move, n);
            }
            std::stable_sort(e.diff.moves.begin(), e.diff.moves.end(),
                             [](const auto& x, const auto& y) { return x.second > y.second; });
            out.push_back(std::move(e.diff));
        }
        return out;
    }

  private:
    struct Entry {
        StepDiff diff;
        std::map<std::string, std::size_t> moves;
    };
    std::map<std::pair<std::string, std::string>, Entry> m_entries;
};

double effective_score(const DiffResult& r) {
    return r.status == "scored" ? r.score.value_or(0) : 0;
}

TargetDiff compare(const DiffSide& a, const DiffSide& b, const std::string& at,
                   const std::string& bt, const DiffOptions& options) {
    TargetDiff d;
    d.a_target = at;
    d.b_target = bt;
    std::map<PairKey, const DiffResult*> b_by_key;
    for (const auto& r : b.results) {
        if (r.target == bt) {
            b_by_key.emplace(key_of(r), &r);
            d.routed = d.routed || r.routed;
        }
    }
    std::vector<double> qa, qb, ca, cb, la, lb;
    std::int64_t a_passed = 0;
    std::int64_t b_passed = 0;
    std::size_t matched_b = 0;
    StepTally steps;
    for (const auto& ra : a.results) {
        if (ra.target != at) {
            continue;
        }
        d.routed = d.routed || ra.routed;
        auto it = b_by_key.find(key_of(ra));
        if (it == b_by_key.end()) {
            d.only_a++;
            continue;
        }
        const DiffResult& rb = *it->second;
        ++matched_b;
        d.paired++;
        ca.push_back(ra.cost_usd);
        cb.push_back(rb.cost_usd);
        if (ra.status != "error" && rb.status != "error") {
            la.push_back(ra.latency_ms);
            lb.push_back(rb.latency_ms);
        }
        if (ra.status == "scored" && rb.status == "scored") {
            qa.push_back(ra.score.value_or(0));
            qb.push_back(rb.score.value_or(0));
        }
        bool pa = ra.status == "scored" && ra.passed.value_or(false);
        bool pb = rb.status == "scored" && rb.passed.value_or(false);
        a_passed += pa ? 1 : 0;
        b_passed += pb ? 1 : 0;
        d.a_errors += ra.status != "scored" ? 1 : 0;
        d.b_errors += rb.status != "scored" ? 1 : 0;

        TaskChange change{ra, rb, effective_score(rb) - effective_score(ra)};
        // A route change: another model answered, or both sides are policies and another rule
        // decided.
        bool model_changed =
            (ra.routed || rb.routed) &&
            (ra.model != rb.model || (ra.routed && rb.routed && ra.rule != rb.rule));
        if (!ra.steps.empty() || !rb.steps.empty()) {
            model_changed = steps.add(ra, rb); // a workflow: any step routed differently
        }
        bool changed = std::abs(change.score_delta) > 1e-9 || pa != pb || ra.status != rb.status ||
                       model_changed;
        if (change.score_delta > 1e-9) {
            d.improved++;
        } else if (change.score_delta < -1e-9) {
            d.regressed++;
        }
        d.fail_to_pass += !pa && pb ? 1 : 0;
        d.pass_to_fail += pa && !pb ? 1 : 0;
        d.route_changes += model_changed ? 1 : 0;
        if (changed) {
            d.changes.push_back(std::move(change));
        }
    }
    d.only_b = b_by_key.size() - matched_b;
    d.steps = steps.take();
    // Each metric resamples with its own stream, so adding a metric never moves another's interval.
    d.quality = metric(qa, qb, options, util::hash64("quality"));
    d.cost = metric(ca, cb, options, util::hash64("cost"));
    d.latency = metric(la, lb, options, util::hash64("latency"));
    if (d.paired > 0) {
        d.a_pass_rate = static_cast<double>(a_passed) / static_cast<double>(d.paired);
        d.b_pass_rate = static_cast<double>(b_passed) / static_cast<double>(d.paired);
    }
    d.regression = d.quality.delta.n > 0 && d.quality.delta.hi < -options.tolerance;
    std::stable_sort(d.changes.begin(), d.changes.end(),
                     [](const TaskChange& x, const TaskChange& y) {
                         if (x.score_delta != y.score_delta) {
                             return x.score_delta < y.score_delta;
                         }
                         return key_of(x.a) < key_of(y.a);
                     });
    return d;
}

std::string interval_text(const Interval& i, int decimals) {
    return fmt::format("[{:.{}f}, {:.{}f}]", round_to(i.lo, decimals), decimals,
                       round_to(i.hi, decimals), decimals);
}

} // namespace

RunDiff diff_sides(const DiffSide& a, const DiffSide& b, const DiffOptions& options) {
    RunDiff diff;
    diff.a_label = a.label;
    diff.b_label = b.label;
    diff.simulated = a.simulated || b.simulated;
    diff.tolerance = options.tolerance;
    diff.resamples = options.resamples;
    diff.seed = options.seed;
    for (const auto& [at, bt] : choose_pairs(a, b, options)) {
        diff.targets.push_back(compare(a, b, at, bt, options));
    }
    return diff;
}

std::string quality_verdict(const TargetDiff& d, double tolerance) {
    const auto& q = d.quality;
    if (q.delta.n == 0) {
        return "verdict: no results scored on both sides, so no quality comparison";
    }
    std::string numbers =
        fmt::format("(Δ {} {})", signed_fixed(q.delta.mean, 3), interval_text(q.delta, 3));
    switch (q.direction) {
    case Direction::up:
        return "verdict: B is better than A on quality " + numbers;
    case Direction::down:
        return "verdict: B is worse than A on quality " + numbers +
               (d.regression ? "" : fmt::format(", within the tolerance of {:.3f}", tolerance));
    case Direction::none:
        break;
    }
    return "verdict: no significant difference in quality " + numbers;
}

std::string cost_statement(const TargetDiff& d) {
    const auto& c = d.cost;
    if (c.delta.n == 0) {
        return "cost: no paired results";
    }
    std::string relative = c.a > 0 ? fmt::format(", {:+.0f}%", (c.b / c.a - 1) * 100) : "";
    std::string numbers = fmt::format("(Δ {} per task [{}, {}]{})", signed_money(c.delta.mean),
                                      money(c.delta.lo), money(c.delta.hi), relative);
    switch (c.direction) {
    case Direction::up:
        return "cost: B is more expensive than A " + numbers;
    case Direction::down:
        return "cost: B is cheaper than A " + numbers;
    case Direction::none:
        break;
    }
    return "cost: no significant difference " + numbers;
}

std::string latency_statement(const TargetDiff& d) {
    const auto& l = d.latency;
    if (l.delta.n == 0) {
        return "latency: no results answered on both sides";
    }
    auto signed_ms = [](double v) { return (v >= 0.5 ? "+" : "") + ms(v); };
    std::string numbers = fmt::format("(Δ {} per task [{}, {}])", signed_ms(l.delta.mean),
                                      ms(l.delta.lo), ms(l.delta.hi));
    switch (l.direction) {
    case Direction::up:
        return "latency: B is slower than A " + numbers;
    case Direction::down:
        return "latency: B is faster than A " + numbers;
    case Direction::none:
        break;
    }
    return "latency: no significant difference " + numbers;
}

} // namespace orch::report
