#pragma once
// The pure half of routing: which rule of a policy matches a request, and which models it
// would try, in what order, and why the others are left out. No model is called and nothing
// is written; recorded quality is asked for only when a `cheapest` rule matches.
//
// Cross-cutting guards apply to every rule, not only to `privacy` rules:
//   - sensitive input (flagged by the caller, or found by detect_sensitive) never goes to an
//     external provider's model unless the matched rule is `privacy` with redact = true, and
//     then only with every detected span redacted. A caller's flag with nothing detectable to
//     redact keeps external models out even then (redaction could not make it safe).
//   - a model whose context window is below the estimated input is left out;
//   - a model whose estimated cost (input tokens + max_tokens, or the model's max output,
//     at its prices) exceeds the policy's max_cost_per_request_usd is left out.
// When nothing is left the decision is a refusal, and no model may be called.
#include <orch/config/policy.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/types.hpp>
#include <orch/route/privacy.hpp>
#include <orch/store/store.hpp>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace orch::route {

// One request to route.
struct RouteInput {
    std::vector<Message> messages;
    std::string task_type;
    std::vector<std::string> tags;
    bool sensitive_flag = false; // the caller says so (e.g. a suite with sensitive = true)
    std::string request_key;     // what `split` hashes: the same key routes the same way
    GenParams params;
    std::optional<SimHint> sim_hint; // passed through to the simulated fleet
    std::uint64_t seed = 0;          // passed through to the simulated fleet
    std::vector<ToolSpec> tools = {}; // offered to the model (an agent's turn)
    // A context_length error ends the chain (the caller compacts and retries on the same model)
    // instead of moving on to a model with a larger window.
    bool compact_on_overflow = false;
};

// Recorded quality per (model, task type), fetched lazily (e.g. Store::quality_stats).
using QualitySource = std::function<std::vector<store::QualityStat>()>;
// A learning rule's evidence so far for (policy, rule, task type), one arm per model seen.
using BanditSource = std::function<std::vector<store::BanditArm>(
    const std::string& policy, const std::string& rule, const std::string& task_type)>;

struct ConditionResult {
    std::string condition; // type | tags | sensitive | min_input_tokens | max_input_tokens | regex
    bool held = false;
    std::string detail; // "type \"reason\" is one of [\"reason\", \"tool_call\"]"
};

struct RuleResult {
    std::string rule;
    std::string action;
    bool evaluated = false; // false: an earlier rule matched first
    bool matched = false;
    std::vector<ConditionResult> conditions; // empty and matched: the rule has no `when`
};

// A `cheapest` candidate and the evidence for it.
struct QualityCandidate {
    std::string model;
    std::int64_t n = 0;
    double mean = 0;
    double stddev = 0;
    double lower_bound = 0; // 95% lower confidence bound of the mean (0 with fewer than 2)
    std::optional<double> latency_mean_ms;
    double est_cost_usd = 0;
    bool eligible = false;
    std::string reason;
};

enum class Exclusion { privacy, context, budget };

struct PlannedCall {
    std::string model;
    double est_cost_usd = 0;
    bool redacted = false; // this model gets the text with sensitive spans replaced
};

struct ExcludedModel {
    std::string model;
    Exclusion why = Exclusion::privacy;
    std::string reason;
};

enum class Refusal {
    none,
    privacy,  // sensitive input and no model that may see it (exit 5)
    budget,   // every model is over the per-request (or run) budget (exit 4)
    no_rule,  // no rule of the policy matches (exit 5)
    no_model, // every model is unusable for another reason, e.g. context windows (exit 3)
};

std::string to_string(Refusal refusal);

struct Decision {
    std::string policy;
    std::int64_t input_tokens = 0; // estimated
    bool sensitive = false;
    bool sensitive_flag = false;
    std::vector<std::string>
        sensitive_kinds; // what the detector found ("card", "email"), no values
    std::vector<RuleResult> rules;
    std::optional<config::PolicyRule> rule; // the rule that matched
    std::string note;               // e.g. which model a split picked, or why cheapest fell back
    std::vector<PlannedCall> chain; // in order; a cascade escalates along it
    std::vector<ExcludedModel> excluded;
    std::vector<QualityCandidate> candidates; // `cheapest` only
    Refusal refusal = Refusal::none;
    std::string refusal_reason;
    // The probability with which the first model of the chain was chosen: 1 unless the rule
    // draws (a split's weight share; a bandit's greedy or exploring draw).
    double propensity = 1;
    bool online = false; // a bandit: the reward of this request teaches the rule

    bool refused() const { return refusal != Refusal::none; }
};

// Decides how `policy` routes `input`. Pure: no model call, no I/O except through `quality`
// (called at most once, only for a matching `cheapest` rule; empty = no evidence) and
// `bandit` (only for a matching `bandit` rule; empty = nothing learned yet).
Decision explain(const config::ProvidersConfig& providers, const config::Policy& policy,
                 const RouteInput& input, const QualitySource& quality = {},
                 const BanditSource& bandit = {});

nlohmann::json to_json(const Decision& decision);
// Human-readable, several lines, ending with a newline.
std::string to_text(const Decision& decision);

// What one call to `model` may cost at most: the input at its price plus max_tokens (or the
// model's max output) at its output price.
double estimate_cost_usd(const config::ModelConfig& model, std::int64_t input_tokens,
                         const GenParams& params);

// The model a `split` rule sends this key to: deterministic, stable across runs and machines.
std::string split_pick(const config::PolicyRule& rule, const std::string& request_key);

// The lower bound of the 95% confidence interval of a mean (Student t); 0 when n < 2.
double lower_bound_95(std::int64_t n, double mean, double stddev);

// The text the `regex` condition searches: every message's content, one per line.
std::string input_text(const std::vector<Message>& messages);

} // namespace orch::route
