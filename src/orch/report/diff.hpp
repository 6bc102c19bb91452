#pragma once
// `orch diff A B`: two sets of results compared task by task. A side is plain data (DiffSide),
// so it can come from a recorded run (load_run_side) or from anything else that produces
// results, such as a policy replayed over the golden suites. Results pair by suite, task id
// and repeat; deltas are B − A with paired-bootstrap 95% intervals.
#include <orch/report/bootstrap.hpp>
#include <orch/store/store.hpp>

#include <optional>
#include <string>
#include <vector>

namespace orch::report {

// How one step of a workflow result was routed and how it did.
struct StepRoute {
    std::string step;
    std::string model;  // "" when it never answered
    std::string rule;   // the policy rule ("" for a model target)
    std::optional<bool> passed;
};

// One result as a diff needs it; the output text is not kept.
struct DiffResult {
    std::string target;
    std::string model; // the model that answered (differs from target for a policy)
    std::string suite;
    std::string task_id;
    std::string task_type;
    std::int64_t repeat = 0;
    std::string status; // scored | unscored | error
    std::optional<double> score;
    std::optional<bool> passed;
    double cost_usd = 0; // generation cost
    double latency_ms = 0;
    bool routed = false; // a policy target's result (store::ResultRow::route set)
    std::string rule;    // the policy rule that decided ("" when not routed)
    bool simulated = false;
    std::vector<StepRoute> steps; // a workflow's steps, in step id order
};

DiffResult diff_result_from(const store::ResultRow& row);

struct DiffSide {
    std::string label;                  // how reports name this side: "run 3", "policy:cheap"
    std::optional<std::int64_t> run_id; // when the side is a recorded run
    bool simulated = false;
    std::vector<std::string> targets; // in order of first appearance
    std::vector<DiffResult> results;

    // Appends a result, keeping targets and simulated up to date.
    void add(DiffResult result);
};

// A recorded run as a diff side (streamed; outputs are dropped). Throws orch::Error(config)
// for an unknown run.
DiffSide load_run_side(store::Store& store, std::int64_t run_id);

inline constexpr std::uint64_t k_diff_seed = 0x6f7263682d646966ULL; // "orch-dif"

struct DiffOptions {
    // Which targets to compare. Default: the only target of each side, else every target
    // name present on both sides.
    std::optional<std::string> a_target;
    std::optional<std::string> b_target; // defaults to a_target
    double tolerance = 0;                // quality drop allowed before B counts as a regression
    std::size_t resamples = 2000;
    std::uint64_t seed = k_diff_seed;
};

enum class Direction { up, down, none }; // the interval lies above zero, below zero, or spans it

struct MetricDelta {
    double a = 0;   // mean over the pairs used, side A
    double b = 0;   // side B
    Interval delta; // B − A, paired bootstrap
    Direction direction = Direction::none;
};

// One workflow step across the pairs of a target diff: where its calls went on each side.
struct StepDiff {
    std::string suite;
    std::string step;
    std::size_t paired = 0;        // pairs where both sides recorded the step
    std::size_t route_changes = 0; // another model answered, or another rule decided
    // "sim-mid → sim-small" with how many pairs moved so, most first; "sim-mid (rule a → b)"
    // when only the rule changed.
    std::vector<std::pair<std::string, std::size_t>> moves;
    std::size_t a_passed = 0; // pairs whose step passed its checks, each side
    std::size_t b_passed = 0;
    bool checked = false;     // the step has checks of its own (passed is known on some pair)
};

struct TaskChange {
    DiffResult a;
    DiffResult b;
    double score_delta = 0; // B − A, an unscored or failed result counting as 0
};

struct TargetDiff {
    std::string a_target;
    std::string b_target;
    std::size_t paired = 0;
    std::size_t only_a = 0; // results of A's target with no partner in B
    std::size_t only_b = 0;
    MetricDelta quality;    // pairs scored on both sides
    MetricDelta cost;       // generation USD per task, every pair
    MetricDelta latency;    // ms per task, pairs answered on both sides (no provider error)
    double a_pass_rate = 0; // over the paired results
    double b_pass_rate = 0;
    std::int64_t a_errors = 0; // provider errors and unscored results among the pairs
    std::int64_t b_errors = 0;
    std::int64_t improved = 0; // score went up
    std::int64_t regressed = 0;
    std::int64_t fail_to_pass = 0;
    std::int64_t pass_to_fail = 0;
    std::int64_t route_changes = 0;  // the answering model or the policy rule changed
    bool routed = false;             // either side is a policy target
    std::vector<TaskChange> changes; // score, pass, status, model or rule changed; worst first
    std::vector<StepDiff> steps;     // workflow suites: per suite and step
    bool regression = false;         // quality interval's upper bound < −tolerance
};

struct RunDiff {
    std::string a_label;
    std::string b_label;
    bool simulated = false;
    double tolerance = 0;
    std::size_t resamples = 0;
    std::uint64_t seed = 0;
    std::vector<TargetDiff> targets;

    bool regression() const;
};

// Compares B against A. Throws orch::Error(config) when a named target is missing, or when
// the sides share no target and have more than one each (say which with a_target/b_target).
RunDiff diff_sides(const DiffSide& a, const DiffSide& b, const DiffOptions& options = {});

// "verdict: B is worse than A on quality (Δ -0.114 [-0.160, -0.070])", "verdict: B is better
// than A on quality (…)" or "verdict: no significant difference in quality (…)".
std::string quality_verdict(const TargetDiff& diff, double tolerance);
// "cost: B is cheaper than A (Δ -$0.00126 per task [-$0.00131, -$0.00121], -97%)" and the
// like; "latency: B is faster than A (Δ -1344ms per task [-1400ms, -1290ms])".
std::string cost_statement(const TargetDiff& diff);
std::string latency_statement(const TargetDiff& diff);

} // namespace orch::report
