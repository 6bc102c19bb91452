#pragma once
// One conversation task as the runner schedules it: a long thread (the row's earlier messages)
// and a final request, with calls one after another.
//
// The thread is read message by message into the context. Before the context passes the
// suite's `compact_at` (counted for the model that will answer, with its calibrated token
// estimate), the oldest messages but `keep_recent` are compacted: a routed call of type
// `compact` (tag context:compact) that folds them into the summary so far, so a thread that
// keeps growing is compacted again, summary plus new turns. A summary that errors, is empty, is
// not shorter than what it replaces, or keeps none of its identifiers is rejected: the context
// stays as it was. The answer is sent the summary, the recent messages and the request; when it
// still would not fit the model's window, the oldest messages are cut and the request says so.
// A context_length error from the provider can compact and retry on the same model.
//
// A task with a session starts from the session's memory (the latest accepted compaction of
// the task before it) and, once it has answered, folds its own thread into a new memory; a
// rejected one leaves the memory as it was. Every call is a step row ("context:compact1",
// "context:answer", "context:memory"); a resumed run replays the calls it recorded.
#include <orch/bench/flow.hpp>
#include <orch/config/context.hpp>
#include <orch/context/tokens.hpp>

#include <functional>
#include <map>

namespace orch::bench {

// A session's memory as a task finds it when it starts.
struct MemoryRead {
    std::string summary;     // "" when the session has none yet
    std::string unavailable; // why it could not be read; "" when it could
};

// What the runner lends a conversation task.
struct ConversationEnv {
    context::TokenCounter* tokens = nullptr;
    // The model a call routed as `spec` with these messages goes to first (the target, or the
    // first of the policy's chain); null when none would.
    std::function<const config::ModelConfig*(const config::StepTask&, const std::vector<Message>&)> model_for;
    std::string strategy = "compact";  // compact | truncate: the suite's, or the policy's
    bool compact_on_overflow = false;  // on_context_length = "compact"
    MemoryRead memory;
};

class ConversationTask final : public TaskFlow {
  public:
    ConversationTask(std::shared_ptr<const config::Task> task, const store::StepRow& identity,
                     const std::vector<store::StepRow>* restored, ConversationEnv env);

    std::vector<std::size_t> take_ready(double now_ms) override;
    Request request(std::size_t step, const std::string& key, std::uint64_t seed) override;
    const config::Task& step_task(std::size_t step) const override { return m_calls[step].task; }
    const config::StepTask& spec(std::size_t step) const override { return m_calls[step].spec; }
    void started(std::size_t step, double now_ms) override;
    void answered(std::size_t step, const provider::Outcome& outcome, const std::optional<route::RouteResult>& route,
                  const std::string& policy) override;
    std::vector<std::size_t> take_to_score() override;
    StepAnswer step_answer(std::size_t step) const override;
    void scored(std::size_t step, const TaskScore& score, double judge_cost_usd) override;

    bool steps_done() const override;
    std::vector<store::StepRow> take_rows() override;
    std::optional<std::string> final_output() const override;
    const config::Task& final_task() const override { return *m_task; }
    store::ResultRow result(const TaskScore* score, double judge_cost_usd, const std::string& suite_hash,
                            const std::string& policy) const override;
    double spent_usd() const override;
    double critical_path_ms() const override { return m_clock; }
    std::size_t width() const override { return 1; }

    // The session's memory once the task is done: the latest summary it accepted, when it
    // accepted one; nullopt leaves the memory as it was.
    std::optional<std::string> memory_out() const;
    const std::string& session() const;

  private:
    enum class Kind { compact, answer, memory };
    struct Call {
        Kind kind = Kind::compact;
        store::StepRow row;
        config::StepTask spec;
        config::Task task;             // what its evaluators read (a compaction: its facts)
        std::vector<Message> messages; // what is sent
        std::string replaced;          // a compaction: the text its summary replaces
        std::size_t folded = 0;        // a compaction: how many context messages it folds
        std::vector<std::string> facts; // a compaction: the facts in what it replaces
        std::int64_t estimated = 0;     // the calibrated one, for the model it went to first
        std::string estimated_for;
        double ready_ms = 0;
        double queued_ms = 0;
        bool queued = false;
        bool simulated = false;
        bool to_score = false;
        bool finished = false; // its row is complete
        bool emitted = false;
        std::string rejected; // a compaction's summary that was not used: why
    };

    // Reads the thread on until a call is needed, and makes it ready (or ends the task).
    void plan();
    void add_compaction(Kind kind, bool forced);
    void add_answer();
    Call& add_call(Kind kind, const std::string& id);
    // The answer's messages: the suite's system prompt with the summary and notes, the context
    // messages, the final request.
    std::vector<Message> answer_messages() const;
    config::StepTask spec_for(Kind kind, const std::string& id) const;
    const config::ModelConfig* model_for(const config::StepTask& spec, const std::vector<Message>& messages) const;
    // The compaction threshold for a model's window (the default window when none is known).
    std::int64_t threshold(const config::ModelConfig* model) const;
    std::int64_t estimate(const config::ModelConfig* model, const std::vector<Message>& messages) const;
    bool over_threshold();
    void replay(std::size_t index);
    nlohmann::json context_record() const;
    // Once a call has its answer (a provider's, or one replayed from the store).
    void settle(std::size_t step, bool ok, const std::string& error_kind);

    std::shared_ptr<const config::Task> m_task;
    const config::ContextSpec& m_spec;
    const config::Conversation& m_thread;
    store::StepRow m_identity;
    ConversationEnv m_env;
    std::map<std::string, store::StepRow> m_restored;

    std::vector<Call> m_calls;
    std::string m_summary;         // the accepted summary so far (the session's memory at first)
    bool m_summary_changed = false; // this task accepted a compaction: the session's memory is m_summary
    std::vector<Message> m_context; // the thread's messages since the summary
    std::size_t m_next = 0;        // the next message of the thread to read
    std::size_t m_retry_at = 0;    // after a rejected compaction: the context size to try again at (doubled)
    std::size_t m_cut = 0;         // messages cut from the answer's context
    std::string m_pinned;          // the model an overflowed answer is retried on
    bool m_overflowed = false;
    bool m_answered = false;
    bool m_failed = false;
    std::optional<std::string> m_answer;
    std::vector<Message> m_answer_messages; // what the (last) answer was sent
    // The model the answer goes to first, once asked (null: none would take it).
    std::optional<const config::ModelConfig*> m_answer_model;
    std::int64_t m_compactions = 0;
    std::int64_t m_cap = 0; // after an overflow: the most the retried answer is sent
    double m_clock = 0;
};

} // namespace orch::bench
