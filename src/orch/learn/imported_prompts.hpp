#pragma once
// The prompts of an import. The results table records outputs but not prompts, and routers
// learn from prompt text, so `orch import` keeps them in a JSONL file beside the database:
// <db>.imports/<run_id>.jsonl, one {"suite", "task_id", "task_type", "prompt"} object a line.
// The run's suites JSON names the file under the key "prompts".
#include <cstdint>
#include <string>
#include <vector>

namespace orch::learn {

struct ImportedPrompt {
    std::string suite;
    std::string task_id;
    std::string task_type;
    std::string prompt;
};

inline constexpr const char* k_prompts_key = "prompts"; // the key in runs.suites

std::string imported_prompts_path(const std::string& db_path, std::int64_t run_id);

// Creates the folder if needed; throws orch::Error(config) when the file cannot be written.
void write_imported_prompts(const std::string& path, const std::vector<ImportedPrompt>& prompts);

// Throws orch::Error(config) "PATH:LINE: …" on a malformed line, or when the file is missing.
std::vector<ImportedPrompt> read_imported_prompts(const std::string& path);

} // namespace orch::learn
