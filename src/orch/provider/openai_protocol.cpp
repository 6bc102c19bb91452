#include <orch/provider/json_fields.hpp>
#include <orch/provider/protocol.hpp>
#include <orch/provider/stream_state.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>

namespace orch::provider {

namespace {

using nlohmann::json;


std::optional<Usage> usage_from(const json& u) {
    if (!u.is_object() || !u.contains("prompt_tokens")) {
        return std::nullopt;
    }
    Usage usage;
    usage.input_tokens = int_of(u, "prompt_tokens");
    usage.output_tokens = int_of(u, "completion_tokens");
    if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object()) {
        usage.cached_input_tokens = int_of(u["prompt_tokens_details"], "cached_tokens");
    }
    return usage;
}

std::string url_join(const std::string& base, const std::string& path) {
    if (!base.empty() && base.back() == '/') {
        return base.substr(0, base.size() - 1) + path;
    }
    return base + path;
}

class OpenAiStream : public StreamState {
  public:
    OpenAiStream() : StreamState("[DONE]") {}
    void on_event(const SseEvent& event) override {
        if (event.data == "[DONE]") {
            m_done = true;
            return;
        }
        json j = json::parse(event.data, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            m_error = "malformed JSON in a stream event";
            return;
        }
        if (j.contains("error")) {
            on_error_payload(j["error"]);
            return;
        }
        if (j.contains("usage") && !j["usage"].is_null()) {
            m_usage = usage_from(j["usage"]);
        }
        if (j.contains("choices") && j["choices"].is_array() && !j["choices"].empty()) {
            const json& c = j["choices"][0];
            if (c.contains("delta") && c["delta"].is_object()) {
                const json& d = c["delta"];
                if (d.contains("content") && d["content"].is_string()) {
                    m_text += d["content"].get<std::string>();
                }
                if (d.contains("tool_calls") && d["tool_calls"].is_array()) {
                    // Each delta names its call by index; the id and name come first, then
                    // the arguments in pieces.
                    for (const auto& t : d["tool_calls"]) {
                        std::int64_t index = int_of(t, "index");
                        const json fn = t.is_object() && t.contains("function") ? t["function"] : json();
                        m_tools.begin(index, str_of(t, "id"), str_of(fn, "name"));
                        m_tools.append(index, str_of(fn, "arguments"));
                    }
                }
            }
            if (c.contains("finish_reason") && c["finish_reason"] == "content_filter") {
                m_refused = true;
            }
        }
    }
};

class OpenAiProtocol : public Protocol {
  public:
    http::HttpRequest build(const config::ProviderConfig& provider, const config::ModelConfig& model,
                            const Request& request, bool stream, const std::string& api_key) const override {
        json body = {{"model", model.id}};
        json messages = json::array();
        for (const auto& m : request.messages) {
            json msg = {{"role", m.role}, {"content", m.content}};
            if (!m.tool_calls.empty()) {
                json calls = json::array();
                for (const auto& c : m.tool_calls) {
                    calls.push_back({{"id", c.id},
                                     {"type", "function"},
                                     {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
                }
                msg["tool_calls"] = std::move(calls);
                if (m.content.empty()) {
                    msg["content"] = nullptr;
                }
            }
            if (m.role == "tool") {
                msg["tool_call_id"] = m.tool_call_id;
            }
            messages.push_back(std::move(msg));
        }
        body["messages"] = std::move(messages);
        if (!request.tools.empty()) {
            json tools = json::array();
            for (const auto& t : request.tools) {
                tools.push_back({{"type", "function"},
                                 {"function",
                                  {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
            }
            body["tools"] = std::move(tools);
        }
        if (request.params.temperature) {
            body["temperature"] = *request.params.temperature;
        }
        if (request.params.top_p) {
            body["top_p"] = *request.params.top_p;
        }
        if (request.params.max_tokens) {
            body["max_tokens"] = *request.params.max_tokens;
        }
        if (request.seed != 0) {
            body["seed"] = request.seed % 2147483647ULL;
        }
        if (stream) {
            body["stream"] = true;
            body["stream_options"] = {{"include_usage", true}};
        }
        http::HttpRequest r;
        r.url = url_join(provider.base_url, "/chat/completions");
        r.headers.emplace_back("Content-Type", "application/json");
        if (!api_key.empty()) {
            r.headers.emplace_back("Authorization", "Bearer " + api_key);
        }
        for (const auto& [k, v] : provider.headers) {
            r.headers.emplace_back(k, v);
        }
        r.body = body.dump();
        return r;
    }

    Reply parse(std::string_view body) const override {
        Reply r;
        json j = json::parse(body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            r.error = fmt::format("malformed JSON reply: {}", util::truncate(body, 120));
            return r;
        }
        if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) {
            r.error = "reply has no choices";
            return r;
        }
        const json& c = j["choices"][0];
        if (c.contains("message") && c["message"].is_object()) {
            const json& m = c["message"];
            if (m.contains("content") && m["content"].is_string()) {
                r.text = m["content"].get<std::string>();
            }
            if (m.contains("tool_calls") && m["tool_calls"].is_array() && !m["tool_calls"].empty()) {
                for (const auto& t : m["tool_calls"]) {
                    const json fn = t.is_object() && t.contains("function") ? t["function"] : json();
                    // Arguments are a JSON string; a model that wrote an object gets it as text.
                    std::string arguments = str_of(fn, "arguments");
                    if (fn.is_object() && fn.contains("arguments") && fn["arguments"].is_object()) {
                        arguments = fn["arguments"].dump();
                    }
                    r.tool_calls.push_back(ToolCall{str_of(t, "id"), str_of(fn, "name"), arguments});
                }
            }
            if (m.contains("refusal") && m["refusal"].is_string()) {
                r.refused = true;
                r.text = m["refusal"].get<std::string>();
            }
        }
        if (c.contains("finish_reason") && c["finish_reason"] == "content_filter") {
            r.refused = true;
        }
        r.usage = j.contains("usage") ? usage_from(j["usage"]) : std::nullopt;
        return settle(std::move(r));
    }

    std::unique_ptr<StreamDecoder> stream_decoder() const override { return std::make_unique<OpenAiStream>(); }
};

} // namespace

std::unique_ptr<Protocol> make_openai_protocol() { return std::make_unique<OpenAiProtocol>(); }

std::string error_code_of(const nlohmann::json& error) {
    if (error.is_object()) {
        for (const char* key : {"code", "type"}) {
            if (error.contains(key) && error[key].is_string()) {
                return error[key].get<std::string>();
            }
        }
    }
    return "";
}

bool is_context_length_error(std::string_view body) {
    std::string lower = util::to_lower(body);
    for (const char* marker : {"context_length_exceeded", "exceed_context_size", "maximum context length",
                               "prompt is too long", "context window", "too many tokens",
                               "input is too long", "context length"}) {
        if (lower.find(marker) != std::string::npos) {
            return true;
        }
    }
    return false;
}

} // namespace orch::provider
