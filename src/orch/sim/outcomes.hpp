#pragma once
// Recorded outcomes of N simulated models, for learned routing where the right answer is known:
// the rows `orch import jsonl` reads ({"id", "task_type", "prompt", "scores", "cost_usd"}).
//
// Four task types (math, extract, chat, code) and up to six model profiles, each with a price
// per call and a skill per task type. Prompts are words; the word "proof" makes a math prompt
// hard (only the strongest models pass it) and "table" makes an extract prompt easy for the
// cheap specialist. The profile "specialist" is both cheaper and better than every other model
// on extract prompts: a router must find that slice. Scores are pass/fail, drawn from
// sigmoid(skill − hardness); with `equal`, every model gets the same score on a prompt (drawn
// once), so no routing can beat the cheapest model, and costs still differ.
#include <cstdint>
#include <string>
#include <vector>

namespace orch::sim {

struct OutcomeOptions {
    std::size_t prompts = 2000;
    int models = 4; // 2..6: frontier, mid, small, specialist, local, budget
    std::uint64_t seed = 1;
    bool equal = false;
};

// The model names, in order, for `models` profiles.
std::vector<std::string> outcome_models(int models);
// One JSON object per line, each ending with a newline. Deterministic for the options.
std::vector<std::string> generate_outcomes(const OutcomeOptions& options);

} // namespace orch::sim
