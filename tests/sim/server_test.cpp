// The simulated fleet behind real HTTP on 127.0.0.1: answers, streams, faults, auth, the log,
// latency, and `orch sim serve` run as a process.
#include "support/process.hpp"
#include "support/sim_server.hpp"

// The system cpp-httplib is a compiled library built with these; its header must agree.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <orch/config/providers.hpp>
#include <orch/config/suite.hpp>
#include <orch/core/error.hpp>
#include <orch/sim/answer_key.hpp>
#include <orch/sim/fleet.hpp>
#include <orch/sim/server.hpp>
#include <orch/util/clock.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <fmt/format.h>
#include <memory>
#include <poll.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using nlohmann::json;

namespace {

// The default fleet without transient failures, so an answer does not depend on a seed's luck.
const orch::config::ProvidersConfig& fleet() { return orch::test::fleet_without_failures(); }

const orch::sim::AnswerKey& answer_key() {
    static auto key = orch::sim::AnswerKey::from_paths({orch::test::source_path("tasks")});
    return key;
}

orch::sim::ServerOptions instant(const std::string& faults = "") {
    orch::sim::ServerOptions o;
    o.latency_scale = 0;
    o.threads = 32;
    o.faults = faults;
    return o;
}

std::unique_ptr<orch::sim::Server> serve(orch::sim::ServerOptions o) {
    auto server = std::make_unique<orch::sim::Server>(fleet(), answer_key(), std::move(o));
    server->start();
    return server;
}

std::unique_ptr<httplib::Client> client_for(const orch::sim::Server& server,
                                            int read_timeout_s = 10) {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server.port());
    c->set_read_timeout(read_timeout_s, 0);
    return c;
}

json openai_request(const std::string& model, const std::string& user,
                    json extra = json::object()) {
    json body = {{"model", model},
                 {"messages", json::array({{{"role", "user"}, {"content", user}}})}};
    body.update(extra);
    return body;
}

json anthropic_request(const std::string& model, const std::string& user,
                       json extra = json::object()) {
    json body = {{"model", model},
                 {"max_tokens", 256},
                 {"messages", json::array({{{"role", "user"}, {"content", user}}})}};
    body.update(extra);
    return body;
}

httplib::Result post(httplib::Client& c, const std::string& path, const json& body,
                     const httplib::Headers& headers = {}) {
    return c.Post(path.c_str(), headers, body.dump(), "application/json");
}

httplib::Result chat(httplib::Client& c, const json& body, const httplib::Headers& headers = {}) {
    return post(c, "/v1/chat/completions", body, headers);
}

httplib::Result messages(httplib::Client& c, const json& body,
                         const httplib::Headers& headers = {}) {
    return post(c, "/v1/messages", body, headers);
}

// A POST whose response is collected as it arrives, so a stream cut short still shows its start.
struct Partial {
    bool ok = false;
    int status = 0;
    std::string body;
};

Partial post_collecting(httplib::Client& c, const std::string& path, const json& body) {
    Partial p;
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&p](const char* data, size_t n, uint64_t, uint64_t) {
        p.body.append(data, n);
        return true;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    p.ok = c.send(req, res, error);
    p.status = res.status;
    return p;
}

struct SseEvent {
    std::string name; // "" for OpenAI's unnamed events
    std::string data;
};

std::vector<SseEvent> parse_sse(const std::string& body) {
    std::vector<SseEvent> events;
    size_t start = 0;
    while (start < body.size()) {
        size_t end = body.find("\n\n", start);
        if (end == std::string::npos) {
            end = body.size();
        }
        SseEvent e;
        std::istringstream lines(body.substr(start, end - start));
        std::string line;
        while (std::getline(lines, line)) {
            if (line.rfind("event: ", 0) == 0) {
                e.name = line.substr(7);
            } else if (line.rfind("data: ", 0) == 0) {
                e.data = line.substr(6);
            }
        }
        events.push_back(e);
        start = end + 2;
    }
    return events;
}

