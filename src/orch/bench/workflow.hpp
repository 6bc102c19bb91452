#pragma once
// One workflow task as a small state machine over its steps' calls: which steps are ready (their
// inputs answered), what each one asks, what came back and how it scored, which steps are
// skipped because a step upstream failed, and finally the task's own result row. The runner
// makes the calls and the judge calls; this class decides what to call and keeps the record.
// Offsets are in the task's own time: a step starts when its last input answered plus however
// long it waited for a slot, and ends a call's latency later, so simulated (not slept)
// latencies give the same timeline a real run would.
#include <orch/bench/flow.hpp>

#include <functional>
#include <memory>

#include <optional>
#include <string>
#include <vector>

namespace orch::bench {

// How many of a workflow's steps can be in flight at once: the most steps at one depth (the
// longest chain of needs above a step), e.g. 2 for extract → (classify ‖ brief) → explain.
std::size_t parallel_width(const config::Task& task);

class AgentTask;

// The tools an agent step calls, compiled once for the run (the runner keeps them).
using ToolBoxes = std::function<const tools::ToolBox&(const config::AgentSpec&)>;

class WorkflowTask final : public TaskFlow {
  public:
    // `identity` fills the rows' run, suite, task, target and repeat; `restored` are the steps a
    // killed run already recorded (they are not called again).
    // An agent step (one with tools) runs its loop inside: each of its turns is a call of the
    // step, its tools' programs are tool jobs, and it is scored once the loop ends.
    WorkflowTask(std::shared_ptr<const config::Task> task, const store::StepRow& identity,
                 const std::vector<store::StepRow>* restored, ToolBoxes toolboxes = {});
    ~WorkflowTask() override;

    // Steps whose inputs have all answered and that have not been started, in the suite's
    // order; each is marked waiting for a slot from now. Steps downstream of a failure are
    // marked skipped here (their rows come out of take_rows).
    std::vector<std::size_t> take_ready(double now_ms) override;
    // The request for a step, its inputs rendered from the answers upstream.
    Request request(std::size_t step, const std::string& key, std::uint64_t seed) override;
    // The step as a task of its own (its messages, evaluators, threshold) for scoring and judges.
    const config::Task& step_task(std::size_t step) const override { return m_step_tasks[step]; }
    const config::StepTask& spec(std::size_t step) const override;

    void started(std::size_t step, double now_ms) override;
    // A step's answer (a policy's route with it, when routed); an error fails the step.
    void answered(std::size_t step, const provider::Outcome& outcome, const std::optional<route::RouteResult>& route,
                  const std::string& policy) override;
    // The step's score, once its judges (if any) have answered.
    void scored(std::size_t step, const TaskScore& score, double judge_cost_usd) override;
    std::vector<std::size_t> take_to_score() override;
    StepAnswer step_answer(std::size_t step) const override;
    std::vector<ToolJob> take_tool_jobs() override;
    void tool_done(const ToolJob& job, const tools::ToolOutcome& outcome) override;
    std::vector<store::ToolCallRow> take_tool_rows() override;
    const nlohmann::json* trajectory() const override;

    // Every step scored, failed or skipped.
    bool steps_done() const override;
    // Rows of steps finished since the last call, to commit.
    std::vector<store::StepRow> take_rows() override;

    // The final step's output (nullopt when it failed or was skipped), and the task to score
    // it against: the suite's evaluators with the final step's messages.
    std::optional<std::string> final_output() const override;
    const config::Task& final_task() const override { return m_final_task; }
    // The task's result row: scored against its evaluators, or an error naming the step that
    // failed; latency is the critical path as it ran, beside the sequential sum.
    store::ResultRow result(const TaskScore* score, double judge_cost_usd, const std::string& suite_hash,
                            const std::string& policy) const override;
    double spent_usd() const override;
    // The task's end-to-end latency as it ran: the latest end of a step that ran.
    double critical_path_ms() const override;
    std::size_t width() const override { return parallel_width(*m_task); }

  private:
    enum class State { waiting, looping, queued, running, answered, done };
    struct Step {
        State state = State::waiting;
        std::unique_ptr<AgentTask> agent; // an agent step's loop, once its inputs are in
        std::vector<store::StepRow> restored_turns;
        double latency_ms = 0;             // what its evaluators read as the step's
        double cost_usd = 0;
        std::optional<double> recorded_score;
        bool ok = false;      // answered with an output
        double ready_ms = 0;  // when its last input answered (task time)
        double queued_ms = 0; // wall clock when it became ready
        store::StepRow row;
        bool emitted = false;
        bool simulated = false;
    };
    nlohmann::json outputs() const;
    // An agent step's loop after each event: its rows collected, and once it has ended, the step
    // answered (or failed) with its final output.
    void sync_agent(std::size_t step);
    ToolBoxes m_toolboxes;
    std::vector<std::size_t> m_to_score;
    std::vector<store::StepRow> m_turn_rows;
    std::vector<store::ToolCallRow> m_tool_rows;

    std::shared_ptr<const config::Task> m_task;
    std::vector<config::Task> m_step_tasks;
    config::Task m_final_task;
    std::vector<Step> m_steps;
};

} // namespace orch::bench
