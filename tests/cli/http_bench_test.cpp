// orch bench through real HTTP (libcurl) against `orch sim serve` on 127.0.0.1: both
// protocols, streaming and not, and every fault class the server can inject.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <cstdlib>
#include <doctest/doctest.h>

using orch::test::http_fleet_providers;
using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::SimServerProcess;
using orch::test::TempDir;
using orch::test::sql;

namespace {


struct HttpRun {
    TempDir dir;
    std::string db;
    orch::test::ProcessResult r;
};

// Serves the fleet with `server_args`, then benches the triage suite on `target` over HTTP.
void bench_over_http(HttpRun& run, const std::string& protocol, const std::string& client_extra,
                     const std::vector<std::string>& server_args, const std::vector<std::string>& bench_extra = {},
                     const std::vector<std::string>& env = {}) {
    std::string fleet = run.dir.write("fleet.toml", orch::test::read_text(orch::test::source_path("providers.toml")));
    std::vector<std::string> args = {"--suites", orch::test::source_path("tasks"), "--latency-scale", "0"};
    args.insert(args.end(), server_args.begin(), server_args.end());
    SimServerProcess server(fleet, args);
    std::string providers = run.dir.write("providers.toml", http_fleet_providers(protocol, server.base_url(), client_extra));
    run.db = run.dir.file("h.db");
    std::vector<std::string> bench = {"--providers", providers, "--db", run.db, "bench", "--suite",
                                      orch::test::source_path("tasks/support_triage.toml"), "-t", "sim-small",
                                      "--no-cache"};
    bench.insert(bench.end(), bench_extra.begin(), bench_extra.end());
    run.r = run_orch(bench, "", "", env);
}

// Every task ends as a scored result or a recorded error with its class and reason.
void check_nothing_lost(const std::string& db) {
    CHECK(sql(db, "select count(*) from results") == "36\n");
    CHECK(sql(db, "select count(*) from results where status = 'error' and (error_kind is null or error = '')") == "0\n");
    CHECK(sql(db, "select count(*) from results where status = 'scored' and score is null") == "0\n");
}

} // namespace

TEST_CASE("http::bench against orch sim serve") {
    for (const char* protocol : {"openai", "anthropic"}) {
        for (bool stream : {false, true}) {
            CAPTURE(protocol);
            CAPTURE(stream);
            HttpRun run;
            bench_over_http(run, protocol, stream ? "stream = true" : "", {});
            REQUIRE(run.r.exit_code == 0);
            check_nothing_lost(run.db);
            CHECK(sql(run.db, "select count(*) from results where status = 'scored'") == "36\n");
            // The server knew the golden tasks: the small model classifies most tickets right.
            CHECK(std::stod(sql(run.db, "select avg(score) from results")) > 0.7);
            // Usage came from the provider's reply, not an estimate.
            CHECK(sql(run.db, "select count(*) from results where tokens_estimated = 1 or input_tokens = 0") == "0\n");
            CHECK(sql(run.db, "select count(*) from results where ttft_ms is null") == "0\n");
            CHECK(sql(run.db, "select count(*) from results where simulated = 1") == "0\n");
        }
    }
}

TEST_CASE("http::bench retries transient faults and records the rest") {
    SUBCASE("429s with Retry-After are retried until they succeed") {
        HttpRun run;
        bench_over_http(run, "openai", "", {"--faults", "429=0:0.3"});
        REQUIRE(run.r.exit_code == 0);
        check_nothing_lost(run.db);
        CHECK(sql(run.db, "select count(*) from results where status = 'scored'") == "36\n");
        CHECK(std::stoi(sql(run.db, "select sum(retries) from results")) > 0);
    }
    SUBCASE("5xx answers are retried until they succeed") {
        HttpRun run;
        bench_over_http(run, "anthropic", "", {"--faults", "500:0.1,502:0.1,503:0.1"});
        REQUIRE(run.r.exit_code == 0);
        CHECK(sql(run.db, "select count(*) from results where status = 'scored'") == "36\n");
        CHECK(std::stoi(sql(run.db, "select sum(retries) from results")) > 0);
    }
    SUBCASE("resets, malformed JSON and cut streams are classified, retried where safe, never lost") {
        HttpRun run;
        bench_over_http(run, "openai", "stream = true", {"--faults", "reset:0.1,malformed:0.1,truncate:0.1"});
        REQUIRE(run.r.exit_code == 0);
        check_nothing_lost(run.db);
        CHECK(sql(run.db, "select count(*) from results where status = 'error' and error_kind not in "
                          "('transport', 'bad_response')") == "0\n");
    }
    SUBCASE("streams cut before their terminator are retried like resets and all end scored") {
        for (const char* protocol : {"openai", "anthropic"}) {
            CAPTURE(protocol);
            HttpRun run;
            bench_over_http(run, protocol, "stream = true\nmax_retries = 6", {"--faults", "truncate:0.3"});
            REQUIRE(run.r.exit_code == 0);
            check_nothing_lost(run.db);
            CHECK(sql(run.db, "select count(*) from results where status = 'scored'") == "36\n");
            CHECK(std::stoi(sql(run.db, "select sum(retries) from results")) > 0);
        }
    }
    SUBCASE("a streamed context-length 400 is recorded as context_length with the server's message") {
        HttpRun run;
        bench_over_http(run, "openai", "stream = true", {"--faults", "context@1-5"}, {"-j", "1"});
        REQUIRE(run.r.exit_code == 0);
        CHECK(sql(run.db, "select count(*), max(retries) from results where error_kind = 'context_length' "
                          "and error like '%maximum context length%'") == "5|0\n");
    }
    SUBCASE("a hang past the first-byte timeout is a timeout, retried") {
        HttpRun run;
        bench_over_http(run, "openai", "first_byte_timeout_s = 0.5\nmax_retries = 2", {"--faults", "hang=3@1-2"},
                        {"-j", "1"});
        REQUIRE(run.r.exit_code == 0);
        check_nothing_lost(run.db);
        CHECK(sql(run.db, "select count(*) from results where status = 'scored'") == "36\n");
        CHECK(sql(run.db, "select max(retries) from results") == "2\n");
    }
    SUBCASE("a context-length 400 is recorded as context_length, not retried") {
        HttpRun run;
        bench_over_http(run, "anthropic", "", {"--faults", "context@1-5"}, {"-j", "1"});
        REQUIRE(run.r.exit_code == 0);
        CHECK(sql(run.db, "select count(*), max(retries) from results where error_kind = 'context_length'") == "5|0\n");
    }
    SUBCASE("a wrong key is an auth error on every task, exit 3, and the key is never recorded") {
        HttpRun run;
        setenv("ORCH_TEST_SERVER_KEY", "sk-server-RIGHT-5b1c", 1); // the server reads its key from here
        bench_over_http(run, "openai", "api_key_env = \"ORCH_TEST_CLIENT_KEY\"",
                        {"--api-key-env", "ORCH_TEST_SERVER_KEY"}, {},
                        {"ORCH_TEST_CLIENT_KEY=sk-client-WRONG-7f3a9", "ORCH_TEST_SERVER_KEY=sk-server-RIGHT-5b1c"});
        unsetenv("ORCH_TEST_SERVER_KEY");
        CHECK(run.r.exit_code == 3);
        CHECK(run.r.err.find("sk-client-WRONG") == std::string::npos);
        CHECK(sql(run.db, "select count(*) from results where error_kind = 'auth'") == "36\n");
    }
}

