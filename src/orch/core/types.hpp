#pragma once
// The shared vocabulary: messages, requests, completions, usage and provider errors.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace orch {

// One call an assistant asked for. `arguments` is the JSON text as the model wrote it, which
// may not be JSON at all: the agent loop checks it, the wire formats carry it as it came.
struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;
};

struct Message {
    std::string role; // system | user | assistant | tool
    std::string content;
    std::vector<ToolCall> tool_calls = {}; // an assistant's calls
    std::string tool_call_id = {};        // a tool message: the call it answers
    bool is_error = false;                // a tool message reporting that the call failed
};

// A tool offered to the model: its name, what it does, and a JSON schema of its arguments.
struct ToolSpec {
    std::string name;
    std::string description;
    nlohmann::json parameters = nlohmann::json::object();
};

struct GenParams {
    std::optional<double> temperature;
    std::optional<std::int64_t> max_tokens;
    std::optional<double> top_p;
};

// What the simulated fleet needs to play a model that "knows" the task: the task type,
// the reference answer and the answer space. Real providers never see it.
struct SimHint {
    std::string task_type;
    nlohmann::json reference;
    nlohmann::json choices = nlohmann::json::array();
    double difficulty = 0.5;
    // A workflow step's inputs as they would read had the steps upstream been right: the
    // simulated model answers worse for each one its prompt does not contain.
    std::vector<std::string> expected_inputs = {};
    // An agent task's golden trajectory: {"calls": [[{name, arguments}, ...], ...]} (each inner
    // list one turn's calls, made together), null for other tasks.
    nlohmann::json agent = nullptr;
    // A conversation's answer: right only when every expected input is still in its context.
    bool needs_every_input = false;
};

struct Request {
    std::vector<Message> messages;
    GenParams params;
    std::string task_type;
    // Stable identity of the unit of work (suite, task, repeat): seeds the simulated fleet.
    std::string key;
    std::uint64_t seed = 0;
    // Overrides the provider's max_retries (a fallback chain may prefer to move on).
    std::optional<std::int64_t> max_retries;
    std::optional<SimHint> sim_hint;
    std::vector<ToolSpec> tools; // offered to the model (an agent's turn)
};

struct Usage {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cached_input_tokens = 0;
    bool estimated = false; // true when the provider did not report usage
};

struct Completion {
    std::string text;
    std::vector<ToolCall> tool_calls; // what the model asked to call (an agent's turn)
    Usage usage;
    double cost_usd = 0;
    double latency_ms = 0;
    std::optional<double> ttft_ms;
    std::string model;         // the model name in providers.toml
    std::string provider_model; // the provider's id for it
    bool simulated = false;
    bool cached = false; // served from the response cache: no provider call was made
    int retries = 0;
    std::optional<double> recorded_score; // replayed from recorded outcomes: what it scored then
};

enum class ProviderErrorKind {
    rate_limited,
    server,
    timeout,
    transport,
    context_length,
    auth,
    bad_response,
    refused, // the provider or a policy declined the request
};

std::string to_string(ProviderErrorKind kind);
bool is_retryable(ProviderErrorKind kind);

struct ProviderError {
    ProviderErrorKind kind = ProviderErrorKind::server;
    std::string message;
    int http_status = 0;
    std::optional<double> retry_after_s;
    double latency_ms = 0;
    int retries = 0;
};

// Rough token estimate for text when a provider does not report usage (~4 chars a token; a
// tokenizer that packs fewer characters a token gives more), and for messages: their text plus
// k_framing_tokens of role and framing for each message and each tool call.
inline constexpr std::int64_t k_framing_tokens = 4;
std::int64_t estimate_tokens(const std::string& text, double chars_per_token = 4);
std::int64_t estimate_tokens(const std::vector<Message>& messages, double chars_per_token = 4);

} // namespace orch
