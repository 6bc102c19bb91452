#pragma once
// `orch import ... --replay-dir DIR`: what `orch bench` and `orch diff` need to run policies
// over the imported outcomes at no cost, written as ordinary files a user can read and edit:
//
//   DIR/recorded.jsonl    every prompt with each model's recorded answer, score, tokens and
//                         cost (config/recorded.hpp), the source of the replay provider
//   DIR/providers.toml    a `replay` provider over it, each model with its price, and policies
//                         to compare against: `only-<model>` for each model, `split-even`
//   DIR/suites/<suite>.toml    a suite per imported suite: the prompt as the user message, the
//   DIR/suites/<suite>.jsonl   task type per row, scored by the `recorded` evaluator (threshold 1)
//
// Then: orch --providers DIR/providers.toml diff policy:only-<strong> learned.toml -s DIR/suites
#include <orch/learn/import.hpp>

#include <string>
#include <vector>

namespace orch::learn {

// Creates DIR when needed; throws orch::Error(config) when it cannot be written.
void check_replay_dir(const std::string& dir);

// Writes the files above; returns their paths. Throws orch::Error(config) on a write failure.
std::vector<std::string> write_replay_dir(const ImportBatch& batch, const ImportOutcome& imported,
                                          const ImportOptions& options, const std::string& dir);

} // namespace orch::learn
