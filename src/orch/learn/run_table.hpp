#pragma once
// A recorded run as a table to learn from: one row per prompt, one column per model, with
// each model's score (mean over repeats), cost and output. Prompts come from the import's
// side file (imported_prompts.hpp); runs without one (orch bench) have empty prompts.
#include <orch/store/store.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace orch::learn {

struct ModelOutcome {
    double score = 0;    // mean over scored repeats, 0..1
    double cost_usd = 0; // mean over scored repeats
    std::string output;  // the first repeat's output
    int repeats = 0;
};

struct Example {
    std::string suite;
    std::string task_id;
    std::string task_type;
    std::string prompt;
    std::map<std::string, ModelOutcome> outcomes; // by model name; scored results only
};

struct RunTable {
    std::int64_t run_id = 0;
    std::vector<std::string> models; // sorted
    std::vector<Example> examples;   // sorted by suite, then task id
    std::string prompts_path;        // "" when the run has no recorded prompts
};

// Throws orch::Error(config) when the run does not exist or its prompt file is malformed.
// db_path locates <db>.imports/ when the run's recorded path has moved.
RunTable load_run_table(store::Store& store, std::int64_t run_id, const std::string& db_path);

} // namespace orch::learn
