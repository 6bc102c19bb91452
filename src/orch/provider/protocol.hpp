#pragma once
// A wire protocol (OpenAI chat completions, Anthropic Messages): how to build a request
// and read a reply, whole or streamed. Pure functions of their inputs, so they are
// tested and fuzzed without a network.
#include <orch/config/providers.hpp>
#include <orch/core/types.hpp>
#include <orch/http/client.hpp>
#include <orch/provider/sse.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace orch::provider {

// What a reply said, before pricing.
struct Reply {
    bool ok = false;
    std::string text;
    std::vector<ToolCall> tool_calls; // in the order the model wrote them
    std::optional<Usage> usage; // nullopt when the provider did not report it
    std::string error; // why the reply is unusable (malformed JSON, empty answer...)
    bool refused = false; // the provider declined (content filter / refusal stop reason)
    // For an error the provider sent inside a stream (HTTP 200, then an error event): its own
    // code or type ("rate_limit_exceeded", "overloaded_error"...), so it is classified as the
    // same error sent as an HTTP status would be; "" otherwise.
    std::string error_code;
    // A stream that stopped before its terminator with no error of its own (the connection
    // closed or was reset mid-answer): a transport failure, retried like a reset.
    bool cut = false;
};

class StreamDecoder {
  public:
    virtual ~StreamDecoder() = default;
    virtual void on_event(const SseEvent& event) = 0;
    // Whether the protocol's end-of-stream marker arrived.
    virtual bool complete() const = 0;
    // The reply so far; after the stream ended without its marker, an error reply that
    // keeps the partial text.
    virtual Reply reply() const = 0;
    // Text received so far (for time to first token).
    virtual bool has_text() const = 0;
};

class Protocol {
  public:
    virtual ~Protocol() = default;
    virtual http::HttpRequest build(const config::ProviderConfig& provider, const config::ModelConfig& model,
                                    const Request& request, bool stream, const std::string& api_key) const = 0;
    virtual Reply parse(std::string_view body) const = 0;
    virtual std::unique_ptr<StreamDecoder> stream_decoder() const = 0;
};

std::unique_ptr<Protocol> make_openai_protocol();
std::unique_ptr<Protocol> make_anthropic_protocol();

// Whether an error body says the input is over the model's context window (OpenAI's
// context_length_exceeded, llama.cpp's exceed_context_size_error, Anthropic's "prompt is
// too long", and similar wordings).
bool is_context_length_error(std::string_view body);

// A provider's own code for an error object: its `code`, else its `type` (OpenAI sends both,
// `type` the broader; Anthropic only `type`); "" when neither is a string.
std::string error_code_of(const nlohmann::json& error);

} // namespace orch::provider
