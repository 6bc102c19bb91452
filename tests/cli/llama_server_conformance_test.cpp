// Conformance against a real local runtime: llama.cpp's llama-server, built from the source the
// npm package node-llama-cpp ships (scripts/llama-server), serving a tiny model with random
// weights. Its answers are gibberish, so these cases check the protocol and what orch does with
// it, never answer quality. Each case starts its own server on 127.0.0.1 and a port of its own.
// Without the server (no npm, a failed build, no ../shared/models) a case is skipped with a
// visible message, or fails when ORCH_REQUIRE_LLAMA=1 (scripts/test sets it).
#include "support/llama_server.hpp"
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using orch::test::LlamaServerProcess;
using orch::test::read_text;
using orch::test::run_orch;
using orch::test::sql;
using orch::test::TempDir;

namespace {

// A one-row suite: the prompt, max_tokens and whether to stream come from the caller.
std::string suite_text(int max_tokens) {
    return "name = \"greet\"\ntype = \"chat\"\ndataset = \"greet.jsonl\"\n"
           "[prompt]\nuser = \"Say hello to {{name}} in one short sentence.\"\n"
           "[params]\ntemperature = 0.0\nmax_tokens = " +
           std::to_string(max_tokens) +
           "\n"
           "[[evaluators]]\nkind = \"contains\"\nvalue = \"{{name}}\"\n";
}

struct Llama {
    TempDir dir;
    std::string binary;
    std::unique_ptr<LlamaServerProcess> server;
    std::string db;

    // The providers file: provider "llama" (protocol, extra keys) at the server, model "tiny",
    // and whatever `more` adds.
    std::string providers(const std::string& protocol = "openai", const std::string& extra = "",
                          const std::string& more = "") {
        std::string base = server->base_url(); // .../v1: chat/completions or messages follows
        std::string toml = "[providers.llama]\nprotocol = \"" + protocol + "\"\nbase_url = \"" + base +
                           "\"\ntier = \"local\"\nprivacy = \"private\"\ntimeout_s = 30\n" + extra +
                           "\n[models.tiny]\nprovider = \"llama\"\nid = \"tiny-random\"\n"
                           "input_per_mtok = 0.0\noutput_per_mtok = 0.0\n" +
                           more;
        return dir.write("providers.toml", toml);
    }

    orch::test::ProcessResult bench(const std::string& providers_file, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"--providers", providers_file, "--db", db, "bench", "--suite",
                                         dir.file("tasks"), "-t", "tiny", "--no-cache"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_orch(args);
    }

    // How many completions the server started ("processing task" is logged once per task).
    int tasks_started() const {
        const std::string text = server->log();
        int n = 0;
        for (auto at = text.find("processing task"); at != std::string::npos;
             at = text.find("processing task", at + 1)) {
            ++n;
        }
        return n;
    }
};

// Starts llama-server for one case with the one-row suite; false, after a visible skip message,
// when the server cannot be had here.
bool start_llama(Llama& l, const std::vector<std::string>& args, int rows = 1, int max_tokens = 8) {
    std::string why;
    auto binary = orch::test::llama_server_binary(why);
    if (!binary) {
        if (orch::test::llama_server_required()) {
            FAIL("llama-server is required here (ORCH_REQUIRE_LLAMA=1) but: " << why);
        }
        MESSAGE("SKIPPED: llama-server conformance: " << why);
        std::cerr << "SKIPPED: llama-server conformance: " << why << "\n";
        return false;
    }
    l.binary = *binary;
    l.server = std::make_unique<LlamaServerProcess>(l.binary, args);
    l.dir.write("tasks/greet.toml", suite_text(max_tokens));
    std::string rows_text;
    for (int i = 0; i < rows; ++i) {
        rows_text += "{\"id\": \"t" + std::to_string(i) + "\", \"name\": \"Ada" + std::to_string(i) + "\"}\n";
    }
    l.dir.write("tasks/greet.jsonl", rows_text);
    l.db = l.dir.file("results.db");
    return true;
}

// An external cloud model "big" (orch's sim server, its requests logged), for policies that
// move between the local runtime and the cloud.
struct Cloud {
    TempDir dir;
    std::string log = dir.file("requests.jsonl");
    orch::test::SimServerProcess server{
        dir.write("fleet.toml", read_text(orch::test::source_path("providers.toml"))),
        {"--latency-scale", "0", "--log", log}};

    std::string providers() const {
        return "[providers.cloud]\nprotocol = \"openai\"\nbase_url = \"" + server.base_url() +
               "\"\nprivacy = \"external\"\n"
               "[models.big]\nprovider = \"cloud\"\nid = \"sim-frontier\"\n"
               "input_per_mtok = 3.0\noutput_per_mtok = 15.0\ncontext_window = 200000\n";
    }
};

// A prompt far over a 256-token context window (llama-server's smallest: --ctx-size 64 is
// raised to 256).
std::string long_prompt() {
    std::string p = "Summarise the following notes.";
    for (int i = 0; i < 120; ++i) {
        p += " Note " + std::to_string(i) + ": the quarterly figures were revised after the audit.";
    }
    return p;
}

} // namespace

