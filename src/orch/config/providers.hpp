#pragma once
// providers.toml: where models live (providers), what they cost and can do (models).
#include <orch/config/policy.hpp>
#include <orch/config/problems.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orch::config {

struct ProviderConfig {
    std::string name;
    std::string protocol;    // openai | anthropic | sim | command | replay
    std::string base_url;    // openai, anthropic
    std::string api_key_env; // the NAME of the environment variable holding the key
    std::string tier = "cloud";        // cloud | local
    std::string privacy = "external";  // external | private
    std::int64_t max_concurrency = 16;
    double rpm = 0; // requests per minute, 0 = unlimited
    double tpm = 0; // tokens per minute, 0 = unlimited
    double timeout_s = 60;
    double connect_timeout_s = 10;
    double first_byte_timeout_s = 30;
    std::int64_t max_retries = 3;
    bool stream = false;
    std::map<std::string, std::string> headers;
    std::vector<std::string> command; // argv for protocol "command"
    std::string source;               // protocol "replay": recorded outcomes (config/recorded.hpp)
    Location where;

    bool is_private() const { return privacy == "private"; }
};

// How a simulated model behaves (protocol "sim" providers only).
struct SimProfile {
    double latency_ms = 800;   // median total latency for a short answer
    double latency_sigma = 0.3; // lognormal spread
    double ttft_ms = 300;
    double tokens_per_s = 80;
    double failure_rate = 0.0; // chance of a transient server error per call
    double default_skill = 0.7;
    // As a judge: the chance of an unreadable reply, of preferring position A whatever the
    // outputs, and the spread of its scores (points on a 1-10 scale).
    double judge_error_rate = 0.02;
    double judge_position_bias = 0.0;
    double judge_noise = 0.8;
    // Its tokenizer: how many characters make a token (a denser tokenizer has fewer). The
    // tokens it reports, and counts against its context window, follow it.
    double chars_per_token = 4;
    std::map<std::string, double> skill; // per task type, 0..1
    double skill_for(const std::string& task_type) const;
};

struct ModelConfig {
    std::string name;        // the key under [models]
    std::string provider;
    std::string id;          // the provider's model id
    double input_per_mtok = 0;
    double output_per_mtok = 0;
    std::optional<double> cached_input_per_mtok;
    std::int64_t context_window = 8192;
    std::int64_t max_output_tokens = 4096;
    std::vector<std::string> capabilities;
    std::optional<SimProfile> sim;
    Location where;

    double cost_usd(std::int64_t input_tokens, std::int64_t output_tokens,
                    std::int64_t cached_input_tokens = 0) const;
};

struct ProvidersConfig {
    std::string path;
    std::string content_hash; // sha256 of the file's bytes
    std::vector<ProviderConfig> providers;
    std::vector<ModelConfig> models;
    std::vector<Policy> policies; // [policies.NAME]

    const ProviderConfig* find_provider(const std::string& name) const;
    const ModelConfig* find_model(const std::string& name) const;
    const ProviderConfig& provider_of(const ModelConfig& model) const;
};

// Loads and validates the whole file; throws orch::Error(config) listing every problem.
ProvidersConfig load_providers(const std::string& path);

} // namespace orch::config
