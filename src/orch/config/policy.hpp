#pragma once
// Routing policies (SPEC §5): an ordered list of rules, the first whose condition matches
// decides. A policy lives in providers.toml as [policies.NAME], or in a file of its own with
// the same keys at top level plus `name`. Every problem is located (file:line:col: key: what)
// and a whole policy is checked before anything is reported.
#include <orch/config/problems.hpp>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace orch::config {

struct ProvidersConfig;
class TableReader;

// `when = { ... }`: every condition present must hold; an empty condition matches everything.
struct RuleCondition {
    std::vector<std::string> types;               // the task type is one of these
    std::vector<std::string> tags;                // the request carries at least one of these
    std::optional<bool> sensitive;                // flagged by the caller or found by the detector
    std::optional<std::int64_t> min_input_tokens; // estimated input tokens
    std::optional<std::int64_t> max_input_tokens;
    std::optional<std::string> regex; // RE2, searched in the input (every message's text)

    bool matches_everything() const;
};

// How a cascade decides whether the cheap model's answer is good enough.
struct CascadeCheck {
    std::string kind;            // a heuristic evaluator kind, or "confidence"
    nlohmann::json params;       // the evaluator's parameters (every key but kind, not, min_score)
    bool negate = false;         // `not = true`
    double min_score = 0.5;      // a heuristic passes when it runs and scores at least this
    double min_confidence = 0.7; // "confidence": the answer's own stated confidence
    Location where;

    std::string describe() const; // "regex {"pattern":"…"}" or "confidence ≥ 0.7"
};

enum class RuleAction { fixed, fallback, cascade, split, cheapest, privacy, learned, bandit };

std::string to_string(RuleAction action);
struct Policy;
// Every model a policy may call, in rule order, without repeats.
std::vector<std::string> policy_models(const Policy& policy);

struct PolicyRule {
    std::string name;
    RuleCondition when;
    RuleAction action = RuleAction::fallback;
    std::string model;                                 // fixed
    std::vector<std::string> models; // fallback, cascade, cheapest, privacy, learned
    std::vector<std::pair<std::string, double>> split; // split: model → weight, as written
    std::vector<std::string> fallback;                 // fixed, split: tried after the first
    std::optional<CascadeCheck> check;                 // cascade
    double target = 0;                                 // cheapest: quality target (lower bound)
    std::int64_t min_samples = 10;                     // cheapest: fewer results → not eligible
    bool redact = false;                               // privacy
    std::string weak;                                  // learned: the cheap model
    std::string strong;                                // learned: where high scores go
    double threshold = 0;                              // learned: score above it → strong
    std::string scorer;                                // learned: scorer or router file
    double lambda = 0; // learned over models, bandit: quality given up per USD a call
    double epsilon = 0.1;      // bandit: share of requests sent to a model drawn at random
    std::uint64_t seed = 0;    // bandit: the draws are a hash of the request key and this
    Location where;
};

struct Policy {
    std::string name;
    std::string description;
    std::optional<double> max_cost_per_request_usd;
    std::optional<double> max_cost_per_run_usd; // enforced by the caller (route::RunBudget)
    std::optional<double> latency_budget_ms;    // cheapest: skip models slower on record
    // A conversation's context under this policy (each overrides the suite's [context]):
    // `compaction` compact | truncate, `on_context_length` fallback | compact.
    std::optional<std::string> compaction;
    std::optional<std::string> on_context_length;
    std::vector<PolicyRule> rules;
    std::string path; // the file it was read from
    Location where;
};

// Reads every [policies.NAME] table of a providers.toml (through its top-level reader, after
// [models] has been read into `cfg`, so model names can be checked) into cfg.policies.
// Problems are recorded in the reader's Problems; nothing is thrown.
void read_policies(TableReader& top, ProvidersConfig& cfg);

// Loads a policy file (the keys of [policies.NAME] at top level, plus `name`, which defaults
// to the file's stem); model names are checked against `providers`. Throws
// orch::Error(config) listing every problem.
Policy load_policy_file(const std::string& path, const ProvidersConfig& providers);

// The policy named in providers.toml, or nullptr.
const Policy* find_policy(const ProvidersConfig& providers, const std::string& name);

// `--policy NAME|FILE.toml` (and bench's `policy:NAME`): a path ending in .toml, or naming an
// existing file, is loaded as a policy file; anything else is looked up by name. Throws
// orch::Error(config) when there is no such policy (naming the ones there are).
Policy resolve_policy(const ProvidersConfig& providers, const std::string& name_or_file);

} // namespace orch::config
