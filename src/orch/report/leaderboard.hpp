#pragma once
// The leaderboard of a run: per target, per task type × target, and the worst results.
// Every report format (table, md, json, csv, junit, html) renders a Leaderboard.
#include <orch/store/store.hpp>
#include <orch/util/stats.hpp>

#include <array>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace orch::report {

struct TargetStats {
    std::string target;
    std::int64_t attempted = 0; // every result: scored, unscored and errors
    std::int64_t scored = 0;
    std::int64_t unscored = 0;
    std::int64_t errors = 0;
    std::int64_t passed = 0;
    util::MeanCi quality;      // over scored results only
    double pass_rate = 0;      // passed / attempted (errors count as not passed)
    double cost_usd = 0;       // generation: what the target's own calls cost
    double judge_cost_usd = 0; // judging: what scoring its outputs cost (judge-model calls)
    double cost_per_task = 0;  // generation cost / attempted
    // Latency over results that got an answer (not errors); 0 when there are none.
    std::int64_t latency_n = 0;
    double latency_min = 0;
    double latency_p25 = 0;
    double latency_p50 = 0;
    double latency_p75 = 0;
    double latency_p95 = 0;
    double latency_max = 0;
    std::int64_t ttft_n = 0; // results that reported a time to first token
    double ttft_p50 = 0;
    std::int64_t cache_hits = 0; // results served from the response cache
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t retries = 0;
    bool simulated = false;

    double total_cost_usd() const { return cost_usd + judge_cost_usd; }
};

// One step of a workflow suite under one target, over the run's tasks.
struct StepStats {
    std::string step;
    std::string step_type;
    std::int64_t runs = 0;     // step rows, skipped ones included
    std::int64_t scored = 0;
    std::int64_t unscored = 0;
    std::int64_t passed = 0;
    std::int64_t errors = 0;   // failed after every retry and fallback
    std::int64_t skipped = 0;  // an upstream step failed
    double quality = 0;        // mean score over scored rows
    double pass_rate = 0;      // passed / runs, when the step has checks (scored + unscored > 0)
    double cost_usd = 0;
    double cost_share = 0;     // of the cost of every step of this suite under this target
    double latency_p50 = 0;    // over the rows that ran
    double latency_share = 0;  // of the steps' summed latency (the sequential sum)
    double start_mean_ms = 0;  // mean start offset within the task: orders steps as they ran
    std::int64_t failures_began = 0; // failed tasks whose first failing step is this one
    std::vector<std::pair<std::string, std::int64_t>> models; // answering models, most used first

    bool checked() const { return scored + unscored > 0; }
};

// One workflow suite under one target: its tasks end to end, and each of its steps.
struct WorkflowStats {
    std::string target;
    std::string suite;
    std::int64_t tasks = 0;
    std::int64_t failed = 0;         // not passed: failed evaluators, unscored or an error
    double latency_p50 = 0;          // end to end: the critical path as it ran
    double latency_p95 = 0;
    double sequential_p50 = 0;       // the steps' latencies summed, as if run one after another
    std::vector<StepStats> steps;    // in the order they ran (mean start offset)
};

// One workflow task's steps on a time axis, for the HTML report (outputs dropped).
struct Timeline {
    std::string target;
    std::string suite;
    std::string task_id;
    std::int64_t repeat = 0;
    std::vector<store::StepRow> steps; // in start order
};

struct LeaderboardOptions {
    std::size_t worst = 10;                // how many of the worst results to keep
    std::size_t worst_output_bytes = 4000; // outputs kept with them are clipped to this
};

struct Leaderboard {
    store::RunInfo run;
    std::vector<TargetStats> targets;                        // best quality first
    std::map<std::string, std::vector<TargetStats>> by_type; // task type -> per target
    // The worst results, worst first, perfect ones (passed with score 1) left out: lowest score
    // first (unscored and errors count as 0), and at equal score a scored result before an
    // unscored one before a provider error; ties in suite, task, repeat, target order, so a
    // task several targets fail shows as a group. Outputs clipped (LeaderboardOptions).
    std::vector<store::ResultRow> worst;
    std::size_t worst_output_bytes = 0; // a worst output longer than this was clipped
    bool simulated = false; // the run or any of its results came from the simulated fleet
    // Workflow suites, per target (in leaderboard order) and suite, each with its steps; and
    // per suite one task whose steps overlapped (parallel branches), under the best target.
    std::vector<WorkflowStats> workflows;
    std::vector<Timeline> timelines;
    // Agent suites, per target in leaderboard order and suite.
    std::vector<store::AgentSummary> agents;
    // Conversation suites ([context]), per target in leaderboard order and suite.
    std::vector<store::ContextSummary> contexts;
};

