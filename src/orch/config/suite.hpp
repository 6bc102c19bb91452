#pragma once
// Suites (tasks/*.toml) and the golden datasets they read (JSONL, OpenAI-evals JSONL, CSV).
#include <orch/config/problems.hpp>
#include <orch/core/types.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <unordered_set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace orch::config {

struct AgentSpec;   // config/agent.hpp
struct ContextSpec; // config/context.hpp
struct Conversation;

struct EvaluatorSpec {
    std::string kind;
    double weight = 1.0;
    bool negate = false;     // `not = true`
    nlohmann::json params;   // every other key, as written (templated per row)
    Location where;          // the [[evaluators]] table, or the dataset row of an override
    std::string key;         // "evaluators[0]", or "override.evaluators[0]" in a row
    std::map<std::string, Location> param_where; // each parameter's own line (suite file only)
};

struct PromptSpec {
    std::string system;
    std::string user;
};

// One step of a workflow suite ([[steps]]): its own prompt over the dataset row and earlier
// steps' outputs ({{steps.ID.output}}, {{steps.ID.json.field}}), evaluators and routing.
struct StepSpec {
    std::string id;
    std::string type; // the suite's type when not given
    std::vector<std::string> tags;
    PromptSpec prompt;
    std::vector<std::string> needs;    // as written
    std::vector<std::size_t> upstream; // direct dependencies (needs and templates), by index
    GenParams params;
    std::vector<EvaluatorSpec> evaluators;
    std::optional<double> threshold;
    std::string reference; // dataset field holding this step's expected output
    nlohmann::json choices = nlohmann::json::array();
    std::string model;  // pinned model (a model target still wins: the single-model baseline)
    std::string policy; // this step's own policy under a policy target
    std::optional<bool> sensitive;
    // An agent step: the suite's [[tools]] it may call (and the suite's [agent] limits), and the
    // dataset field with its golden calls.
    std::vector<std::string> tools;
    std::string trajectory;
    std::shared_ptr<const AgentSpec> agent;
    Location where;
    std::string key; // "steps[2]"
    std::map<std::string, Location> key_where; // model, policy: for errors found with providers.toml
};

struct Suite {
    std::string name;
    std::string description;
    std::string type;
    std::vector<std::string> tags;
    std::string path;         // the suite file
    std::string dataset_path; // resolved against the suite file's folder
    std::string reference;    // dataset field with the reference answer
    nlohmann::json choices = nlohmann::json::array();
    double threshold = 1.0;
    bool sensitive = false;
    PromptSpec prompt;
    GenParams params;
    std::vector<EvaluatorSpec> evaluators;
    std::vector<StepSpec> steps; // a workflow when not empty, in an order where needs come first
    std::size_t final_step = 0;  // whose output the suite's evaluators score
    // An agent suite ([agent], [[tools]]) when set; in a workflow, the tools its agent steps call.
    std::shared_ptr<const AgentSpec> agent;
    // A conversation suite ([context]): each row a long thread, compacted before the answer.
    std::shared_ptr<const ContextSpec> context;
    std::string content_hash;    // sha256 over suite file + dataset file
    Location where;
};

// One step of one row: the suite's step with the row's override applied and its evaluators
// rendered over the row. Prompts stay templates until the step's inputs are known.
struct StepTask {
    std::string id;
    std::string type;
    std::vector<std::string> tags;
    bool sensitive = false;
    double threshold = 1.0;
    PromptSpec prompt;
    GenParams params;
    std::vector<EvaluatorSpec> evaluators;
    nlohmann::json reference;
    nlohmann::json choices;
    std::string model;
    std::string policy;
    std::vector<std::size_t> upstream;
    std::shared_ptr<const AgentSpec> agent; // an agent step: its tools and limits
    nlohmann::json trajectory;              // its golden calls as turns, when the suite names a field
    // A context_length error comes back to the task (which compacts and retries on the same
    // model) instead of a policy moving on to a model with a larger window.
    bool compact_on_overflow = false;
};

