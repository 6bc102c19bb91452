#pragma once
// The results database (SQLite, WAL): runs with their lineage and one row per result.
// The schema carries a version (PRAGMA user_version) and is migrated forward on open.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace orch::store {

struct RunInfo {
    std::int64_t id = 0;
    std::string started_at;
    std::string finished_at;
    std::string status = "running"; // running | completed | interrupted | budget_exceeded
    std::string command;
    std::string orch_version;
    std::string git_rev;
    std::string providers_hash;
    std::uint64_t seed = 0;
    std::int64_t repeats = 1;
    nlohmann::json targets = nlohmann::json::array(); // target names
    nlohmann::json suites = nlohmann::json::object(); // suite name -> content hash
    bool simulated = false;
};

struct ResultRow {
    std::int64_t run_id = 0;
    std::string suite;
    std::string suite_hash;
    std::string task_id;
    std::string task_type;
    std::string target;
    std::string model;
    std::int64_t repeat = 0;
    std::string status; // scored | unscored | error
    std::optional<double> score;
    std::optional<bool> passed;
    double threshold = 1;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    bool tokens_estimated = false;
    double cost_usd = 0;
    double latency_ms = 0;
    std::optional<double> ttft_ms;
    std::int64_t retries = 0;
    std::string output;
    nlohmann::json evaluations = nlohmann::json::array();
    std::string error_kind;
    std::string error;
    bool simulated = false;
    nlohmann::json route;      // for policy targets: {policy, rule, chain: [...]}; null otherwise
    double judge_cost_usd = 0; // spent on judge calls scoring this result (not in cost_usd)
    bool cached = false;       // served from the response cache
    // Workflows: latency_ms is the critical path as it ran; this is the sum of the steps'.
    std::optional<double> sequential_ms;
    std::string failed_step; // the first step whose evaluators failed (or that failed)
    nlohmann::json trajectory; // an agent task: {turns, tool_calls, invalid_calls, stop, calls: [...]}
    // A conversation task: {state, compactions, accepted, rejected, cut_messages, facts, tokens,
    // memory, ...} (bench/conversation.cpp)
    nlohmann::json context;
};

// The columns a leaderboard aggregates: no output, evaluations or route. The strings view
// SQLite's own buffers and are valid only during the callback that receives them.
struct ResultSummary {
    std::int64_t id = 0; // the row id, for results_by_id
    std::string_view suite;
    std::string_view task_id;
    std::string_view task_type;
    std::string_view target;
    std::string_view status;
    std::int64_t repeat = 0;
    std::optional<double> score;
    std::optional<bool> passed;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    double cost_usd = 0;
    double judge_cost_usd = 0;
    double latency_ms = 0;
    std::optional<double> ttft_ms;
    std::int64_t retries = 0;
    bool simulated = false;
    bool cached = false;
    std::optional<double> sequential_ms; // workflows only
    std::string_view failed_step;        // workflows only
};

// One request routed through a policy (orch route, or a policy target in orch bench).
struct RouteLogEntry {
    std::string request_id;
    std::string at;
    std::string policy;
    std::string rule;
    std::string task_type;
    nlohmann::json chain = nlohmann::json::array(); // [{model, outcome, error_kind, latency_ms, cost_usd}]
    std::string model; // the model whose answer was used ("" when none)
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    double cost_usd = 0;
    double latency_ms = 0;
    std::string outcome; // ok | error | refused | budget
    std::string error;
    // The probability with which the rule chose its first model (1 for a rule that does not
    // draw; a split's weight share); null in rows logged before schema 6.
    std::optional<double> propensity;
    bool online = false;          // the rule learns from this request's reward (bandit)
    std::string prompt;           // the user text, kept only when online (for offline estimates)
    std::optional<double> reward; // the evaluator's score, when a bench run routed it
    std::optional<double> feedback; // read only: the mean of `orch feedback` scores
};

// A learning rule's evidence for one model on one task type (sums, so updates add).
struct BanditArm {
    std::string policy;
    std::string rule;
    std::string task_type;
    std::string model;
    double n = 0;
    double reward_sum = 0;
    double cost_sum = 0;
};

// A response kept for reuse; its original latency is kept with it.
struct CachedResponse {
    std::string text;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cached_input_tokens = 0;
    bool tokens_estimated = false;
    double cost_usd = 0;
    double latency_ms = 0;
    std::optional<double> ttft_ms;
    nlohmann::json tool_calls; // [{id, name, arguments}] when the answer called tools; null otherwise
};

