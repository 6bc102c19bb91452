// Conformance against an OpenAI-compatible server we did not write: the npm package
// @dwmkerr/mock-llm (pinned), configured for a normal reply, a streamed reply, a 429 and a
// 503 then a 200. The package is installed once into <build>/mock-llm and reused; without npm
// (or when the install fails) every case is skipped with a visible message.
#include "support/process.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using orch::test::read_text;
using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;
using orch::test::sql;

namespace {

// The version these cases were checked against by hand; a newer one may change its rules format.
const char* k_mock_llm_package = "@dwmkerr/mock-llm@0.1.29";

// One rules file serves every case: each rule matches on the model id orch sends. mock-llm
// keeps one `sequence` counter per path and advances it only when the winning rule has a
// `sequence`, so the other models never consume the 503-then-200 pair; each case starts its
// own server, so the counter starts at 0. Streams go out 2 characters every 100 ms ("Pa",
// "ri", "s", then [DONE]), so a streamed answer takes ~400 ms and its first token ~100 ms.
const char* k_mock_config = R"yaml(
streaming:
  chunkSize: 2
  chunkIntervalMs: 100
rules:
  # A normal reply, only for the prompt orch rendered from the suite (else mock-llm answers 404).
  - path: "^/v1/chat/completions$"
    method: "POST"
    match: "body.model == 'mock-plain' && contains(body.messages[-1].content, 'France')"
    response:
      status: 200
      content: |
        {"id": "chatcmpl-plain", "object": "chat.completion", "created": 1700000000, "model": "mock-plain",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris"}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12}}
  # A streamed reply, only when the request asked for a stream.
  - path: "^/v1/chat/completions$"
    method: "POST"
    match: "body.model == 'mock-stream' && body.stream == `true`"
    response:
      status: 200
      content: |
        {"id": "chatcmpl-stream", "object": "chat.completion", "created": 1700000000, "model": "mock-stream",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris"}, "finish_reason": "stop"}]}
  # Always rate limited (mock-llm cannot send a Retry-After header).
  - path: "^/v1/chat/completions$"
    method: "POST"
    match: "body.model == 'mock-limited'"
    response:
      status: 429
      content: |
        {"error": {"message": "Rate limit reached for requests", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}
  # The first request overloaded, the second answered.
  - path: "^/v1/chat/completions$"
    method: "POST"
    match: "body.model == 'mock-flaky'"
    sequence: 0
    response:
      status: 503
      content: |
        {"error": {"message": "The server is overloaded", "type": "server_error", "param": null, "code": null}}
  - path: "^/v1/chat/completions$"
    method: "POST"
    match: "body.model == 'mock-flaky'"
    sequence: 1
    response:
      status: 200
      content: |
        {"id": "chatcmpl-flaky", "object": "chat.completion", "created": 1700000000, "model": "mock-flaky",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris"}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12}}
)yaml";

const char* k_suite = R"(
name = "capitals"
type = "chat"
dataset = "capitals.jsonl"
reference = "answer"
[prompt]
user = "What is the capital of {{country}}? Answer with the city only."
[params]
temperature = 0.0
max_tokens = 8
[[evaluators]]
kind = "equals"
value = "{{answer}}"
)";

std::string last_chars(const std::string& text, std::size_t n) {
    std::string s = text.size() > n ? text.substr(text.size() - n) : text;
    for (char& c : s) {
        if (c == '\n') {
            c = ' ';
        }
    }
    return s;
}

// The package's entry point (dist/main.js), installed on first use into <build>/mock-llm beside
// the orch binary so later runs need no network. nullopt, with the reason in `why`, when npm or
// node is missing or the install fails.
std::optional<std::string> mock_llm_entry(std::string& why) {
    const fs::path cache = fs::path(ORCH_BINARY).parent_path() / "mock-llm";
    const fs::path relative_entry =
        fs::path("node_modules") / "@dwmkerr" / "mock-llm" / "dist" / "main.js";
    const fs::path entry = cache / relative_entry;
    if (fs::exists(entry)) {
        return entry.string();
    }
    for (const char* tool : {"npm", "node"}) {
        if (run_shell(std::string("command -v ") + tool + " > /dev/null 2>&1").exit_code != 0) {
            why = std::string(tool) + " not available";
            return std::nullopt;
        }
    }
    // Install into a staging folder, then rename it into place: ctest runs these cases in
    // parallel, and a rename is atomic, so a case sees a complete install or none.
    const fs::path staging = cache.string() + ".staging-" + std::to_string(getpid());
    const std::string install_log = staging.string() + ".log";
    std::error_code ec;
    fs::remove_all(staging, ec);
    auto install =
        run_shell("timeout 300 npm install --prefix " + shell_quote(staging.string()) +
                  " --no-audit --no-fund --save-exact --fetch-retries=1 " +
                  shell_quote(k_mock_llm_package) + " > " + shell_quote(install_log) + " 2>&1");
    if (install.exit_code != 0 || !fs::exists(staging / relative_entry)) {
        why = "npm install " + std::string(k_mock_llm_package) + " failed (exit " +
              std::to_string(install.exit_code) + "): " + last_chars(read_text(install_log), 400);
        fs::remove_all(staging, ec);
        fs::remove(install_log, ec);
        return std::nullopt;
    }
    fs::remove(install_log, ec);
    if (fs::exists(cache) && !fs::exists(entry)) {
        fs::remove_all(cache, ec); // a broken earlier install: a complete one always has the entry
    }
    fs::rename(staging, cache, ec);
    if (ec) {
        fs::remove_all(staging, ec); // another case installed it first
    }
    if (!fs::exists(entry)) {
        why = "the install left no " + entry.string();
        return std::nullopt;
    }
    return entry.string();
}

// A port that was free on 127.0.0.1 a moment ago (mock-llm cannot be asked for port 0: it
// would print 0, not the port it got).
int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
              getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    close(fd);
    REQUIRE(ok);
    return ntohs(addr.sin_port);
}

// mock-llm as a background node process on 127.0.0.1, reading its rules from `config`;
// stopped (SIGTERM, then wait) when the object goes.
class MockLlmServer {
  public:
    // Starts node on a free port and waits until it listens (REQUIREs it does within 15 s,
    // retrying on another port if the chosen one was taken meanwhile).
    MockLlmServer(const std::string& entry, const std::string& config, const std::string& log_path)
        : m_log(log_path) {
        std::string problem;
        for (int attempt = 0; attempt < 3 && m_port == 0; ++attempt) {
            int port = free_port();
            if (start(entry, config, port, problem)) {
                m_port = port;
            }
        }
        INFO(problem);
        REQUIRE(m_port != 0);
    }
    MockLlmServer(const MockLlmServer&) = delete;
    MockLlmServer& operator=(const MockLlmServer&) = delete;

    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/v1"; }

    // Chat completion requests received so far: mock-llm logs one line per request.
    int chat_requests() const {
        const std::string text = read_text(m_log);
        const std::string line = "POST /v1/chat/completions\n";
        int n = 0;
        for (auto at = text.find(line); at != std::string::npos;
             at = text.find(line, at + line.size())) {
            ++n;
        }
        return n;
    }

  private:
    bool start(const std::string& entry, const std::string& config, int port,
               std::string& problem) {
        m_process = std::make_unique<orch::test::BackgroundProcess>(
            "env HOST=127.0.0.1 PORT=" + std::to_string(port) + " node " + shell_quote(entry) +
                " --config " + shell_quote(config),
            m_log);
        // Printed from the listen callback, so the port accepts connections once it appears.
        const std::string ready = "server running on 127.0.0.1:" + std::to_string(port) + "\n";
        if (m_process->wait_for(
                [&](const std::string& text) { return text.find(ready) != std::string::npos; }, 15)) {
            return true;
        }
        // Exited (e.g. EADDRINUSE: it exits 1), or never listened.
        problem = (m_process->running() ? "mock-llm did not listen within 15 s:\n" : "mock-llm exited:\n") +
                  m_process->output();
        m_process.reset();
        return false;
    }

    std::string m_log;
    std::unique_ptr<orch::test::BackgroundProcess> m_process;
    int m_port = 0;
};

// One case: a scratch folder with the suite, and mock-llm serving k_mock_config.
struct Conformance {
    TempDir dir;
    std::unique_ptr<MockLlmServer> server; // null when skipped
    std::string db;
};

// Starts mock-llm for one case; false, after a visible skip message, when it is not available.
bool start_mock_llm(Conformance& c) {
    std::string why;
    auto entry = mock_llm_entry(why);
    if (!entry) {
        MESSAGE("SKIPPED: mock-llm conformance: " << why);
        std::cerr << "SKIPPED: mock-llm conformance: " << why << "\n";
        return false;
    }
    std::string config = c.dir.write("mock-llm.yaml", k_mock_config);
    c.server = std::make_unique<MockLlmServer>(*entry, config, c.dir.file("mock-llm.log"));
    c.dir.write("tasks/capitals.toml", k_suite);
    c.dir.write("tasks/capitals.jsonl",
                "{\"id\": \"france\", \"country\": \"France\", \"answer\": \"Paris\"}\n");
    c.db = c.dir.file("results.db");
    return true;
}

// orch bench of the one-task suite on model "mock" (mock-llm's `model_id`), with `extra`
// provider keys.
orch::test::ProcessResult bench(const Conformance& c, const std::string& model_id,
                                const std::string& extra) {
    std::string toml = "[providers.mock-llm]\nprotocol = \"openai\"\n";
    toml += "base_url = \"" + c.server->base_url() + "\"\n";
    toml += "timeout_s = 10\n" + extra + "\n";
    toml += "[models.mock]\nprovider = \"mock-llm\"\n";
    toml += "id = \"" + model_id + "\"\n";
    toml += "input_per_mtok = 1.0\noutput_per_mtok = 2.0\n";
    std::string providers = c.dir.write("providers.toml", toml);
    return run_orch({"--providers", providers, "--db", c.db, "bench", "--suite",
                     c.dir.file("tasks"), "-t", "mock", "--no-cache"});
}

double sql_number(const std::string& db, const std::string& query) {
    std::string text = sql(db, query);
    INFO(query << " -> " << text);
    REQUIRE_FALSE(text.empty());
    return std::stod(text);
}

// The run's one target, as `orch report --json` shows it to a user.
nlohmann::json report_target(const std::string& db, nlohmann::json* worst = nullptr) {
    auto r = run_orch({"--db", db, "report", "--json"});
    REQUIRE(r.exit_code == 0);
    nlohmann::json j = nlohmann::json::parse(r.out);
    const nlohmann::json& run = j.at("runs").at(0);
    CHECK(run.at("simulated") == false);
    REQUIRE(run.at("targets").size() == 1);
    if (worst != nullptr) {
        *worst = run.at("worst");
    }
    return run.at("targets").at(0);
}

} // namespace

TEST_CASE("conformance::mock-llm: a normal reply is scored with the usage it reports") {
    Conformance c;
    if (!start_mock_llm(c)) {
        return;
    }
    auto r = bench(c, "mock-plain", "");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(c.server->chat_requests() == 1);
    CHECK(sql(c.db,
              "select status, score, passed, output, retries, error_kind is null from results") ==
          "scored|1.0|1|Paris|0|1\n");
    // Tokens and cost come from the reply's usage: 11 in, 1 out at $1 / $2 per million.
    CHECK(sql(c.db, "select input_tokens, output_tokens, tokens_estimated from results") ==
          "11|1|0\n");
    auto t = report_target(c.db);
    CHECK(t.at("target") == "mock");
    CHECK(t.at("scored") == 1);
    CHECK(t.at("passed") == 1);
    CHECK(t.at("errors") == 0);
    CHECK(t.at("quality").at("mean").get<double>() == doctest::Approx(1.0));
    CHECK(t.at("tokens").at("input") == 11);
    CHECK(t.at("cost_usd").at("total").get<double>() == doctest::Approx(13e-6));
}

TEST_CASE("conformance::mock-llm: a streamed reply records a time to first token") {
    Conformance c;
    if (!start_mock_llm(c)) {
        return;
    }
    // The rule answers only a request with "stream": true; anything else gets mock-llm's 404.
    auto r = bench(c, "mock-stream", "stream = true");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(c.server->chat_requests() == 1);
    CHECK(sql(c.db, "select status, score, passed, output, retries from results") ==
          "scored|1.0|1|Paris|0\n");
    // The first of three chunks leaves after 100 ms, [DONE] after 400 ms: the time to first
    // token is the first chunk's, well before the end.
    double ttft = sql_number(c.db, "select ttft_ms from results where ttft_ms is not null");
    double latency = sql_number(c.db, "select latency_ms from results");
    CHECK(ttft >= 90);
    CHECK(latency >= 390);
    CHECK(latency - ttft >= 150);
    // mock-llm sends no usage chunk (though orch asks with stream_options.include_usage):
    // orch estimates the tokens and says so.
    CHECK(sql(c.db, "select tokens_estimated, output_tokens > 0 from results") == "1|1\n");
    auto t = report_target(c.db);
    CHECK(t.at("passed") == 1);
    REQUIRE(t.at("ttft_ms").is_object());
    CHECK(t.at("ttft_ms").at("p50").get<double>() >= 90);
}

TEST_CASE("conformance::mock-llm: a 429 ends as a rate_limited error after the retries") {
    Conformance c;
    if (!start_mock_llm(c)) {
        return;
    }
    auto r = bench(c, "mock-limited", "max_retries = 2");
    INFO(r.err);
    // The only task failed, so every provider call failed: exit 3.
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("every provider call failed") != std::string::npos);
    CHECK(c.server->chat_requests() == 3); // the first try and two retries
    CHECK(sql(c.db, "select status, score is null, error_kind, retries from results") ==
          "error|1|rate_limited|2\n");
    std::string reason = sql(c.db, "select error from results");
    CHECK(reason.find("HTTP 429") != std::string::npos);
    // The server's own message is kept for the user.
    CHECK(reason.find("Rate limit reached for requests") != std::string::npos);
    // Without Retry-After, orch backed off 500 ms then 1 s (each ±25%) before giving up.
    CHECK(sql_number(c.db, "select latency_ms from results") >= 1000);
    nlohmann::json worst;
    auto t = report_target(c.db, &worst);
    CHECK(t.at("errors") == 1);
    CHECK(t.at("scored") == 0);
    CHECK(t.at("retries") == 2);
    REQUIRE(worst.size() == 1);
    CHECK(worst.at(0).at("status") == "error");
    CHECK(worst.at(0).at("error_kind") == "rate_limited");
    // The table shows no quality and no latency for a target that never got an answer, rather
    // than a quality of 0.000 and a p50 of 0ms.
    auto table = run_orch({"--db", c.db, "report"});
    CHECK(table.out.find("0.000 [") == std::string::npos);
    CHECK(table.out.find(" 0ms") == std::string::npos);
}

