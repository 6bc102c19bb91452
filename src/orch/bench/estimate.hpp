#pragma once
// `orch bench --dry-run`: tokens and cost a run would spend, without calling any model.
// Input tokens are counted from the rendered prompts; output tokens come from the recorded
// mean for the same model and task type when the database has one, else from the length of
// the reference answer (plus room for the working that reasoning tasks show), capped by
// max_tokens.
#include <orch/bench/runner.hpp>
#include <orch/store/store.hpp>

#include <map>
#include <string>

namespace orch::bench {

struct TargetEstimate {
    std::string target;
    std::int64_t calls = 0;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    double cost_usd = 0;
    std::int64_t from_history = 0; // calls whose output size came from recorded results
};

struct RunEstimate {
    std::vector<TargetEstimate> targets;
    std::vector<std::string> unestimated; // policy targets: their choices depend on the answers
    double cost_usd = 0;
};

// history: mean output tokens per (model, task type), e.g. from Store::output_token_means.
RunEstimate estimate_run(const BenchPlan& plan, const BenchOptions& options,
                         const std::map<std::pair<std::string, std::string>, double>& history);

} // namespace orch::bench
