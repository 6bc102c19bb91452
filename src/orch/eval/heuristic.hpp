#pragma once
// Heuristic evaluators: deterministic checks of one output, no model call (SPEC §3).
#include <orch/util/result.hpp>

#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orch::eval {

// What an evaluator looks at: the model's output and what the call cost.
struct Candidate {
    std::string_view output;
    double latency_ms = 0;
    double cost_usd = 0;
    std::optional<double> recorded_score = std::nullopt; // an answer replayed from recorded outcomes
    // An agent task's trajectory: {turns, tool_calls, invalid_calls, stop, calls: [{turn, name,
    // arguments, valid, error?, ran?}]}; null for any other task.
    const nlohmann::json* trajectory = nullptr;
};

struct Verdict {
    bool ok = true;   // false: the evaluator could not run (never a silent 0 or 1)
    double score = 0; // in [0, 1] when ok
    std::string reason;
};

class Heuristic {
  public:
    virtual ~Heuristic() = default;
    virtual Verdict evaluate(const Candidate& candidate) const = 0;
};

// Builds a heuristic from its kind and its (already templated) parameters. The error is one
// sentence naming the parameter and what was expected: "regex: pattern: missing ) at end".
// `negate` (the `not = true` option) turns score s into 1 - s and says so in the reason.
util::Result<std::unique_ptr<Heuristic>, std::string>
make_heuristic(const std::string& kind, const nlohmann::json& params, bool negate = false);

bool is_heuristic_kind(const std::string& kind);
// Whether the kind reads an agent's trajectory (tool_sequence, tool_called, max_turns,
// max_tool_calls): only an agent task, or an agent step, has one.
bool reads_trajectory(const std::string& kind);
// Every heuristic kind, for help texts and docs.
const std::vector<std::string>& heuristic_kinds();

} // namespace orch::eval
