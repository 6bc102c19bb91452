// orch bench as CI runs it: cache, dry run, budget cap, resume, interrupt, quality gates.
#include "support/process.hpp"

#include <chrono>
#include <csignal>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <thread>

using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;
using orch::test::sql;

namespace {


std::vector<std::string> bench(const std::string& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--providers", orch::test::source_path("providers.toml"), "--db", db,
                                     "bench", "--suite", orch::test::source_path("tasks")};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

double number_after(const std::string& text, const std::string& label) {
    size_t at = text.find(label);
    REQUIRE(at != std::string::npos);
    size_t dollar = text.find('$', at);
    return std::stod(text.substr(dollar + 1));
}

} // namespace

TEST_CASE("cli::bench response cache") {
    TempDir dir;
    std::string db = dir.file("c.db");
    REQUIRE(run_orch(bench(db, {"-t", "sim-small"})).exit_code == 0);
    auto second = run_orch(bench(db, {"-t", "sim-small"}));
    REQUIRE(second.exit_code == 0);

    SUBCASE("a second identical run is served from the cache with the same scores and latencies") {
        CHECK(sql(db, "select count(*) from results where run_id = 2 and cached = 0") == "0\n");
        const char* q = "select task_id, score, latency_ms, output from results where run_id = %d order by suite, task_id";
        char a[256], b[256];
        std::snprintf(a, sizeof a, q, 1);
        std::snprintf(b, sizeof b, q, 2);
        CHECK(sql(db, a) == sql(db, b));
        CHECK(second.err.find("spent $0.0000") != std::string::npos);
    }
    SUBCASE("--no-cache calls the models again") {
        REQUIRE(run_orch(bench(db, {"-t", "sim-small", "--no-cache"})).exit_code == 0);
        CHECK(sql(db, "select count(*) from results where run_id = 3 and cached = 1") == "0\n");
    }
}

TEST_CASE("cli::bench --dry-run") {
    TempDir dir;
    std::string db = dir.file("d.db");
    auto dry = run_orch(bench(db, {"--dry-run"}));
    REQUIRE(dry.exit_code == 0);
    SUBCASE("calls nothing and writes nothing") {
        CHECK_FALSE(std::filesystem::exists(db));
        CHECK(dry.out.find("no model called") != std::string::npos);
    }
    SUBCASE("estimates the simulated fleet's cost within 10%") {
        double estimate = number_after(dry.out, "\ntotal");
        REQUIRE(run_orch(bench(db)).exit_code == 0);
        double actual = std::stod(sql(db, "select sum(cost_usd) from results"));
        CHECK(actual > 0);
        CHECK(std::abs(estimate - actual) / actual < 0.10);
    }
}

TEST_CASE("cli::bench --max-cost") {
    TempDir dir;
    std::string db = dir.file("m.db");
    auto r = run_orch(bench(db, {"-t", "sim-frontier", "--no-cache", "-j", "4", "--max-cost", "0.05"}));
    SUBCASE("stops starting work at the cap, within one in-flight batch, exit 4") {
        CHECK(r.exit_code == 4);
        CHECK(sql(db, "select status from runs") == "budget_exceeded\n");
        double spent = std::stod(sql(db, "select sum(cost_usd + judge_cost_usd) from results"));
        double max_call = std::stod(sql(db, "select max(cost_usd + judge_cost_usd) from results"));
        CHECK(spent >= 0.05);
        CHECK(spent <= 0.05 + 4 * max_call);
        CHECK(std::stoi(sql(db, "select count(*) from results")) < 346);
    }
    SUBCASE("--resume finishes the run without repeating a task") {
        auto resumed = run_orch(bench(db, {"-t", "sim-frontier", "--no-cache", "--resume", "1"}));
        CHECK(resumed.exit_code == 0);
        CHECK(sql(db, "select count(*), count(distinct suite || task_id) from results") == "346|346\n");
        CHECK(sql(db, "select status from runs") == "completed\n");
    }
}

