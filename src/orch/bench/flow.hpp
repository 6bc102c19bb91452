#pragma once
// A task that takes more than one call, as the runner schedules it: a workflow (its steps, some
// at once) or an agent loop (its turns, one after another, tools between them). The runner asks
// what is ready, makes each call (to a model, or through the Router), hands the answer back,
// scores what needs scoring and commits the rows; the task decides what to call and keeps the
// record. "Steps" here are a workflow's steps or an agent's turns.
#include <orch/bench/scoring.hpp>
#include <orch/config/suite.hpp>
#include <orch/provider/provider.hpp>
#include <orch/route/router.hpp>
#include <orch/store/store.hpp>
#include <orch/tools/toolbox.hpp>

#include <optional>
#include <string>
#include <vector>

namespace orch::bench {

// A tool call a task needs run off the runner's thread (a program, which may take until its
// timeout); fixture tools are answered in place.
struct ToolJob {
    std::size_t step = 0;
    std::size_t index = 0; // within the step's calls
    ToolCall call;
    const tools::ToolBox* tools = nullptr; // whose tool it is
};

// What a step's own evaluators read once it is complete.
struct StepAnswer {
    std::string step_id;
    std::string text;
    double latency_ms = 0;
    double cost_usd = 0;
    std::optional<double> recorded_score;
    const nlohmann::json* trajectory = nullptr; // an agent step's calls
};

// One call's answer on its row: the model (the one a policy's route used), its route, tokens,
// cost, latency (a route's whole chain), retries, whether it was cached, and its end in task
// time; for an error, the status and the error. The caller adds the output.
void record_call(store::StepRow& row, const provider::Outcome& outcome, const std::optional<route::RouteResult>& route,
                 const std::string& policy);

// A multi-call task's result row from its calls' rows: the identity of `id` and `task`, the
// rows' tokens, cost, judge cost and retries summed, cached when every row that ran (not
// skipped) was and one did, the model when all used one ("" when several), and route.steps
// with each row's model, status, rule and pass (route.policy under a policy target).
store::ResultRow sum_call_rows(const config::Task& task, const store::StepRow& id,
                               const std::vector<const store::StepRow*>& rows, const std::string& suite_hash,
                               double judge_cost_usd, const std::string& policy);
// A task's score on its row: scored with score, pass and evaluations, or unscored with why.
void record_score(store::ResultRow& row, const TaskScore* score);
// A task that ended at a failed call: an error, of that call's kind, at that step.
void record_failure(store::ResultRow& row, const store::StepRow& failed);
// A step's score on its row, the same way; a step with no evaluators of its own stays answered
// (only what follows judges it).
void record_step_score(store::StepRow& row, const TaskScore& score, double judge_cost_usd, bool has_evaluators);

class TaskFlow {
  public:
    virtual ~TaskFlow() = default;
    // Calls that can start now, each marked waiting for a slot from `now_ms`.
    virtual std::vector<std::size_t> take_ready(double now_ms) = 0;
    virtual Request request(std::size_t step, const std::string& key, std::uint64_t seed) = 0;
    // The call as a task of its own (messages, evaluators, threshold) for scoring and judges.
    virtual const config::Task& step_task(std::size_t step) const = 0;
    // How it is routed: its type, tags, sensitivity, pinned model or own policy.
    virtual const config::StepTask& spec(std::size_t step) const = 0;
    virtual void started(std::size_t step, double now_ms) = 0;
    virtual void answered(std::size_t step, const provider::Outcome& outcome,
                          const std::optional<route::RouteResult>& route, const std::string& policy) = 0;
    // Steps whose output is complete, to be scored by their own evaluators (a workflow step once
    // answered, an agent step once its loop ended), each once; and what their evaluators read.
    virtual std::vector<std::size_t> take_to_score() { return {}; }
    virtual StepAnswer step_answer(std::size_t /*step*/) const { return {}; }
    virtual void scored(std::size_t step, const TaskScore& score, double judge_cost_usd) = 0;
    // Tool calls waiting to run off the runner's thread, and their outcomes.
    virtual std::vector<ToolJob> take_tool_jobs() { return {}; }
    virtual void tool_done(const ToolJob& /*job*/, const tools::ToolOutcome& /*outcome*/) {}

    virtual bool steps_done() const = 0;
    virtual std::vector<store::StepRow> take_rows() = 0;
    virtual std::vector<store::ToolCallRow> take_tool_rows() { return {}; }
    virtual std::optional<std::string> final_output() const = 0;
    virtual const config::Task& final_task() const = 0;
    // What trajectory evaluators read (an agent's calls); null for a workflow.
    virtual const nlohmann::json* trajectory() const { return nullptr; }
    virtual store::ResultRow result(const TaskScore* score, double judge_cost_usd, const std::string& suite_hash,
                                    const std::string& policy) const = 0;
    virtual double spent_usd() const = 0;
    virtual double critical_path_ms() const = 0;
    // How many of its calls may be in flight at once: the slots it holds while it runs.
    virtual std::size_t width() const = 0;
};

} // namespace orch::bench
