#pragma once
// Scores one output against a task's evaluators: the weighted mean of their scores, and
// whether it meets the task's threshold. An evaluator that cannot run makes the task
// unscored (with its reason), never a silent 0 or 1.
#include <orch/config/providers.hpp>
#include <orch/config/suite.hpp>
#include <orch/eval/heuristic.hpp>

#include <map>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace orch::bench {

struct TaskScore {
    bool scored = false;
    double score = 0;
    bool passed = false;
    nlohmann::json evaluations = nlohmann::json::array(); // [{kind, weight, ok, score, reason}]
    std::string reason; // why it is unscored
};

// `judged` holds the verdicts of the task's judge evaluators by index (see PendingJudgement).
TaskScore score_task(const config::Task& task, const eval::Candidate& candidate,
                     const std::map<std::size_t, eval::Verdict>& judged = {});

// Checks one evaluator can be built (known kind, valid parameters, judge models that exist in
// `providers` when given); returns the problems as "kind: param: what" sentences.
std::vector<std::string> check_evaluator(const config::EvaluatorSpec& e, const config::ProvidersConfig* providers);

} // namespace orch::bench
