#pragma once
// `orch providers check`: one small call to each provider, at once, to show whether it is
// reachable, accepts the key and how fast it answers, before a bench depends on it.
#include <orch/config/providers.hpp>

#include <optional>
#include <string>
#include <vector>

namespace orch::provider {

struct CheckResult {
    std::string provider;
    std::string protocol;
    std::string model;     // the model called: the provider's cheapest ("" when it has none)
    bool ok = false;
    bool unused = false;    // no model names this provider: not called, a warning, not a failure
    std::string error_kind; // rate_limited | server | timeout | transport | auth | ... ("" when ok)
    std::string message;    // the error, or the start of the answer
    double latency_ms = 0;
    std::optional<double> ttft_ms;
    double cost_usd = 0;
    bool simulated = false;
};

// Calls the cheapest model of each provider named in `only` (every provider when empty) once,
// concurrently, without retries: the answer a user gets is what the provider does now. Results
// in providers.toml order. A provider no model uses is not called (CheckResult::unused). Throws orch::Error(config) for a name in `only` that is no provider.
std::vector<CheckResult> check_providers(const config::ProvidersConfig& cfg,
                                         const std::vector<std::string>& only);

} // namespace orch::provider
