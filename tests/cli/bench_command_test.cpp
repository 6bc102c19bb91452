// The built orch binary run as a process: exit codes, output, and the database on disk.
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <cmath>
#include <filesystem>
#include <sstream>

using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;
using orch::test::sql;

namespace {


std::vector<std::string> bench_args(const std::string& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--providers", orch::test::source_path("providers.toml"), "--db", db,
                                     "bench", "--suite", orch::test::source_path("tasks")};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

const char* k_suite = R"(
name = "mini"
type = "classify"
dataset = "data.jsonl"
reference = "label"
choices = ["a", "b"]
[prompt]
user = "Text: {{text}}"
[[evaluators]]
kind = "equals"
value = "{{label}}"
)";

// Runs bench over a one-suite folder and expects a located config error and no database.
std::string expect_bad_input(const std::string& suite, const std::string& data) {
    TempDir dir;
    dir.write("tasks/s.toml", suite);
    dir.write("tasks/data.jsonl", data);
    std::string db = dir.file("out.db");
    auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench",
                       "--suite", dir.file("tasks")});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_FALSE(std::filesystem::exists(db));
    CHECK(r.err.rfind("orch: error: ", 0) == 0);
    return r.err;
}

} // namespace

TEST_CASE("cli::bench on the default suites") {
    TempDir dir;
    std::string db = dir.file("a.db");
    auto r = run_orch(bench_args(db, {"--seed", "7"}));
    REQUIRE(r.exit_code == 0);

    SUBCASE("prints a leaderboard with every model, labelled simulated") {
        for (const char* model : {"sim-frontier", "sim-mid", "sim-small", "sim-local"}) {
            CHECK(r.out.find(model) != std::string::npos);
        }
        CHECK(r.out.find("SIMULATED") != std::string::npos);
        CHECK(r.out.find("reason") != std::string::npos);
    }
    SUBCASE("writes one result row per task × target with score, tokens, cost and reasons") {
        std::string tasks = sql(db, "select count(distinct suite || '/' || task_id) from results");
        std::string rows = sql(db, "select count(*) from results");
        CHECK(std::stoi(rows) == std::stoi(tasks) * 4);
        CHECK(std::stoi(tasks) >= 6 * 20);
        CHECK(sql(db, "select count(*) from results where status = 'scored' and (score is null or "
                      "input_tokens = 0 or output_tokens = 0 or evaluations = '[]')") == "0\n");
        CHECK(sql(db, "select count(*) from results where target = 'sim-frontier' and cost_usd <= 0") == "0\n");
        CHECK(sql(db, "select count(distinct suite) from results") == "11\n");
    }
    SUBCASE("records the run's lineage") {
        std::string lineage = sql(db, "select length(providers_hash), status, seed, orch_version != '' from runs");
        CHECK(lineage == "64|completed|7|1\n");
        CHECK(sql(db, "select count(*) from results where length(suite_hash) != 64") == "0\n");
        CHECK(sql(db, "pragma user_version") == "6\n");
    }
    SUBCASE("the same seed gives byte-identical scores; another seed differs") {
        std::string db2 = dir.file("b.db");
        std::string db3 = dir.file("c.db");
        REQUIRE(run_orch(bench_args(db2, {"--seed", "7"})).exit_code == 0);
        REQUIRE(run_orch(bench_args(db3, {"--seed", "8"})).exit_code == 0);
        const char* q = "select suite, task_id, target, score, output, latency_ms from results order by 1,2,3";
        CHECK(sql(db, q) == sql(db2, q));
        CHECK(sql(db, q) != sql(db3, q));
        // Statistically similar: mean quality per model within 0.1 between seeds.
        const char* mean_q = "select target, avg(score) from results group by target order by target";
        auto a = orch::test::run_shell("sqlite3 " + shell_quote(db) + " " + shell_quote(mean_q)).out;
        auto c = orch::test::run_shell("sqlite3 " + shell_quote(db3) + " " + shell_quote(mean_q)).out;
        std::istringstream ia(a), ic(c);
        std::string la, lc;
        while (std::getline(ia, la) && std::getline(ic, lc)) {
            double va = std::stod(la.substr(la.find('|') + 1));
            double vc = std::stod(lc.substr(lc.find('|') + 1));
            CHECK(std::abs(va - vc) < 0.1);
        }
    }
    SUBCASE("rankings differ by task type: small wins cost on classify, frontier wins reasoning") {
        auto q = [&](const std::string& target, const std::string& type, const char* what) {
            return std::stod(sql(db, "select " + std::string(what) + " from results where target = '" + target +
                                         "' and task_type = '" + type + "'"));
        };
        CHECK(q("sim-frontier", "reason", "avg(score)") > q("sim-small", "reason", "avg(score)") + 0.25);
        CHECK(q("sim-small", "classify", "avg(score)") > 0.75);
        CHECK(q("sim-small", "classify", "avg(cost_usd)") * 10 < q("sim-frontier", "classify", "avg(cost_usd)"));
    }
    SUBCASE("orch report and orch runs list read the database") {
        auto rep = run_orch({"--db", db, "report"});
        CHECK(rep.exit_code == 0);
        CHECK(r.out.rfind(rep.out, 0) == 0); // bench adds the judge calibration after the leaderboard
        auto runs = run_orch({"--db", db, "runs", "list"});
        CHECK(runs.exit_code == 0);
        CHECK(runs.out.find("completed") != std::string::npos);
    }
}

