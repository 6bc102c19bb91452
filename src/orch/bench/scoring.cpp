#include <orch/bench/scoring.hpp>
#include <orch/eval/heuristic.hpp>
#include <orch/eval/judge.hpp>

#include <fmt/format.h>

namespace orch::bench {

std::vector<std::string> check_evaluator(const config::EvaluatorSpec& e, const config::ProvidersConfig* providers) {
    std::vector<std::string> problems;
    if (eval::is_judge_kind(e.kind)) {
        auto spec = eval::parse_judge_spec(e.kind, e.params);
        if (!spec) {
            problems.push_back(spec.error());
            return problems;
        }
        for (const auto& judge : spec.value().judges) {
            if (providers != nullptr && providers->find_model(judge) == nullptr) {
                problems.push_back(fmt::format("{}: judge: no model named \"{}\" in [models] of {}", e.kind, judge,
                                               providers->path));
            }
        }
        return problems;
    }
    if (!eval::is_heuristic_kind(e.kind)) {
        problems.push_back(fmt::format("unknown evaluator kind \"{}\"", e.kind));
        return problems;
    }
    if (auto h = eval::make_heuristic(e.kind, e.params, e.negate); !h) {
        problems.push_back(h.error());
    }
    return problems;
}

TaskScore score_task(const config::Task& task, const eval::Candidate& candidate,
                     const std::map<std::size_t, eval::Verdict>& judged) {
    TaskScore ts;
    double weighted = 0;
    double weights = 0;
    std::vector<std::string> failures;
    for (std::size_t i = 0; i < task.evaluators.size(); ++i) {
        const auto& e = task.evaluators[i];
        nlohmann::json record = {{"kind", e.kind}, {"weight", e.weight}};
        eval::Verdict v;
        if (eval::is_judge_kind(e.kind)) {
            auto it = judged.find(i);
            v = it != judged.end() ? it->second : eval::Verdict{false, 0, "the judge was not asked"};
            if (v.ok && e.negate) {
                v.score = 1 - v.score;
                v.reason = "not: " + v.reason;
            }
            record["judge"] = true;
            record["judges"] = e.params.contains("judges") ? e.params["judges"]
                                                           : nlohmann::json::array({e.params.value("judge", "")});
        } else if (auto h = eval::make_heuristic(e.kind, e.params, e.negate); !h) {
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