TEST_CASE("conformance::mock-llm: a 503 then a 200 succeeds with one retry") {
    Conformance c;
    if (!start_mock_llm(c)) {
        return;
    }
    auto r = bench(c, "mock-flaky", "");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(c.server->chat_requests() == 2);
    CHECK(sql(c.db,
              "select status, score, passed, output, retries, error_kind is null from results") ==
          "scored|1.0|1|Paris|1|1\n");
    CHECK(sql(c.db, "select input_tokens, output_tokens, tokens_estimated from results") ==
          "11|1|0\n");
    // One backoff of 500 ms (±25%) before the retry.
    CHECK(sql_number(c.db, "select latency_ms from results") >= 350);
    auto t = report_target(c.db);
    CHECK(t.at("errors") == 0);
    CHECK(t.at("passed") == 1);
    CHECK(t.at("retries") == 1);
}

TEST_CASE("conformance::mock-llm: a 429 sent inside a stream is retried as a rate limit") {
    // Asked for a stream, mock-llm answers HTTP 200 and then an error event carrying the 429's
    // body (no [DONE]), as OpenAI-compatible gateways do. orch classifies it by its code.
    Conformance c;
    if (!start_mock_llm(c)) {
        return;
    }
    auto r = bench(c, "mock-limited", "stream = true\nmax_retries = 1");
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(c.server->chat_requests() == 2); // the first try and one retry
    CHECK(sql(c.db, "select status, error_kind, retries from results") == "error|rate_limited|1\n");
    std::string reason = sql(c.db, "select error from results");
    CHECK(reason.find("rate_limit_exceeded") != std::string::npos);
    CHECK(reason.find("Rate limit reached for requests") != std::string::npos);
}