TEST_CASE("cli::bench rejects bad input with one located error and writes nothing") {
    const std::string good_row = "{\"text\": \"x\", \"label\": \"a\"}\n";
    SUBCASE("malformed TOML") {
        std::string err = expect_bad_input("name = \"mini\"\ntype = \n", good_row);
        CHECK(err.find("s.toml:2:") != std::string::npos);
        CHECK(err.find("invalid TOML") != std::string::npos);
    }
    SUBCASE("a wrong type") {
        std::string suite = "threshold = \"high\"\n" + std::string(k_suite);
        std::string err = expect_bad_input(suite, good_row);
        CHECK(err.find("threshold: expected a number, got the string \"high\"") != std::string::npos);
    }
    SUBCASE("an unknown key") {
        std::string err = expect_bad_input("temprature = 0\n" + std::string(k_suite), good_row);
        CHECK(err.find("s.toml:1:1: temprature: unknown key") != std::string::npos);
    }
    SUBCASE("a missing dataset file") {
        TempDir dir;
        dir.write("tasks/s.toml", k_suite);
        auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", dir.file("x.db"),
                           "bench", "--suite", dir.file("tasks")});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("dataset: dataset file not found") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(dir.file("x.db")));
    }
    SUBCASE("a template variable missing from a row") {
        std::string err = expect_bad_input(k_suite, good_row + "{\"txt\": \"y\", \"label\": \"b\"}\n");
        CHECK(err.find("data.jsonl:2: prompt: template variable {{text}} is not in this row") != std::string::npos);
    }
    SUBCASE("an invalid regex") {
        std::string suite = std::string(k_suite) + "[[evaluators]]\nkind = \"regex\"\npattern = \"(a\"\n";
        std::string err = expect_bad_input(suite, good_row);
        // Once, at the suite file's line and key, not at each dataset row.
        CHECK(err.find("s.toml:14:11: evaluators[1].pattern: regex: pattern: invalid RE2 syntax") != std::string::npos);
        CHECK(err.find("data.jsonl") == std::string::npos);
    }
    SUBCASE("an invalid JSON schema") {
        std::string suite = std::string(k_suite) + "[[evaluators]]\nkind = \"json_schema\"\nschema = { type = \"strnig\" }\n";
        std::string err = expect_bad_input(suite, good_row);
        CHECK(err.find("json_schema") != std::string::npos);
        CHECK(err.find("type") != std::string::npos);
    }
    SUBCASE("an unknown target model") {
        TempDir dir;
        auto r = run_orch(bench_args(dir.file("x.db"), {"-t", "gpt-17"}));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--target: no model named \"gpt-17\"") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(dir.file("x.db")));
    }
}

TEST_CASE("cli::small commands") {
    SUBCASE("--version and --help answer with exit 0") {
        auto v = run_orch({"--version"});
        CHECK(v.exit_code == 0);
        CHECK(v.out.find("orch ") == 0);
        for (const char* cmd : {"bench", "report", "tasks", "providers", "runs"}) {
            auto h = run_orch({cmd, "--help"});
            CHECK(h.exit_code == 0);
            CHECK(h.out.find("Usage") != std::string::npos);
        }
    }
    SUBCASE("tasks validate checks every default suite without calling a model") {
        auto r = run_orch({"tasks", "validate", orch::test::source_path("tasks")});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("11 suites") != std::string::npos);
    }
    SUBCASE("providers list shows the fleet and never a key") {
        auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "providers", "list"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("sim-frontier") != std::string::npos);
        CHECK(r.out.find("simlocal") != std::string::npos);
    }
    SUBCASE("an unknown command is a usage error, exit 2") {
        auto r = run_orch({"frobnicate"});
        CHECK(r.exit_code == 2);
    }
    SUBCASE("report without a database says so, exit 2") {
        TempDir dir;
        auto r = run_orch({"--db", dir.file("none.db"), "report"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("no results database") != std::string::npos);
    }
}
