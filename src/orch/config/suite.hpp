#pragma once
// Suites (tasks/*.toml) and the golden datasets they read (JSONL, OpenAI-evals JSONL, CSV).
#include <orch/config/problems.hpp>
#include <orch/core/types.hpp>

#include <fstream>
#include <map>
#include <unordered_set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace orch::config {

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
    std::string content_hash; // sha256 over suite file + dataset file
    Location where;
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
};

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

// Reads every row of a suite, recording problems; returns the number of rows that resolved.
std::size_t check_dataset(const Suite& suite, Problems& problems);

} // namespace orch::config
