#pragma once
// The simulated fleet (SPEC §6): plays a model from its profile in providers.toml.
// Deterministic: the same model, request key and seed give the same answer, tokens and
// latency on every run and machine.
#include <orch/config/providers.hpp>
#include <orch/core/types.hpp>

#include <string>

namespace orch::sim {

struct SimAnswer {
    bool failed = false; // a transient failure (a simulated 503)
    ProviderErrorKind failure = ProviderErrorKind::server;
    std::string failure_message;
    std::string text;
    std::vector<ToolCall> tool_calls; // an agent's turn: the calls it asks for (text then empty)
    bool correct = false; // whether the simulated model "knew" the answer
    Usage usage;
    double latency_ms = 0;
    double ttft_ms = 0;
};

// Plays `model` answering `request`. `attempt` (0 for the first try) varies transient
// failures between retries while the answer itself stays the same.
SimAnswer simulate(const config::ModelConfig& model, const Request& request, int attempt = 0);

// The chance that `model` answers a task of this type and difficulty correctly.
double p_correct(const config::SimProfile& profile, const std::string& task_type, double difficulty);

} // namespace orch::sim