// One dataset row resolved against its suite: rendered messages and evaluator parameters.
struct Task {
    std::string suite;
    std::string id;
    std::string type;
    std::vector<std::string> tags;
    double difficulty = 0.5;
    double threshold = 1.0;
    bool sensitive = false;
    std::vector<Message> messages;
    GenParams params;
    std::vector<EvaluatorSpec> evaluators;
    nlohmann::json reference;
    nlohmann::json choices;
    Location where; // dataset file and line
    std::vector<StepTask> steps; // a workflow's steps, in the suite's order
    std::size_t final_step = 0;
    nlohmann::json vars;         // a workflow's row: what its step templates render over
    std::shared_ptr<const AgentSpec> agent; // an agent task: its tools and limits
    // An agent task's golden calls as turns: [[{name, arguments}, ...], ...]; null when the suite
    // names no trajectory field.
    nlohmann::json trajectory;
    // A conversation task: its [context], and the row's thread (the earlier messages, before
    // `messages`, the final request), session and facts.
    std::shared_ptr<const ContextSpec> context;
    std::shared_ptr<const Conversation> conversation;
};

// A workflow template's reference to another step: {{steps.ID.output}}, {{steps.ID.json}} or
// {{steps.ID.json.a.b}}.
struct StepRef {
    std::string step;
    bool json = false;
    std::string path; // inside the JSON output ("a.b"); empty for all of it
};
// Parses a template variable starting "steps."; nullopt otherwise. `error` says what is wrong
// with one that starts "steps." but has the wrong shape.
std::optional<StepRef> parse_step_ref(const std::string& var, std::string& error);

// A step's messages with the row and its inputs: `outputs` maps step ids to
// {"output": text, "json": parsed output (when it is JSON)}. Variables that are still missing
// (an input without that field) are left in place and listed in `missing`.
// What a step's templates would insert had every step upstream answered its reference: the
// simulated fleet's test of whether a step's inputs are right. Steps without a reference
// contribute nothing.
std::vector<std::string> expected_step_inputs(const Task& task, const StepTask& step);

std::vector<Message> render_step(const Task& task, const StepTask& step, const nlohmann::json& outputs,
                                 std::vector<std::string>& missing);

// Loads and checks a suite file (not its rows); throws orch::Error(config) listing every problem.
Suite load_suite(const std::string& path);
// Every *.toml under a folder (sorted), or the file itself.
std::vector<std::string> suite_files(const std::string& path);

// Streams a suite's dataset row by row, so memory does not grow with the dataset.
class DatasetReader {
  public:
    explicit DatasetReader(const Suite& suite);
    DatasetReader(const DatasetReader&) = delete;
    DatasetReader& operator=(const DatasetReader&) = delete;
    // Reads the next row into `task`; returns false at the end. A row with problems is
    // recorded in `problems` (located at file:line) and skipped.
    bool next(Task& task, Problems& problems);

  private:
    bool next_line(std::string& line, int& line_no);
    nlohmann::json next_csv_record(bool& ok, int& line_no, Problems& problems);
    bool resolve(const nlohmann::json& row, int line_no, Task& task, Problems& problems);

    const Suite& m_suite;
    std::ifstream m_in;
    int m_line = 0;
    bool m_csv = false;
    std::vector<std::string> m_csv_header;
    std::unordered_set<std::string> m_ids;
};

// One row resolved against its suite as the dataset reader resolves it (without its check for
// duplicate ids): for a row from elsewhere, such as `orch route --workflow FILE --var k=v`.
// Returns false when it added a problem.
bool resolve_row(const Suite& suite, const nlohmann::json& row, const Location& where, Task& task,
                 Problems& problems);

// Reads every row of a suite, recording problems; returns the number of rows that resolved.
std::size_t check_dataset(const Suite& suite, Problems& problems);

} // namespace orch::config