std::string lower(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

double since(double start_ms) {
    return orch::util::monotonic_ms() - start_ms;
}

// The support-triage rows as DatasetReader renders them.
std::vector<orch::config::Task> triage_tasks(size_t n) {
    auto suite = orch::config::load_suite(orch::test::source_path("tasks/support_triage.toml"));
    orch::config::DatasetReader reader(suite);
    orch::config::Problems problems;
    std::vector<orch::config::Task> tasks;
    orch::config::Task t;
    while (tasks.size() < n && reader.next(t, problems)) {
        tasks.push_back(t);
    }
    return tasks;
}

json messages_json(const std::vector<orch::Message>& messages) {
    json out = json::array();
    for (const auto& m : messages) {
        out.push_back({{"role", m.role}, {"content", m.content}});
    }
    return out;
}

} // namespace

TEST_CASE("sim::server") {
    SUBCASE("answers an OpenAI chat completion with usage") {
        auto server = serve(instant());
        auto c = client_for(*server);
        // Offered every encoding, as curl offers them, the server still sends plain JSON: a
        // simulated server compressing each answer spends the CPU the client is measured on.
        auto r = chat(*c, openai_request("sim-mid", "Say hello to the team."),
                      {{"Accept-Encoding", "br, gzip, deflate"}});
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->get_header_value("Content-Type") == "application/json; charset=utf-8");
        CHECK_FALSE(r->has_header("Content-Encoding"));
        json j = json::parse(r->body);
        CHECK(j["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
        CHECK(j["object"] == "chat.completion");
        CHECK(j["created"].is_number_integer());
        CHECK(j["model"] == "sim-mid");
        CHECK(j["choices"][0]["message"]["role"] == "assistant");
        CHECK(j["choices"][0]["message"]["content"].get<std::string>().find("Say hello") !=
              std::string::npos);
        CHECK(j["choices"][0]["finish_reason"] == "stop");
        auto u = j["usage"];
        CHECK(u["prompt_tokens"].get<int>() > 0);
        CHECK(u["completion_tokens"].get<int>() > 0);
        CHECK(u["total_tokens"] ==
              u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());
        CHECK(server->requests() == 1);
    }
    SUBCASE("a model may be named by its provider id too") {
        auto server = serve(instant());
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("frontier-2026-10", "hi"));
        REQUIRE(r);
        CHECK(r->status == 200);
    }
    SUBCASE("a golden task's prompt gets the simulated answer for that row") {
        auto server = serve(instant());
        auto c = client_for(*server);
        auto tasks = triage_tasks(20);
        REQUIRE(tasks.size() == 20);
        int right = 0;
        for (const auto& t : tasks) {
            json body = {{"model", "sim-frontier"},
                         {"messages", messages_json(t.messages)},
                         {"max_tokens", 16}};
            auto r = chat(*c, body);
            REQUIRE(r);
            REQUIRE(r->status == 200);
            std::string text = json::parse(r->body)["choices"][0]["message"]["content"];
            CHECK(text.find("[simulated") == std::string::npos);
            right += lower(text) == t.reference.get<std::string>() ? 1 : 0;
        }
        CHECK(right >= 16);
    }
    SUBCASE("an Anthropic request with a separate system prompt is recognised as the same golden "
            "task") {
        auto server = serve(instant());
        auto c = client_for(*server);
        int right = 0;
        for (const auto& t : triage_tasks(10)) {
            REQUIRE(t.messages.size() == 2);
            json body = {
                {"model", "sim-frontier"},
                {"max_tokens", 16},
                {"system", json::array({{{"type", "text"}, {"text", t.messages[0].content}}})},
                {"messages",
                 json::array({{{"role", "user"}, {"content", t.messages[1].content}}})}};
            auto r = messages(*c, body);
            REQUIRE(r);
            REQUIRE(r->status == 200);
            right +=
                lower(json::parse(r->body)["content"][0]["text"]) == t.reference.get<std::string>()
                    ? 1
                    : 0;
        }
        CHECK(right >= 8);
    }
    SUBCASE("an OpenAI stream carries the same text, then a usage chunk and [DONE]") {
        auto server = serve(instant());
        auto c = client_for(*server);
        std::string prompt = "Summarise the quarterly numbers for the board in two sentences.";
        auto whole = chat(*c, openai_request("sim-small", prompt));
        REQUIRE(whole);
        json answer = json::parse(whole->body);

        auto r = chat(
            *c, openai_request("sim-small", prompt,
                               {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->get_header_value("Content-Type") == "text/event-stream");
        auto events = parse_sse(r->body);
        REQUIRE(events.size() >= 6);
        CHECK(events.back().data == "[DONE]");
        std::string text;
        int pieces = 0;
        json usage;
        std::string finish;
        for (size_t i = 0; i + 1 < events.size(); ++i) {
            json chunk = json::parse(events[i].data);
            CHECK(chunk["object"] == "chat.completion.chunk");
            if (chunk["choices"].empty()) {
                usage = chunk["usage"];
                continue;
            }
            const json& choice = chunk["choices"][0];
            if (choice["delta"].contains("content") &&
                !choice["delta"]["content"].get<std::string>().empty()) {
                text += choice["delta"]["content"].get<std::string>();
                ++pieces;
            }
            if (!choice["finish_reason"].is_null()) {
                finish = choice["finish_reason"];
            }
        }
        CHECK(text == answer["choices"][0]["message"]["content"]);
        CHECK(pieces >= 4);
        CHECK(pieces <= 8);
        CHECK(finish == "stop");
        REQUIRE(usage.is_object());
        CHECK(usage == answer["usage"]);
        CHECK(events[events.size() - 2].data.find("\"usage\"") != std::string::npos);
    }
    SUBCASE("an OpenAI stream without include_usage has no usage chunk") {
        auto server = serve(instant());
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("sim-small", "hello", {{"stream", true}}));
        REQUIRE(r);
        auto events = parse_sse(r->body);
        CHECK(events.back().data == "[DONE]");
        for (size_t i = 0; i + 1 < events.size(); ++i) {
            CHECK_FALSE(json::parse(events[i].data)["choices"].empty());
        }
    }
    SUBCASE("answers an Anthropic message") {
        auto server = serve(instant());
        auto c = client_for(*server);
        auto r = messages(*c, anthropic_request("sim-mid", "Write one line about tea.",
                                                {{"system", "You are terse."}}));
        REQUIRE(r);
        CHECK(r->status == 200);
        json j = json::parse(r->body);
        CHECK(j["id"].get<std::string>().rfind("msg_", 0) == 0);
        CHECK(j["type"] == "message");
        CHECK(j["role"] == "assistant");
        CHECK(j["model"] == "sim-mid");
        CHECK(j["content"][0]["type"] == "text");
        CHECK(j["content"][0]["text"].get<std::string>().find("tea") != std::string::npos);
        CHECK(j["stop_reason"] == "end_turn");
        CHECK(j["usage"]["input_tokens"].get<int>() > 0);
        CHECK(j["usage"]["output_tokens"].get<int>() > 0);
    }
    SUBCASE("an Anthropic stream has the protocol's events in order and the same text") {
        auto server = serve(instant());
        auto c = client_for(*server);
        json body =
            anthropic_request("sim-local", "Name three rivers in Europe and one fact about each.");
        auto whole = messages(*c, body);
        REQUIRE(whole);
        json answer = json::parse(whole->body);
        body["stream"] = true;
        auto r = messages(*c, body);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->get_header_value("Content-Type") == "text/event-stream");
        auto events = parse_sse(r->body);
        std::vector<std::string> names;
        std::string text;
        for (const auto& e : events) {
            json d = json::parse(e.data);
            CHECK(d["type"] == e.name);
            if (e.name != "content_block_delta" && e.name != "ping") {
                names.push_back(e.name);
            }
            if (e.name == "message_start") {
                CHECK(d["message"]["usage"]["input_tokens"] == answer["usage"]["input_tokens"]);
            } else if (e.name == "content_block_delta") {
                CHECK(d["delta"]["type"] == "text_delta");
                text += d["delta"]["text"].get<std::string>();
            } else if (e.name == "message_delta") {
                CHECK(d["delta"]["stop_reason"] == "end_turn");
                CHECK(d["usage"]["output_tokens"] == answer["usage"]["output_tokens"]);
            }
        }
        CHECK(names == std::vector<std::string>{"message_start", "content_block_start",
                                                "content_block_stop", "message_delta",
                                                "message_stop"});
        CHECK(text == answer["content"][0]["text"]);
    }
    SUBCASE("an unknown model is a 404 and a bad body a 400, each in the protocol's shape") {
        auto server = serve(instant());
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("gpt-17", "hi"));
        REQUIRE(r);
        CHECK(r->status == 404);
        CHECK(json::parse(r->body)["error"]["code"] == "model_not_found");
        r = messages(*c, anthropic_request("gpt-17", "hi"));
        REQUIRE(r);
        CHECK(r->status == 404);
        CHECK(json::parse(r->body)["type"] == "error");
        CHECK(json::parse(r->body)["error"]["type"] == "not_found_error");
        r = c->Post("/v1/chat/completions", "{not json", "application/json");
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(json::parse(r->body)["error"]["type"] == "invalid_request_error");
        r = messages(*c, {{"model", "sim-mid"}, {"messages", "hello"}});
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(json::parse(r->body)["error"]["message"].get<std::string>().find("messages") !=
              std::string::npos);
    }
    SUBCASE("lists the fleet and reports health") {
        auto server = serve(instant());
        auto c = client_for(*server);
        auto r = c->Get("/v1/models");
        REQUIRE(r);
        CHECK(r->status == 200);
        json j = json::parse(r->body);
        CHECK(j["object"] == "list");
        std::vector<std::string> ids;
        for (const auto& m : j["data"]) {
            ids.push_back(m["id"]);
        }
        std::sort(ids.begin(), ids.end());
        CHECK(ids == std::vector<std::string>{"sim-frontier", "sim-local", "sim-mid", "sim-small"});
        r = c->Get("/health");
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(json::parse(r->body)["status"] == "ok");
        CHECK(server->model_count() == 4);
        CHECK(server->golden_tasks() >= 120);
        CHECK(server->requests() == 0); // only model calls count
        r = c->Get("/v2/nothing");
        REQUIRE(r);
        CHECK(r->status == 404);
        CHECK(json::parse(r->body)["error"]["message"].get<std::string>().find("/v2/nothing") !=
              std::string::npos);
    }
    SUBCASE("fault 429 sends Retry-After and retry-after-ms") {
        auto server = serve(instant("429=2@1"));
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("sim-small", "hi"));
        REQUIRE(r);
        CHECK(r->status == 429);
        CHECK(r->get_header_value("Retry-After") == "2");
        CHECK(r->get_header_value("retry-after-ms") == "2000");
        CHECK(json::parse(r->body)["error"]["code"] == "rate_limit_exceeded");
        r = chat(*c, openai_request("sim-small", "hi"));
        REQUIRE(r);
        CHECK(r->status == 200);
    }
    SUBCASE("faults 500, 502 and 503 answer with those statuses in the protocol's shape") {
        auto server = serve(instant("500@1,502@2,503@3,503@4"));
        auto c = client_for(*server);
        for (int status : {500, 502, 503}) {
            auto r = chat(*c, openai_request("sim-small", "hi"));
            REQUIRE(r);
            CHECK(r->status == status);
            CHECK(json::parse(r->body)["error"]["type"] == "server_error");
        }
        auto r = messages(*c, anthropic_request("sim-small", "hi"));
        REQUIRE(r);
        CHECK(r->status == 503);
        CHECK(json::parse(r->body)["error"]["type"] == "overloaded_error");
    }
    SUBCASE("scheduled faults 503@1-2 hit exactly requests 1 and 2") {
        auto server = serve(instant("503@1-2"));
        auto c = client_for(*server);
        std::vector<int> statuses;
        for (int i = 0; i < 3; ++i) {
            auto r = chat(*c, openai_request("sim-mid", "hi"));
            REQUIRE(r);
            statuses.push_back(r->status);
        }
        CHECK(statuses == std::vector<int>{503, 503, 200});
        CHECK(server->requests() == 3);
    }
    SUBCASE("fault hang outlasts a client's read timeout, and stop() still returns promptly") {
        auto server = serve(instant("hang=30@1-2"));
        httplib::Client c("127.0.0.1", server->port());
        c.set_read_timeout(0, 300'000);
        double start = orch::util::monotonic_ms();
        auto r = chat(c, openai_request("sim-small", "hi"));
        CHECK_FALSE(r);
        CHECK(r.error() == httplib::Error::Read);
        CHECK(since(start) < 3000);
        // A second client is still waiting on a hung request while the server stops.
        std::atomic<bool> done{false};
        std::thread waiting([&] {
            httplib::Client c2("127.0.0.1", server->port());
            c2.set_read_timeout(60, 0);
            chat(c2, openai_request("sim-small", "hi"));
            done = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        start = orch::util::monotonic_ms();
        server->stop();
        CHECK(since(start) < 1500);
        waiting.join();
        CHECK(done);
    }
    SUBCASE(
        "a hung request whose client has gone is dropped at once, and logged without a status") {
        orch::test::TempDir dir;
        auto o = instant("hang=30@1");
        o.log_path = dir.file("log.jsonl");
        auto server = serve(o);
        httplib::Client c("127.0.0.1", server->port());
        c.set_read_timeout(0, 200'000);
        CHECK_FALSE(chat(c, openai_request("sim-small", "hi")));
        double start = orch::util::monotonic_ms();
        std::string log;
        while (log.empty() && since(start) < 3000) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            log = orch::test::read_text(o.log_path);
        }
        REQUIRE_FALSE(log.empty());
        json line = json::parse(log);
        CHECK(line["fault"] == "hang");
        CHECK(line["status"].is_null());
    }
    SUBCASE("after a short hang the request is answered normally") {
        auto server = serve(instant("hang=0.2@1"));
        auto c = client_for(*server);
        double start = orch::util::monotonic_ms();
        auto r = chat(*c, openai_request("sim-small", "hi"));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(since(start) >= 200);
    }
    SUBCASE("fault reset closes the connection without a response") {
        auto server = serve(instant("reset@1"));
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("sim-small", "hi"));
        CHECK_FALSE(r);
        r = chat(*c, openai_request("sim-small", "hi"));
        REQUIRE(r);
        CHECK(r->status == 200);
    }
    SUBCASE("fault truncate cuts a stream before [DONE] and a body short of its Content-Length") {
        auto server = serve(instant("truncate@1-3"));
        auto c = client_for(*server);
        auto p = post_collecting(*c, "/v1/chat/completions",
                                 openai_request("sim-mid", "hello there", {{"stream", true}}));
        CHECK_FALSE(p.ok);
        CHECK(p.status == 200);
        CHECK(p.body.find("data: {") != std::string::npos);
        CHECK(p.body.find("[DONE]") == std::string::npos);

        p = post_collecting(*c, "/v1/messages",
                            anthropic_request("sim-mid", "hello there", {{"stream", true}}));
        CHECK_FALSE(p.ok);
        CHECK(p.body.find("event: message_start") != std::string::npos);
        CHECK(p.body.find("message_stop") == std::string::npos);

        auto r = chat(*c, openai_request("sim-mid", "hello there"));
        CHECK_FALSE(r);
    }
    SUBCASE("fault malformed answers 200 with a body that is not JSON") {
        auto server = serve(instant("malformed@1-2"));
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("sim-mid", "hi"));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK_FALSE(json::accept(r->body));
        r = chat(*c, openai_request("sim-mid", "hi", {{"stream", true}}));
        REQUIRE(r);
        CHECK(r->status == 200);
        int bad = 0;
        for (const auto& e : parse_sse(r->body)) {
            bad += e.data != "[DONE]" && !json::accept(e.data) ? 1 : 0;
        }
        CHECK(bad == 1);
    }
    SUBCASE("fault context answers a context-length 400 in each protocol's own shape") {
        auto server = serve(instant("context@1-2"));
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("sim-local", "hi"));
        REQUIRE(r);
        CHECK(r->status == 400);
        json e = json::parse(r->body)["error"];
        CHECK(e["type"] == "invalid_request_error");
        CHECK(e["code"] == "context_length_exceeded");
        CHECK(e["message"].get<std::string>().rfind("This model's maximum context length is 8192",
                                                    0) == 0);
        r = messages(*c, anthropic_request("sim-local", "hi"));
        REQUIRE(r);
        CHECK(r->status == 400);
        json a = json::parse(r->body);
        CHECK(a["type"] == "error");
        CHECK(a["error"]["type"] == "invalid_request_error");
        CHECK(a["error"]["message"].get<std::string>().rfind("prompt is too long: ", 0) == 0);
    }
    SUBCASE("a prompt beyond the context window gets the same 400 without any fault") {
        auto server = serve(instant());
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("sim-local", std::string(40000, 'x')));
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(json::parse(r->body)["error"]["code"] == "context_length_exceeded");
    }
    SUBCASE("fault slow delays the first byte by its argument") {
        auto server = serve(instant("slow=300@1-2"));
        auto c = client_for(*server);
        double start = orch::util::monotonic_ms();
        auto r = chat(*c, openai_request("sim-small", "hi"));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(since(start) >= 300);

        double first_byte = 0;
        start = orch::util::monotonic_ms();
        httplib::Request req;
        req.method = "POST";
        req.path = "/v1/chat/completions";
        req.body = openai_request("sim-small", "hi", {{"stream", true}}).dump();
        req.set_header("Content-Type", "application/json");
        req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
            if (first_byte == 0) {
                first_byte = since(start);
            }
            return true;
        };
        httplib::Response res;
        httplib::Error error = httplib::Error::Success;
        CHECK(c->send(req, res, error));
        CHECK(first_byte >= 300);

        start = orch::util::monotonic_ms();
        r = chat(*c, openai_request("sim-small", "hi"));
        REQUIRE(r);
        CHECK(since(start) < 300);
    }
    SUBCASE("with an API key, requests without it get a 401 and requests with it an answer") {
        auto o = instant("auth@3");
        o.api_key = "sk-sim-test-123";
        auto server = serve(o);
        auto c = client_for(*server);
        auto r = chat(*c, openai_request("sim-small", "hi"));
        REQUIRE(r);
        CHECK(r->status == 401);
        CHECK(json::parse(r->body)["error"]["code"] == "invalid_api_key");
        r = messages(*c, anthropic_request("sim-small", "hi"), {{"x-api-key", "wrong"}});
        REQUIRE(r);
        CHECK(r->status == 401);
        CHECK(json::parse(r->body)["error"]["type"] == "authentication_error");
        // Request 3 carries the right key but meets the auth fault.
        r = chat(*c, openai_request("sim-small", "hi"),
                 {{"Authorization", "Bearer sk-sim-test-123"}});
        REQUIRE(r);
        CHECK(r->status == 401);
        r = chat(*c, openai_request("sim-small", "hi"),
                 {{"Authorization", "Bearer sk-sim-test-123"}});
        REQUIRE(r);
        CHECK(r->status == 200);
        r = messages(*c, anthropic_request("sim-small", "hi"), {{"x-api-key", "sk-sim-test-123"}});
        REQUIRE(r);
        CHECK(r->status == 200);
        // Each protocol's own header: a Bearer token does not open the Anthropic endpoint.
        r = messages(*c, anthropic_request("sim-small", "hi"),
                     {{"Authorization", "Bearer sk-sim-test-123"}});
        REQUIRE(r);
        CHECK(r->status == 401);
    }
    SUBCASE("the request log has one line per request with its body, and never the key") {
        orch::test::TempDir dir;
        auto o = instant("503@2");
        o.api_key = "sk-sim-secret-987";
        o.log_path = dir.file("requests.jsonl");
        auto server = serve(o);
        auto c = client_for(*server);
        std::vector<std::string> bodies = {
            openai_request("sim-small", "first").dump(),
            openai_request("sim-mid", "second", {{"stream", true}}).dump(),
            anthropic_request("sim-local", "third").dump()};
        REQUIRE(c->Post("/v1/chat/completions", {{"Authorization", "Bearer sk-sim-secret-987"}},
                        bodies[0], "application/json"));
        REQUIRE(c->Post("/v1/chat/completions", {{"Authorization", "Bearer sk-sim-secret-987"}},
                        bodies[1], "application/json"));
        REQUIRE(c->Post("/v1/messages", {{"x-api-key", "sk-sim-secret-987"}, {"X-Trace", "t-1"}},
                        bodies[2], "application/json"));
        server->stop();
        std::string log = orch::test::read_text(o.log_path);
        CHECK(log.find("sk-sim-secret-987") == std::string::npos);
        std::istringstream in(log);
        std::string line;
        std::vector<json> lines;
        while (std::getline(in, line)) {
            lines.push_back(json::parse(line));
        }
        REQUIRE(lines.size() == 3);
        for (size_t i = 0; i < 3; ++i) {
            CHECK(lines[i]["seq"] == i + 1);
            CHECK(lines[i]["body"] == bodies[i]);
            CHECK(lines[i]["method"] == "POST");
            CHECK(lines[i]["at"].get<std::string>().size() == 20);
            CHECK_FALSE(lines[i]["headers"].contains("authorization"));
            CHECK_FALSE(lines[i]["headers"].contains("x-api-key"));
            CHECK(lines[i]["headers"]["content-type"] == "application/json");
        }
        CHECK(lines[0]["path"] == "/v1/chat/completions");
        CHECK(lines[0]["model"] == "sim-small");
        CHECK(lines[0]["stream"] == false);
        CHECK(lines[0]["fault"].is_null());
        CHECK(lines[0]["status"] == 200);
        CHECK(lines[1]["stream"] == true);
        CHECK(lines[1]["fault"] == "503");
        CHECK(lines[1]["status"] == 503);
        CHECK(lines[2]["path"] == "/v1/messages");
        CHECK(lines[2]["headers"]["x-trace"] == "t-1");
    }
    SUBCASE("latency scale 1 really sleeps about the simulated latency") {
        auto o = instant();
        o.latency_scale = 1;
        auto server = serve(o);
        auto c = client_for(*server);
        std::string prompt = "Give me a one-line status update.";
        // What the fleet will play for this request: the same request the server builds.
        orch::Request expected;
        expected.messages = {{"user", prompt}};
        expected.key = fmt::format("{:016x}", orch::sim::messages_hash(expected.messages));
        expected.seed = 42;
        expected.task_type = "chat";
        auto sim = orch::sim::simulate(*fleet().find_model("sim-small"), expected);
        REQUIRE_FALSE(sim.failed);
        double start = orch::util::monotonic_ms();
        auto r = chat(*c, openai_request("sim-small", prompt));
        double elapsed = since(start);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(json::parse(r->body)["choices"][0]["message"]["content"] == sim.text);
        CHECK(elapsed >= sim.latency_ms * 0.95);
        CHECK(elapsed < sim.latency_ms + 1000);
    }
    SUBCASE("a fixed latency serves concurrent requests in parallel") {
        auto o = instant();
        o.fixed_latency_ms = 200;
        auto server = serve(o);
        const int n = 16;
        std::atomic<int> ok{0};
        double start = orch::util::monotonic_ms();
        std::vector<std::thread> clients;
        for (int i = 0; i < n; ++i) {
            clients.emplace_back([&, i] {
                httplib::Client c("127.0.0.1", server->port());
                auto r = chat(c, openai_request("sim-mid", "request " + std::to_string(i)));
                ok += r && r->status == 200 ? 1 : 0;
            });
        }
        for (auto& t : clients) {
            t.join();
        }
        double elapsed = since(start);
        CHECK(ok == n);
        CHECK(elapsed >= 200);
        CHECK(elapsed < 200.0 * n / 4);
    }
    SUBCASE("run() serves until stop() is called from another thread") {
        orch::sim::Server server(fleet(), answer_key(), instant());
        std::atomic<int> port{0};
        std::thread serving([&] { server.run([&] { port = server.port(); }); });
        while (port == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        httplib::Client c("127.0.0.1", port);
        auto r = c.Get("/health");
        REQUIRE(r);
        CHECK(r->status == 200);
        server.stop();
        serving.join();
    }
    SUBCASE("a bad fault spec is a config error before anything binds") {
        CHECK_THROWS_WITH_AS(
            orch::sim::Server(fleet(), answer_key(), instant("429:0.1,42x:0.1")),
            doctest::Contains("--faults: item 2 \"42x:0.1\": unknown fault kind \"42x\""),
            orch::Error);
    }
    SUBCASE("a port already in use is a config error") {
        auto first = serve(instant());
        auto o = instant();
        o.port = first->port();
        orch::sim::Server second(fleet(), answer_key(), o);
        CHECK_THROWS_AS(second.start(), orch::Error);
    }
}