TEST_CASE("conformance::llama-server: whole and streamed replies carry its usage and honour max_tokens") {
    Llama l;
    if (!start_llama(l, {"--ctx-size", "512", "--parallel", "2"})) {
        return;
    }
    for (const char* protocol : {"openai", "anthropic"}) {
        CAPTURE(protocol);
        std::string whole_db = l.dir.file(std::string(protocol) + "-whole.db");
        std::string stream_db = l.dir.file(std::string(protocol) + "-stream.db");
        l.db = whole_db;
        auto whole = l.bench(l.providers(protocol));
        INFO(whole.err);
        // The answer is gibberish, so the check fails; the result is scored (exit 0), not an error.
        REQUIRE(whole.exit_code == 0);
        CHECK(sql(whole_db, "select status, retries, error_kind is null, tokens_estimated from results") ==
              "scored|0|1|0\n");
        // Usage is the server's own count: the rendered prompt in, at most max_tokens out.
        CHECK(sql(whole_db, "select input_tokens > 5, output_tokens between 1 and 8 from results") == "1|1\n");

        l.db = stream_db;
        auto streamed = l.bench(l.providers(protocol, "stream = true"));
        INFO(streamed.err);
        REQUIRE(streamed.exit_code == 0);
        // Usage from the stream's last chunk (OpenAI: include_usage; Anthropic: message_delta).
        CHECK(sql(stream_db, "select status, retries, error_kind is null, tokens_estimated from results") ==
              "scored|0|1|0\n");
        CHECK(sql(stream_db, "select output_tokens between 1 and 8, ttft_ms > 0, ttft_ms <= latency_ms from results") ==
              "1|1|1\n");
        // Greedy decoding: the streamed answer, reassembled, is the whole one.
        std::string whole_text = sql(whole_db, "select output, input_tokens, output_tokens from results");
        CHECK(sql(stream_db, "select output, input_tokens, output_tokens from results") == whole_text);
    }
    CHECK(l.tasks_started() == 4);
}

TEST_CASE("conformance::llama-server: a prompt over its context window is context_length, and the policy falls back") {
    Llama l;
    if (!start_llama(l, {"--ctx-size", "256", "--parallel", "1"})) {
        return;
    }
    Cloud cloud;
    const std::string more = cloud.providers() +
                             "[policies.local-first]\n[[policies.local-first.rules]]\nname = \"all\"\n"
                             "action = \"fallback\"\nmodels = [\"tiny\", \"big\"]\n"
                             "[policies.only-tiny]\n[[policies.only-tiny.rules]]\nname = \"all\"\n"
                             "action = \"fallback\"\nmodels = [\"tiny\"]\n";
    for (const char* stream : {"false", "true"}) {
        CAPTURE(stream);
        std::string providers = l.providers("openai", std::string("stream = ") + stream + "\nmax_retries = 2", more);
        auto direct = run_orch({"--providers", providers, "route", "--policy", "only-tiny", long_prompt()});
        // Not retried (it cannot succeed by trying again); the server's own words kept.
        CHECK(direct.exit_code == 3);
        CHECK(direct.err.find("context_length") != std::string::npos);
        CHECK(direct.err.find("exceeds the available context size") != std::string::npos);
        auto routed = run_orch({"--providers", providers, "--db", l.dir.file("route.db"), "route", "--policy",
                                "local-first", "--json", long_prompt()});
        INFO(routed.err);
        REQUIRE(routed.exit_code == 0);
        auto j = nlohmann::json::parse(routed.out);
        CHECK(j["model"] == "big");
        REQUIRE(j["chain"].size() == 2);
        CHECK(j["chain"][0]["model"] == "tiny");
        CHECK(j["chain"][0]["error_kind"] == "context_length");
        CHECK(j["chain"][1]["outcome"] == "ok");
    }
    // Each oversized prompt reached the server once: the two direct ones were not retried,
    // and the two routed ones went on to the next model instead.
    CHECK(l.tasks_started() == 4);
    int refused = 0;
    const std::string log = l.server->log();
    const std::string refusal = "exceeds the available context size";
    for (auto at = log.find(refusal); at != std::string::npos; at = log.find(refusal, at + 1)) {
        ++refused;
    }
    CHECK(refused == 4);
}