// One tool call of an agent's turn, as the loop handled it.
struct ToolCallRow {
    std::int64_t run_id = 0;
    std::string suite;
    std::string task_id;
    std::string target;
    std::int64_t repeat = 0;
    std::string step;      // the workflow step that ran the loop; "" for an agent suite's own
    std::int64_t turn = 0; // 1-based
    std::int64_t index = 0; // within the turn
    std::string call_id;
    std::string tool;
    std::string arguments; // as the model wrote them
    bool valid = true;     // the tool exists and the arguments are JSON that fits its schema
    bool is_error = false; // the model was told the call failed
    std::string result;    // what the model was told
    std::string error;     // why it failed
    double latency_ms = 0;
};

// One agent suite under one target, summed over its results.
struct AgentSummary {
    std::string target;
    std::string suite;
    std::int64_t tasks = 0;
    std::int64_t solved = 0; // passed
    std::int64_t errors = 0;
    std::int64_t turns = 0;
    std::int64_t tool_calls = 0;    // calls the loop handled (run or refused)
    std::int64_t invalid_calls = 0; // refused: unknown tool, arguments not JSON or against the schema
    std::int64_t at_limit = 0;      // stopped at max_turns or max_tool_calls
    double cost_usd = 0;            // generation and judging
};

// One conversation suite under one target, summed over its results' context records.
struct ContextSummary {
    std::string target;
    std::string suite;
    std::int64_t tasks = 0;
    std::int64_t passed = 0;
    std::int64_t errors = 0;
    std::int64_t compactions = 0;
    std::int64_t rejected = 0;      // compactions (and memory writes) whose summary was not used
    std::int64_t compacted = 0;     // tasks by their context's state
    std::int64_t kept_previous = 0;
    std::int64_t truncated = 0;
    std::int64_t facts_planted = 0;
    std::int64_t facts_kept = 0;    // of those, still in the answer's context
    double compaction_cost_usd = 0;
    double cost_usd = 0;            // everything, compactions and judging included
    double latency_ms = 0;          // summed end to end
    double abs_estimate_error_pct = 0; // summed |estimated - reported| / reported of the answers
    std::int64_t estimates = 0;
};

// What a model's providers reported against orch's rough token estimate (context/tokens.hpp).
struct TokenCalibration {
    std::string model;
    std::int64_t estimated = 0;
    std::int64_t reported = 0;
    std::int64_t calls = 0;
};

// A session's memory as one task left it.
struct MemoryRow {
    std::int64_t run_id = 0;
    std::string suite;
    std::string task_id;
    std::string target;
    std::int64_t repeat = 0;
    std::string session;
    std::string summary;
};

// A session's memory as read: the summary ("" when there is none yet), or why it could not be
// read (a failing query, a summary that no longer matches its checksum).
struct MemoryLookup {
    std::string summary;
    std::string unavailable;
};

struct JudgeCall {
    std::int64_t run_id = 0;
    std::string suite;
    std::string task_id;
    std::string target;
    std::int64_t repeat = 0;
    std::string step;        // the workflow step judged; empty for a task's final output
    std::string evaluator;   // judge_rubric | judge_reference | judge_pairwise
    std::string judge_model;
    std::string prompt_hash;
    std::string raw_reply;
    std::optional<double> score; // nullopt: unscored (unparseable or failed)
    std::string status;          // scored | unscored | error
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    double cost_usd = 0;
    double latency_ms = 0;
};

// Recorded quality of a model on a task type, over every run in the database.
struct QualityStat {
    std::string model;
    std::string task_type;
    std::int64_t n = 0;        // scored results
    double mean = 0;           // mean score
    double stddev = 0;
    double cost_per_task = 0;
    double latency_mean_ms = 0;
};

// One step of a workflow task.
struct StepRow {
    std::int64_t run_id = 0;
    std::string suite;
    std::string task_id;
    std::string target;
    std::int64_t repeat = 0;
    std::string step_id;
    std::string step_type;
    std::string model;
    nlohmann::json route;   // for routed steps: {policy, rule, chain}
    std::string status;     // scored | unscored | answered (no evaluators) | error | skipped
    std::optional<double> score;
    std::optional<bool> passed;
    double threshold = 1;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    double cost_usd = 0;
    double judge_cost_usd = 0;
    double latency_ms = 0;
    double start_ms = 0; // offsets within the task
    double end_ms = 0;
    std::int64_t retries = 0;
    std::string output;
    nlohmann::json evaluations = nlohmann::json::array();
    std::string error_kind;
    std::string error;
    bool cached = false;
};