TEST_CASE("sim::serve as a process") {
    // Started in the background as a script would, stopped with SIGTERM.
    int out[2];
    REQUIRE(pipe(out) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        std::string providers = orch::test::source_path("providers.toml");
        std::string tasks = orch::test::source_path("tasks");
        execl(ORCH_BINARY, ORCH_BINARY, "--providers", providers.c_str(), "sim", "serve", "--port",
              "0", "--latency-scale", "0", "--suites", tasks.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(out[1]);
    std::string line;
    double start = orch::util::monotonic_ms();
    while (line.find('\n') == std::string::npos && since(start) < 20000) {
        pollfd p{out[0], POLLIN, 0};
        if (poll(&p, 1, 200) > 0) {
            char buf[256];
            ssize_t n = read(out[0], buf, sizeof buf);
            if (n <= 0) {
                break;
            }
            line.append(buf, static_cast<size_t>(n));
        }
    }
    close(out[0]);
    INFO("stdout: ", line);
    const std::string prefix = "orch sim serve: listening on http://127.0.0.1:";
    bool listening = line.rfind(prefix, 0) == 0;
    CHECK(listening);
    if (listening) {
        int port = std::stoi(line.substr(prefix.size()));
        CHECK(line.find(" (4 models, ") != std::string::npos);
        CHECK(line.find(" golden tasks)\n") != std::string::npos);
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(10, 0);
        auto r = chat(c, openai_request("sim-small", "hi from a script"));
        REQUIRE(r);
        CHECK(r->status == 200);
    }
    kill(pid, SIGTERM);
    int status = 0;
    start = orch::util::monotonic_ms();
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (since(start) > 10000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            FAIL("orch sim serve did not stop on SIGTERM");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