TEST_CASE("conformance::llama-server: more requests than its slots queue there, none times out or is sent twice") {
    Llama l;
    // One slot: eight requests at once wait in the server's queue.
    if (!start_llama(l, {"--ctx-size", "256", "--parallel", "1"}, 8, 24)) {
        return;
    }
    for (const char* stream : {"false", "true"}) {
        CAPTURE(stream);
        l.db = l.dir.file(std::string("parallel-") + stream + ".db");
        auto r = l.bench(l.providers("openai", std::string("stream = ") + stream + "\nmax_concurrency = 8"),
                         {"-j", "8"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(sql(l.db, "select count(*), sum(status = 'scored'), sum(retries), count(error_kind) from results") ==
              "8|8|0|0\n");
    }
    CHECK(l.tasks_started() == 16);
}

TEST_CASE("conformance::llama-server: providers check answers for it") {
    Llama l;
    if (!start_llama(l, {"--ctx-size", "256"})) {
        return;
    }
    auto r = run_orch({"--providers", l.providers(), "providers", "check", "--json"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out);
    REQUIRE(j.contains("providers"));
    bool found = false;
    for (const auto& p : j["providers"]) {
        if (p.value("provider", "") == "llama") {
            found = true;
            CHECK(p.value("ok", false));
            CHECK(p.value("model", "") == "tiny");
            CHECK_FALSE(p.value("message", "").empty()); // what the model answered
        }
    }
    CHECK(found);
}

TEST_CASE("conformance::llama-server: sensitive input goes to it and the external provider receives nothing") {
    Llama l;
    if (!start_llama(l, {"--ctx-size", "512"})) {
        return;
    }
    Cloud cloud;
    const std::string sim_log = cloud.log;
    // Answers are kept short: llama-server answers HTTP 500 when its chat-format parser rejects
    // the output, which long gibberish from random weights sometimes is.
    const std::string more = cloud.providers() +
                             "[policies.keep-home]\n[[policies.keep-home.rules]]\nname = \"home\"\n"
                             "action = \"privacy\"\nmodels = [\"big\", \"tiny\"]\n";
    std::string providers = l.providers("openai", "", more);
    const std::string card = "4111 1111 1111 1111";
    auto r = run_orch({"--providers", providers, "--db", l.dir.file("r.db"), "route", "--policy", "keep-home",
                       "--max-tokens", "8", "--json", "Please update my card to " + card + " and confirm."});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["model"] == "tiny");
    // At least one task (a 500 from llama-server's chat parser, which random weights sometimes
    // provoke, is retried on the same server: still nothing leaves the machine).
    CHECK(l.tasks_started() >= 1);
    CHECK(read_text(sim_log).empty());
    // And ordinary input still goes to the external model, so the log is a live witness.
    auto plain = run_orch({"--providers", providers, "route", "--policy", "keep-home", "--max-tokens", "8", "--json",
                           "What is 2 + 2?"});
    REQUIRE(plain.exit_code == 0);
    CHECK(nlohmann::json::parse(plain.out)["model"] == "big");
    CHECK_FALSE(read_text(sim_log).empty());
    CHECK(read_text(sim_log).find("4111") == std::string::npos);
}

TEST_CASE("conformance::llama-server: a default suite benched on it end to end is recorded and scored") {
    Llama l;
    if (!start_llama(l, {"--ctx-size", "2048", "--parallel", "2"})) {
        return;
    }
    std::string providers = l.providers("openai", "stream = true\nmax_concurrency = 2");
    auto r = run_orch({"--providers", providers, "--db", l.db, "bench", "--suite",
                       orch::test::source_path("tasks/support_triage.toml"), "-t", "tiny", "--no-cache", "-j", "4"});
    INFO(r.err);
    // Low scores are expected from random weights (exit 0 still: no gate was set); errors are not.
    REQUIRE(r.exit_code == 0);
    std::string rows = sql(l.db, "select count(*) from results");
    CHECK(std::stoi(rows) >= 20);
    CHECK(sql(l.db, "select count(*) from results where status <> 'scored'") == "0\n");
    CHECK(sql(l.db, "select count(*) from results where tokens_estimated = 1 or ttft_ms is null") == "0\n");
    CHECK(l.tasks_started() == std::stoi(rows));
}

TEST_CASE("conformance::llama-server: the server killed mid-stream is a recorded transport error, retried per policy") {
    Llama l;
    // A long answer, so the stream is still going when the server dies.
    if (!start_llama(l, {"--ctx-size", "4096", "--parallel", "1", "--threads", "1"}, 1, 3000)) {
        return;
    }
    std::string providers = l.providers("openai", "stream = true\nmax_retries = 1");
    std::string out = l.dir.file("bench.out");
    orch::test::BackgroundProcess bench(
        orch::test::shell_quote(ORCH_BINARY) + " --providers " + orch::test::shell_quote(providers) + " --db " +
            orch::test::shell_quote(l.db) + " bench --suite " + orch::test::shell_quote(l.dir.file("tasks")) +
            " -t tiny --no-cache",
        out);
    // Wait until tokens are flowing (the server logs its decoding speed every few tokens), then
    // kill it as a crash would.
    bool decoding = false;
    for (int i = 0; i < 200 && !decoding; ++i) {
        decoding = l.tasks_started() >= 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(decoding);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    l.server->kill_now();
    int code = bench.wait();
    INFO(read_text(out));
    // The only call failed: exit 3, and the failure is a result, not lost.
    CHECK(code == 3);
    CHECK(sql(l.db, "select status, error_kind, retries from results") == "error|transport|1\n");
    std::string reason = sql(l.db, "select error from results");
    CHECK_FALSE(reason.empty());
}
