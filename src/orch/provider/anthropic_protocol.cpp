#include <orch/provider/json_fields.hpp>
#include <orch/provider/protocol.hpp>
#include <orch/provider/stream_state.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>

namespace orch::provider {

namespace {

using nlohmann::json;


void add_usage(std::optional<Usage>& usage, const json& u) {
    if (!u.is_object()) {
        return;
    }
    if (!usage) {
        usage = Usage{};
    }
    // Anthropic's input_tokens excludes cache reads and writes; orch counts all input.
    std::int64_t cached = int_of(u, "cache_read_input_tokens");
    std::int64_t created = int_of(u, "cache_creation_input_tokens");
    if (u.contains("input_tokens")) {
        usage->input_tokens = int_of(u, "input_tokens") + cached + created;
        usage->cached_input_tokens = cached;
    }
    if (u.contains("output_tokens")) {
        usage->output_tokens = int_of(u, "output_tokens");
    }
}

class AnthropicStream : public StreamState {
  public:
    AnthropicStream() : StreamState("message_stop") {}
    void on_event(const SseEvent& event) override {
        json j = json::parse(event.data, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            m_error = "malformed JSON in a stream event";
            return;
        }
        std::string type = str_of(j, "type").empty() ? event.event : str_of(j, "type");
        if (type == "message_start" && j.contains("message") && j["message"].is_object() &&
            j["message"].contains("usage")) {
            add_usage(m_usage, j["message"]["usage"]);
        } else if (type == "content_block_start" && j.contains("content_block")) {
            const json& b = j["content_block"];
            if (str_of(b, "type") == "tool_use") {
                m_tools.begin(int_of(j, "index"), str_of(b, "id"), str_of(b, "name"));
            }
        } else if (type == "content_block_delta" && j.contains("delta")) {
            const json& d = j["delta"];
            if (str_of(d, "type") == "text_delta" && d.contains("text") && d["text"].is_string()) {
                m_text += d["text"].get<std::string>();
            } else if (str_of(d, "type") == "input_json_delta") {
                m_tools.append(int_of(j, "index"), str_of(d, "partial_json"));
            }
        } else if (type == "message_delta") {
            if (j.contains("usage")) {
                add_usage(m_usage, j["usage"]);
            }
            if (j.contains("delta") && str_of(j["delta"], "stop_reason") == "refusal") {
                m_refused = true;
            }
        } else if (type == "message_stop") {
            m_done = true;
        } else if (type == "error") {
            on_error_payload(j.contains("error") ? j["error"] : json());
        }
    }
};

class AnthropicProtocol : public Protocol {
  public:
    http::HttpRequest build(const config::ProviderConfig& provider, const config::ModelConfig& model,
                            const Request& request, bool stream, const std::string& api_key) const override {
        json body = {{"model", model.id}};
        std::string system;
        json messages = json::array();
        for (const auto& m : request.messages) {
            if (m.role == "system") {
                system += (system.empty() ? "" : "\n\n") + m.content;
            } else if (m.role == "tool") {
                // Tool results are content blocks of a user turn; results in a row share one.
                json block = {{"type", "tool_result"}, {"tool_use_id", m.tool_call_id}, {"content", m.content}};
                if (m.is_error) {
                    block["is_error"] = true;
                }
                if (messages.empty() || messages.back()["role"] != "user" || !messages.back()["content"].is_array()) {
                    messages.push_back({{"role", "user"}, {"content", json::array()}});
                }
                messages.back()["content"].push_back(std::move(block));
            } else if (!m.tool_calls.empty()) {
                json blocks = json::array();
                if (!m.content.empty()) {
                    blocks.push_back({{"type", "text"}, {"text", m.content}});
                }
                for (const auto& c : m.tool_calls) {
                    // The API takes the input as an object: arguments that were not one go as {}.
                    json input = json::parse(c.arguments, nullptr, false);
                    blocks.push_back({{"type", "tool_use"},
                                      {"id", c.id},
                                      {"name", c.name},
                                      {"input", input.is_object() ? input : json::object()}});
                }
                messages.push_back({{"role", m.role}, {"content", std::move(blocks)}});
            } else {
                messages.push_back({{"role", m.role}, {"content", m.content}});
            }
        }
        if (!system.empty()) {
            body["system"] = system;
        }
        body["messages"] = std::move(messages);
        if (!request.tools.empty()) {
            json tools = json::array();
            for (const auto& t : request.tools) {
                tools.push_back({{"name", t.name}, {"description", t.description}, {"input_schema", t.parameters}});
            }
            body["tools"] = std::move(tools);
        }
        // The Messages API requires max_tokens.
        body["max_tokens"] = request.params.max_tokens.value_or(model.max_output_tokens);
        if (request.params.temperature) {
            body["temperature"] = *request.params.temperature;
        }
        if (request.params.top_p) {
            body["top_p"] = *request.params.top_p;
        }
        if (stream) {
            body["stream"] = true;
        }
        http::HttpRequest r;
        std::string base = provider.base_url;
        if (!base.empty() && base.back() == '/') {
            base.pop_back();
        }
        r.url = base + (base.size() >= 3 && base.compare(base.size() - 3, 3, "/v1") == 0 ? "/messages" : "/v1/messages");
        r.headers.emplace_back("Content-Type", "application/json");
        if (!api_key.empty()) {
            r.headers.emplace_back("x-api-key", api_key);
        }
        if (provider.headers.count("anthropic-version") == 0) {
            r.headers.emplace_back("anthropic-version", "2023-06-01");
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
        if (!j.contains("content") || !j["content"].is_array()) {
            r.error = "reply has no content";
            return r;
        }
        for (const auto& block : j["content"]) {
            if (block.is_object() && str_of(block, "type") == "text" && block.contains("text") &&
                block["text"].is_string()) {
                r.text += block["text"].get<std::string>();
            } else if (block.is_object() && str_of(block, "type") == "tool_use") {
                const json input = block.contains("input") ? block["input"] : json::object();
                r.tool_calls.push_back(
                    ToolCall{str_of(block, "id"), str_of(block, "name"), input.is_string() ? input.get<std::string>() : input.dump()});
            }
        }

        if (str_of(j, "stop_reason") == "refusal") {
            r.refused = true;
        }
        if (j.contains("usage")) {
            add_usage(r.usage, j["usage"]);
        }
        return settle(std::move(r));
    }

    std::unique_ptr<StreamDecoder> stream_decoder() const override { return std::make_unique<AnthropicStream>(); }
};

} // namespace

std::unique_ptr<Protocol> make_anthropic_protocol() { return std::make_unique<AnthropicProtocol>(); }

} // namespace orch::provider
