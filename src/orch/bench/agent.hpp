#pragma once
// One agent task as the runner schedules it: a loop of turns, one at a time. Each turn is a
// routed call offering the suite's tools; the calls it asks for are checked (a call to an
// unknown tool, or with arguments that are not JSON or break the tool's schema, goes back to
// the model as a tool error and is counted invalid) and answered by the tools, all of a turn's
// calls before the next turn; the loop ends at an answer without calls, at max_turns, or when a
// turn would pass max_tool_calls. Every turn is a step row (its output the turn as JSON: text,
// calls, results), every call a tool-call row; a resumed run replays the turns it recorded
// instead of calling them again.
#include <orch/bench/flow.hpp>

namespace orch::bench {

class AgentTask final : public TaskFlow {
  public:
    // A workflow's agent step runs as one too: `prefix` names its turns ("act/" gives
    // "act/turn1"), the loop starts at `start_ms` of the task's time, and its turns go to the
    // step's pinned model or its own policy.
    AgentTask(std::shared_ptr<const config::Task> task, const tools::ToolBox& tools, const store::StepRow& identity,
              const std::vector<store::StepRow>* restored, double start_ms = 0, std::string prefix = "",
              std::string model = "", std::string policy = "");
    // The turn in flight, or the last one.
    std::size_t current_turn() const { return m_turns.empty() ? 0 : m_turns.size() - 1; }

    std::vector<std::size_t> take_ready(double now_ms) override;
    Request request(std::size_t step, const std::string& key, std::uint64_t seed) override;
    const config::Task& step_task(std::size_t /*step*/) const override { return m_turn_task; }
    const config::StepTask& spec(std::size_t /*step*/) const override { return m_spec; }
    void started(std::size_t step, double now_ms) override;
    void answered(std::size_t step, const provider::Outcome& outcome, const std::optional<route::RouteResult>& route,
                  const std::string& policy) override;
    void scored(std::size_t /*step*/, const TaskScore& /*score*/, double /*judge_cost_usd*/) override {}
    std::vector<ToolJob> take_tool_jobs() override;
    void tool_done(const ToolJob& job, const tools::ToolOutcome& outcome) override;

    bool steps_done() const override { return m_state == State::done; }
    std::vector<store::StepRow> take_rows() override;
    std::vector<store::ToolCallRow> take_tool_rows() override;
    std::optional<std::string> final_output() const override;
    const config::Task& final_task() const override { return m_final_task; }
    const nlohmann::json* trajectory() const override { return &m_trajectory; }
    store::ResultRow result(const TaskScore* score, double judge_cost_usd, const std::string& suite_hash,
                            const std::string& policy) const override;
    double spent_usd() const override;
    double critical_path_ms() const override { return m_clock; }
    std::size_t width() const override { return 1; }

  private:
    enum class State { ready, queued, calling, tools, done };
    struct Turn {
        store::StepRow row;
        std::string text; // what the model wrote beside its calls (its answer, on the last turn)
        std::vector<ToolCall> calls;
        std::vector<std::optional<tools::ToolOutcome>> outcomes; // nullopt while a tool job runs
        std::size_t run = 0; // how many of the calls were run (the rest passed max_tool_calls)
        double ready_ms = 0;
        double queued_ms = 0;
        bool simulated = false;
        bool emitted = false;
    };
    // The turn's calls are all answered: their results join the conversation, and the loop
    // goes on or stops at a limit.
    void close_turn();
    void record(Turn& turn);
    void set_spec();
    std::size_t turn_number(const std::string& step_id) const;

    std::shared_ptr<const config::Task> m_task;
    const tools::ToolBox& m_tools;
    store::StepRow m_identity;
    std::string m_prefix;
    std::vector<Message> m_messages; // the conversation so far
    std::vector<Turn> m_turns;
    State m_state = State::ready;
    std::string m_stop; // answer | max_turns | max_tool_calls | error
    std::int64_t m_calls = 0;
    double m_clock = 0; // task time: the end of the last turn and its tools
    std::vector<ToolJob> m_jobs;
    config::StepTask m_spec;
    config::Task m_turn_task; // a turn is not scored on its own
    config::Task m_final_task;
    nlohmann::json m_trajectory;
    std::vector<store::ToolCallRow> m_tool_rows;
};

} // namespace orch::bench