// The identity of a unit of work inside a run, for resume.
std::string work_key(const std::string& suite, const std::string& task_id, const std::string& target,
                     std::int64_t repeat);

inline constexpr int k_schema_version = 6;

class Store {
  public:
    // Opens (creating if needed) and migrates the database; throws orch::Error(config) when
    // the file is not a usable orch database.
    explicit Store(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    int schema_version();
    std::int64_t create_run(const RunInfo& run);
    void set_run_status(std::int64_t run_id, const std::string& status, bool finished);
    // Writes rows in one transaction; a row whose work key is already recorded is ignored.
    void add_results(const std::vector<ResultRow>& rows);

    std::optional<RunInfo> run(std::int64_t run_id);
    std::vector<RunInfo> runs();
    std::optional<std::int64_t> latest_run_id();
    std::unordered_set<std::string> done_keys(std::int64_t run_id);
    std::int64_t count_results(std::int64_t run_id);
    // Streams a run's results ordered by target, then suite, task, repeat.
    void for_each_result(std::int64_t run_id, const std::function<void(const ResultRow&)>& fn);
    // Streams a run's results in no particular order, summary columns only: the fast path for
    // aggregating a million rows. The run's rows are cut into `parts` stretches read at once,
    // each on a thread and a read-only connection of its own: fn(part, row) runs on the thread
    // of `part` (0 <= part < parts), so state kept per part needs no lock. An error on any
    // thread is thrown here once all have ended.
    void for_each_result_summary(std::int64_t run_id, std::size_t parts,
                                 const std::function<void(std::size_t, const ResultSummary&)>& fn);
    // Whole rows by ResultSummary::id, in the order asked; unknown ids are left out.
    std::vector<ResultRow> results_by_id(const std::vector<std::int64_t>& ids);

    // Route log and feedback.
    void log_route(const RouteLogEntry& entry);
    std::optional<RouteLogEntry> route_entry(const std::string& request_id);
    // Requests routed by a learning rule with a propensity above 0 (policy "" = any), oldest
    // first, with their feedback.
    std::vector<RouteLogEntry> logged_decisions(const std::string& policy);
    // Adds the observations to the stored sums (one transaction), and reads them all back.
    void add_bandit_observations(const std::vector<BanditArm>& arms);
    std::vector<BanditArm> bandit_state();
    // Records a score against a routed request; false when the id is unknown.
    bool add_feedback(const std::string& request_id, double score, const std::string& comment);

    // Response cache, keyed by a hash of the full request (model, messages, parameters).
    std::optional<CachedResponse> cache_get(const std::string& key);
    struct CacheEntry {
        std::string key;
        std::string model;
        CachedResponse response;
    };
    // Writes entries in one transaction.
    void cache_put(const std::vector<CacheEntry>& entries);

    void add_judge_calls(const std::vector<JudgeCall>& calls);
    void add_tool_calls(const std::vector<ToolCallRow>& rows);
    // A run's agent suites per target (results that carry a trajectory).
    std::vector<AgentSummary> agent_summaries(std::int64_t run_id);

    // A run's conversation suites per target (results that carry a context record).
    std::vector<ContextSummary> context_summaries(std::int64_t run_id);
    // Token estimates' evidence per model: added to what is stored, and read back whole.
    void add_token_calibration(const std::vector<TokenCalibration>& rows);
    std::vector<TokenCalibration> token_calibration();
    // Session memories, written before the results of the tasks that wrote them. A session's
    // memory is the latest one written by a task whose result is recorded (a task killed before
    // its result is run again and writes it again). Never throws for an unreadable memory.
    void put_memories(const std::vector<MemoryRow>& rows);
    MemoryLookup memory(std::int64_t run_id, const std::string& target, std::int64_t repeat, const std::string& session);

    // Workflow steps: written in one transaction (a step already recorded is ignored); the
    // steps of tasks that have no result yet (what a resume need not call again), by work key;
    // a run's steps ordered by target, suite, task, repeat, start.
    void add_step_results(const std::vector<StepRow>& rows);
    std::unordered_map<std::string, std::vector<StepRow>> unfinished_steps(std::int64_t run_id);
    void for_each_step(std::int64_t run_id, const std::function<void(const StepRow&)>& fn);

    // Mean output tokens per (model, task type) over every successful result.
    std::map<std::pair<std::string, std::string>, double> output_token_means();

    // Mean quality per (model, task type) over scored results of every run (or of one).
    std::vector<QualityStat> quality_stats(std::optional<std::int64_t> run_id = std::nullopt);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace orch::store
