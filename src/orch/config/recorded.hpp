#pragma once
// Recorded outcomes as JSONL: what models answered to prompts, and how well. The format of
// `orch import jsonl` and the source of a `replay` provider, one prompt a line:
//
//   {"prompt": "...", "task_type": "gsm8k", "id": "q17",
//    "scores": {"gpt-4": 1, "mixtral": 0},             one or more models, each 0..1 or a bool
//    "responses": {"gpt-4": "...", ...},              optional, per model
//    "tokens": {"gpt-4": {"input": 120, "output": 80}}, optional, per model
//    "cost_usd": {"gpt-4": 0.0012}, "latency_ms": {"gpt-4": 840}}   optional, per model
//
// "task_type" defaults to "default"; "id" to a hash of task type and prompt. A repeated id
// gets "#2", "#3", … in file order.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace orch::config {

struct RecordedOutcome {
    std::string model;
    double score = 0;
    std::optional<std::string> response;
    std::optional<std::int64_t> input_tokens;
    std::optional<std::int64_t> output_tokens;
    std::optional<double> cost_usd;
    std::optional<double> latency_ms;
};

struct RecordedPrompt {
    int line = 0; // in the file, from 1
    std::string id;
    std::string task_type;
    std::string prompt;
    std::vector<RecordedOutcome> outcomes;
};

struct RecordedFile {
    std::string path;
    std::string content_sha256;
    std::vector<RecordedPrompt> prompts;
    std::vector<std::string> models; // in first-seen order
};

// Reads and checks the whole file; throws orch::Error(config) listing every problem
// ("file:line: scores.gpt-4: expected a score from 0 to 1, got 7"), at most 20.
RecordedFile read_recorded_jsonl(const std::string& path);

// One prompt as a line of the same format (with its id), newline included.
void write_recorded_line(std::ostream& out, const RecordedPrompt& prompt);

} // namespace orch::config