TEST_CASE("http::Retry-After is honoured") {
    HttpRun run;
    bench_over_http(run, "openai", "", {"--faults", "429=1.5@1"}, {"-j", "1"});
    REQUIRE(run.r.exit_code == 0);
    // The first request waited out the server's 1.5 s before its retry succeeded.
    std::string first = sql(run.db, "select retries, latency_ms >= 1500 from results where retries > 0");
    CHECK(first == "1|1\n");
}

TEST_CASE("http::secrets never reach the database, output, reports or logs") {
    const std::string secret = "sk-orch-test-SECRET-4e8f1a2b3c";
    TempDir dir;
    std::string fleet = dir.write("fleet.toml", orch::test::read_text(orch::test::source_path("providers.toml")));
    std::string log = dir.file("requests.jsonl");
    std::vector<std::string> env = {"ORCH_SECRET_KEY=" + secret};
    // The server requires the same key, read from its own environment.
    setenv("ORCH_SECRET_KEY", secret.c_str(), 1);
    SimServerProcess server(fleet, {"--suites", orch::test::source_path("tasks"), "--latency-scale", "0",
                                    "--api-key-env", "ORCH_SECRET_KEY", "--log", log, "--faults", "500:0.2"});
    unsetenv("ORCH_SECRET_KEY");
    std::string providers = dir.write("providers.toml",
                                      http_fleet_providers("openai", server.base_url(), "api_key_env = \"ORCH_SECRET_KEY\""));
    std::string db = dir.file("s.db");
    auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite",
                       orch::test::source_path("tasks/support_triage.toml"), "-t", "sim-mid"},
                      "", "", env);
    REQUIRE(r.exit_code == 0);
    CHECK(sql(db, "select count(*) from results where status = 'scored'") == "36\n");
    auto report = run_orch({"--db", db, "report"});
    auto runs = run_orch({"--db", db, "runs", "list", "--json"});
    server.stop();
    for (const std::string* text : {&r.out, &r.err, &report.out, &runs.out}) {
        CHECK(text->find(secret) == std::string::npos);
    }
    run_shell("sqlite3 " + shell_quote(db) + " 'pragma wal_checkpoint(truncate)'");
    CHECK(orch::test::read_text(db).find(secret) == std::string::npos);
    std::string logged = orch::test::read_text(log);
    CHECK(logged.find("\"path\"") != std::string::npos); // the log was written...
    CHECK(logged.find(secret) == std::string::npos);     // ...without the key
}

TEST_CASE("http::a second identical run is served from the cache: no provider calls") {
    TempDir dir;
    std::string fleet = dir.write("fleet.toml", orch::test::read_text(orch::test::source_path("providers.toml")));
    std::string log = dir.file("requests.jsonl");
    SimServerProcess server(fleet, {"--suites", orch::test::source_path("tasks"), "--latency-scale", "0.05", "--log", log});
    std::string providers = dir.write("providers.toml", http_fleet_providers("openai", server.base_url()));
    std::string db = dir.file("c.db");
    std::vector<std::string> args = {"--providers", providers, "--db", db, "bench", "--suite",
                                     orch::test::source_path("tasks/support_triage.toml"), "-t", "sim-small"};
    REQUIRE(run_orch(args).exit_code == 0);
    auto lines = [&] { return run_shell("wc -l < " + shell_quote(log)).out; };
    std::string after_first = lines();
    REQUIRE(run_orch(args).exit_code == 0);
    CHECK(lines() == after_first);
    const char* q = "select task_id, score, latency_ms from results where run_id = %d order by task_id";
    char a[160], b[160];
    std::snprintf(a, sizeof a, q, 1);
    std::snprintf(b, sizeof b, q, 2);
    CHECK(sql(db, a) == sql(db, b));
    CHECK(sql(db, "select count(*) from results where run_id = 2 and cached = 1") == "36\n");
}
