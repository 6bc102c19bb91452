// Tool calling on the two wire formats: tools and a conversation's tool calls and results
// written as each API wants them, and replies read back, whole and streamed (OpenAI's
// tool-call deltas assembled by index, Anthropic's input_json_delta pieces by block).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <orch/provider/protocol.hpp>

using nlohmann::json;
using orch::provider::SseEvent;

namespace {

orch::Request agent_request() {
    orch::Request r;
    r.messages.push_back({"system", "You are a support agent."});
    r.messages.push_back({"user", "Where are O-1 and O-2?"});
    orch::Message calls{"assistant", ""};
    calls.tool_calls = {{"call_1", "lookup_order", R"({"order_id":"O-1"})"}, {"call_2", "lookup_order", R"({"order_id":"O-2"})"}};
    r.messages.push_back(calls);
    orch::Message first{"tool", R"({"status":"shipped"})"};
    first.tool_call_id = "call_1";
    orch::Message second{"tool", "error: no order with that id"};
    second.tool_call_id = "call_2";
    second.is_error = true;
    r.messages.push_back(first);
    r.messages.push_back(second);
    r.tools.push_back({"lookup_order", "Looks an order up",
                       json{{"type", "object"}, {"properties", {{"order_id", {{"type", "string"}}}}}}});
    return r;
}

json built(const orch::provider::Protocol& p, const orch::Request& r, bool stream = false) {
    orch::config::ProviderConfig provider;
    provider.base_url = "http://127.0.0.1:1/v1";
    orch::config::ModelConfig model;
    model.id = "m";
    return json::parse(p.build(provider, model, r, stream, "").body);
}

} // namespace

TEST_CASE("provider::OpenAI tools: offered as functions, calls and results in the conversation") {
    json body = built(*orch::provider::make_openai_protocol(), agent_request());
    CHECK(body["tools"][0]["type"] == "function");
    CHECK(body["tools"][0]["function"]["name"] == "lookup_order");
    CHECK(body["tools"][0]["function"]["parameters"]["properties"]["order_id"]["type"] == "string");
    const json& assistant = body["messages"][2];
    CHECK(assistant["content"].is_null());
    CHECK(assistant["tool_calls"].size() == 2);
    CHECK(assistant["tool_calls"][1]["id"] == "call_2");
    CHECK(assistant["tool_calls"][1]["function"]["arguments"] == R"({"order_id":"O-2"})"); // a JSON string
    CHECK(body["messages"][3]["role"] == "tool");
    CHECK(body["messages"][3]["tool_call_id"] == "call_1");
    CHECK(body["messages"][4]["tool_call_id"] == "call_2");
}

TEST_CASE("provider::Anthropic tools: input_schema, tool_use blocks, results merged into one user turn") {
    json body = built(*orch::provider::make_anthropic_protocol(), agent_request());
    CHECK(body["system"] == "You are a support agent.");
    CHECK(body["tools"][0]["name"] == "lookup_order");
    CHECK(body["tools"][0]["input_schema"]["type"] == "object");
    REQUIRE(body["messages"].size() == 3); // user, assistant, user (both results)
    const json& uses = body["messages"][1]["content"];
    CHECK(uses[0]["type"] == "tool_use");
    CHECK(uses[1]["input"] == json{{"order_id", "O-2"}}); // an object, not a string
    const json& results = body["messages"][2]["content"];
    CHECK(body["messages"][2]["role"] == "user");
    REQUIRE(results.size() == 2);
    CHECK(results[0]["type"] == "tool_result");
    CHECK(results[0]["tool_use_id"] == "call_1");
    CHECK_FALSE(results[0].contains("is_error"));
    CHECK(results[1]["is_error"] == true);
}

TEST_CASE("provider::OpenAI replies with tool calls, whole and streamed by index") {
    auto p = orch::provider::make_openai_protocol();
    SUBCASE("whole") {
        auto r = p->parse(R"({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[
            {"id":"call_a","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\":\"O-1\"}"}},
            {"id":"call_b","type":"function","function":{"name":"escalate","arguments":"{\"order_id\":"}}]},
            "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5}})");
        REQUIRE(r.ok);
        CHECK(r.text.empty());
        REQUIRE(r.tool_calls.size() == 2);
        CHECK(r.tool_calls[0].id == "call_a");
        CHECK(r.tool_calls[0].arguments == R"({"order_id":"O-1"})");
        CHECK(r.tool_calls[1].arguments == R"({"order_id":)"); // kept as sent: the loop says it is not JSON
    }
    SUBCASE("streamed: two calls interleaved, assembled by index") {
        auto d = p->stream_decoder();
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{"role":"assistant","content":null}}]})"});
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"lookup_order","arguments":""}}]}}]})"});
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"lookup_order","arguments":"{\"order"}}]}}]})"});
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"order_id\":"}}]}}]})"});
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"_id\":\"O-2\"}"}}]}}]})"});
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"O-1\"}"}}]}}]})"});
        CHECK(d->has_text()); // a call's first delta counts as the first token
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{},"finish_reason":"tool_calls"}]})"});
        d->on_event(SseEvent{"", "[DONE]"});
        auto r = d->reply();
        REQUIRE(r.ok);
        REQUIRE(r.tool_calls.size() == 2);
        CHECK(r.tool_calls[0].id == "call_a");
        CHECK(r.tool_calls[0].arguments == R"({"order_id":"O-1"})");
        CHECK(r.tool_calls[1].name == "lookup_order");
        CHECK(r.tool_calls[1].arguments == R"({"order_id":"O-2"})");
    }
}

TEST_CASE("provider::Anthropic replies with tool_use, whole and streamed as input_json_delta") {
    auto p = orch::provider::make_anthropic_protocol();
    SUBCASE("whole") {
        auto r = p->parse(R"({"content":[{"type":"text","text":"Let me look."},
            {"type":"tool_use","id":"toolu_1","name":"lookup_order","input":{"order_id":"O-1"}}],
            "stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5}})");
        REQUIRE(r.ok);
        CHECK(r.text == "Let me look.");
        REQUIRE(r.tool_calls.size() == 1);
        CHECK(r.tool_calls[0].id == "toolu_1");
        CHECK(json::parse(r.tool_calls[0].arguments) == json{{"order_id", "O-1"}});
    }
    SUBCASE("streamed: a text block, then two tool_use blocks in pieces") {
        auto d = p->stream_decoder();
        d->on_event(SseEvent{"message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}})"});
        d->on_event(SseEvent{"content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"});
        d->on_event(SseEvent{"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}})"});
        d->on_event(SseEvent{"content_block_start", R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"lookup_order","input":{}}})"});
        d->on_event(SseEvent{"content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"order_id\": "}})"});
        d->on_event(SseEvent{"content_block_start", R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_b","name":"escalate","input":{}}})"});
        d->on_event(SseEvent{"content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"O-1\"}"}})"});
        d->on_event(SseEvent{"message_delta", R"({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":30}})"});
        d->on_event(SseEvent{"message_stop", R"({"type":"message_stop"})"});
        auto r = d->reply();
        REQUIRE(r.ok);
        CHECK(r.text == "Checking.");
        REQUIRE(r.tool_calls.size() == 2);
        CHECK(r.tool_calls[0].id == "toolu_a");
        CHECK(json::parse(r.tool_calls[0].arguments) == json{{"order_id", "O-1"}});
        CHECK(r.tool_calls[1].name == "escalate");
        CHECK(r.tool_calls[1].arguments == "{}"); // a tool_use block whose input never came is empty
        REQUIRE(r.usage);
        CHECK(r.usage->output_tokens == 30);
    }
}