TEST_CASE("cli::bench quality gates") {
    TempDir dir;
    std::string db = dir.file("g.db");
    SUBCASE("--fail-under exits 1 naming the target that missed") {
        auto r = run_orch(bench(db, {"-t", "sim-small", "--fail-under", "0.95"}));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("gate failed: sim-small: quality") != std::string::npos);
        CHECK(run_orch(bench(db, {"-t", "sim-small", "--fail-under", "0.5"})).exit_code == 0);
    }
    SUBCASE("a committed baseline file catches a regression") {
        std::string base = dir.file("baseline.json");
        REQUIRE(run_orch(bench(db, {"-t", "sim-frontier", "--write-baseline", base})).exit_code == 0);
        // Pretend the frontier model got worse: the same target name on the small model's results.
        std::string text = orch::test::read_text(base);
        CHECK(text.find("\"sim-frontier\"") != std::string::npos);
        CHECK(run_orch(bench(db, {"-t", "sim-frontier", "--baseline", base})).exit_code == 0);
        std::string raised = text;
        size_t q = raised.find("\"quality\": ");
        raised.replace(q, raised.find_first_of(",\n", q) - q, "\"quality\": 0.999");
        std::ofstream(base) << raised;
        auto r = run_orch(bench(db, {"-t", "sim-frontier", "--baseline", base}));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("regressed from the baseline's 0.999") != std::string::npos);
    }
    SUBCASE("a broken baseline file is a config error before any spend") {
        std::string bad = dir.write("bad.json", "{\"targets\": {\"x\": {\"quality\": \"high\"}}}");
        auto r = run_orch(bench(db, {"--baseline", bad}));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("targets.x.quality: expected a number") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(db));
    }
}

TEST_CASE("cli::bench interrupted by SIGINT") {
    TempDir dir;
    std::string db = dir.file("i.db");
    std::string cmd = "exec " + shell_quote(ORCH_BINARY);
    for (const auto& a : bench(db, {"-t", "sim-mid", "--sim-sleep", "-j", "8", "--no-cache"})) {
        cmd += " " + shell_quote(a);
    }
    // Start in the background, interrupt after a moment, and collect the exit code.
    std::string script = cmd + " > /dev/null 2> " + shell_quote(dir.file("err")) + " & pid=$!; sleep 1.0; kill -INT $pid; wait $pid; echo $?";
    auto r = run_shell(script);
    SUBCASE("finishes in-flight work, records the partial run and exits 130") {
        CHECK(r.out == "130\n");
        CHECK(sql(db, "select status from runs") == "interrupted\n");
        int n = std::stoi(sql(db, "select count(*) from results"));
        CHECK(n > 0);
        CHECK(n < 346);
        CHECK(orch::test::read_text(dir.file("err")).find("--resume 1") != std::string::npos);
    }
    SUBCASE("then resumes to exactly one result per task") {
        auto resumed = run_orch(bench(db, {"-t", "sim-mid", "--no-cache", "--resume", "1"}));
        CHECK(resumed.exit_code == 0);
        CHECK(sql(db, "select count(*), count(distinct suite || '/' || task_id) from results") == "346|346\n");
        CHECK(sql(db, "pragma integrity_check") == "ok\n");
    }
}

TEST_CASE("cli::bench stopped by SIGTERM finishes in-flight work like SIGINT and exits 143") {
    TempDir dir;
    std::string db = dir.file("t.db");
    std::string cmd = "exec " + shell_quote(ORCH_BINARY);
    for (const auto& a : bench(db, {"-t", "sim-mid", "--sim-sleep", "-j", "8", "--no-cache"})) {
        cmd += " " + shell_quote(a);
    }
    auto r = run_shell(cmd + " > /dev/null 2> " + shell_quote(dir.file("err")) +
                       " & pid=$!; sleep 1.0; kill -TERM $pid; wait $pid; echo $?");
    CHECK(r.out == "143\n");
    CHECK(sql(db, "select status from runs") == "interrupted\n");
    CHECK(sql(db, "select count(*) from results where status = 'error'") == "0\n");
    CHECK(orch::test::read_text(dir.file("err")).find("--resume 1") != std::string::npos);
}