// Reads a run's results (streamed; memory holds the per-target latencies and the worst
// results only) into a leaderboard; throws orch::Error(config) for an unknown run.
Leaderboard build_leaderboard(store::Store& store, std::int64_t run_id,
                              const LeaderboardOptions& options = {});

// Why a result scored as it did, one sentence per evaluator that fell short ("numeric:
// expected 49.57, got 54.53"); every evaluator when none fell short; for a provider error
// "error (timeout): …"; for an unscored result the evaluators that could not run.
std::vector<std::string> result_reasons(const store::ResultRow& row);
// The line a user runs a policy beside models for, one per policy target: its quality against
// the strongest model target's, at what share of that model's generation cost per task ("policy:default:
// quality 0.899 vs 0.923 for sim-frontier at 31% of its cost"). Empty without a policy target
// and a scored model target.
std::vector<std::string> policy_verdicts(const Leaderboard& board);
// "suite/task#repeat", the identity of a result inside its target.
std::string result_label(const store::ResultRow& row);
// The route rule of a policy target's result ("" for a plain model target).
std::string route_rule(const store::ResultRow& row);

// A step's row as every table format shows it, one cell a column in k_step_columns' order:
// step, type, pass rate ("-" without checks), quality ("-" unscored), errors, skipped, cost,
// its share, latency p50, its share, failures began, and the models ("sim-small 30, sim-mid 6",
// most used first). Plain text: each format escapes the cells for itself.
inline constexpr std::array<const char*, 12> k_step_columns = {
    "step", "type", "pass", "quality", "errors", "skipped", "cost", "cost share", "p50", "time share",
    "failures began", "models"};
std::array<std::string, 12> step_cells(const StepStats& s);
// An agent suite's figures under one target, each absent when it has nothing to divide by:
// task success, the share of tool calls that were valid, turns and calls per task, cost per
// solved task.
struct AgentRates {
    std::optional<double> success;
    std::optional<double> validity;
    std::optional<double> turns_per_task;
    std::optional<double> calls_per_task;
    std::optional<double> cost_per_solved_usd;
};
AgentRates agent_rates(const store::AgentSummary& a);
// An agent suite's row under one target as every table format shows it, in k_agent_columns'
// order: target, tasks, task success, tool-call validity, turns per task, tool calls per task,
// tasks stopped at a limit, cost per solved task ("-" when none was solved).
inline constexpr std::array<const char*, 8> k_agent_columns = {
    "target", "tasks", "success", "valid calls", "turns/task", "calls/task", "at limit", "cost/solved"};
std::array<std::string, 8> agent_cells(const store::AgentSummary& a);
// A conversation suite's row under one target as every table format shows it, in
// k_context_columns' order: target, tasks, pass rate, compactions per task, compactions
// rejected, tasks whose context kept what it had (the last compaction rejected), tasks cut to
// fit, the planted facts still in the answer's context, the compactions' share of the cost, and
// the answers' mean token-estimate error.
inline constexpr std::array<const char*, 10> k_context_columns = {
    "target", "tasks", "pass", "compactions/task", "rejected", "kept previous", "truncated", "facts kept",
    "compaction cost", "estimate error"};
std::array<std::string, 10> context_cells(const store::ContextSummary& c);

// A result's tool calls, one line each: "turn 2: issue_refund {…} → error: refund rejected…".
std::vector<std::string> transcript_lines(const store::ResultRow& row, std::size_t width);

// "36 tasks, 5 failed; end to end p50 1.23s (p95 2.10s) against 2.40s one step after another".
std::string workflow_summary(const WorkflowStats& w);

inline constexpr const char* k_simulated_note =
    "SIMULATED: these results come from orch's built-in simulated fleet, not from real models.";

struct TableStyle {
    bool color = false;
};

// The human table: run header, leaderboard (quality; then cost and latency), quality by task
// type, then the worst results with their reasons and outputs.
void print_table(const Leaderboard& board, std::ostream& out, const TableStyle& style = {});

} // namespace orch::report
