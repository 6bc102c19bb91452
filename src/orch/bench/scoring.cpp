#include <orch/bench/scoring.hpp>
#include <orch/eval/heuristic.hpp>

#include <fmt/format.h>

namespace orch::bench {

std::vector<std::string> check_evaluators(const config::Task& task) {
    std::vector<std::string> problems;
    for (const auto& e : task.evaluators) {
        if (!eval::is_heuristic_kind(e.kind)) {
            problems.push_back(fmt::format("unknown evaluator kind \"{}\"", e.kind));
            continue;
        }
        auto h = eval::make_heuristic(e.kind, e.params, e.negate);
        if (!h) {
            problems.push_back(h.error());
        }
    }
    return problems;
}

TaskScore score_task(const config::Task& task, const std::string& output, double latency_ms,
                     double cost_usd) {
    TaskScore ts;
    double weighted = 0;
    double weights = 0;
    std::vector<std::string> failures;
    eval::Candidate candidate{output, latency_ms, cost_usd};
    for (const auto& e : task.evaluators) {
        nlohmann::json record = {{"kind", e.kind}, {"weight", e.weight}};
        auto h = eval::make_heuristic(e.kind, e.params, e.negate);
        eval::Verdict v;
        if (!h) {
            v.ok = false;
            v.reason = h.error();
        } else {
            v = h.value()->evaluate(candidate);
        }
        record["ok"] = v.ok;
        record["reason"] = v.reason;
        if (v.ok) {
            record["score"] = v.score;
            weighted += v.score * e.weight;
            weights += e.weight;
        } else {
            failures.push_back(fmt::format("{}: {}", e.kind, v.reason));
        }
        ts.evaluations.push_back(std::move(record));
    }
    if (!failures.empty()) {
        ts.reason = fmt::format("evaluator could not run: {}", fmt::join(failures, "; "));
        return ts;
    }
    ts.scored = true;
    ts.score = weights > 0 ? weighted / weights : 0;
    ts.passed = ts.score + 1e-9 >= task.threshold;
    return ts;
}

} // namespace orch::bench
