// Judges end to end through the built binary on the simulated fleet.
#include "support/process.hpp"

#include <doctest/doctest.h>

using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;
using orch::test::sql;

namespace {


// A fleet with one candidate and one judge whose behaviour the test sets.
std::string providers(const std::string& judge_profile) {
    return R"(
[providers.sim]
protocol = "sim"
[models.cand]
provider = "sim"
input_per_mtok = 1
output_per_mtok = 2
[models.cand.sim]
failure_rate = 0
skill = { default = 0.6 }
[models.judge]
provider = "sim"
input_per_mtok = 3
output_per_mtok = 15
[models.judge.sim]
failure_rate = 0
)" + judge_profile + "\n";
}

const char* k_suite = R"(
name = "judged"
type = "chat"
dataset = "data.jsonl"
reference = "reference"
threshold = 0.5
[prompt]
user = "{{q}}"
[[evaluators]]
kind = "%KIND%"
judge = "judge"
%PARAMS%
)";

std::string suite(const std::string& kind, const std::string& params) {
    std::string s = k_suite;
    s.replace(s.find("%KIND%"), 6, kind);
    s.replace(s.find("%PARAMS%"), 8, params);
    return s;
}

std::string rows() {
    std::string out;
    for (int i = 0; i < 20; ++i) {
        out += "{\"id\": \"r" + std::to_string(i) + "\", \"q\": \"Explain item " + std::to_string(i) +
               "\", \"reference\": \"Item " + std::to_string(i) +
               " ships from the Rotterdam warehouse within two business days after payment clears.\", \"difficulty\": 0.5}\n";
    }
    return out;
}

struct Bench {
    TempDir dir;
    std::string db;
    orch::test::ProcessResult r;
    Bench(const std::string& judge_profile, const std::string& suite_text) {
        dir.write("providers.toml", providers(judge_profile));
        dir.write("tasks/s.toml", suite_text);
        dir.write("tasks/data.jsonl", rows());
        db = dir.file("j.db");
        r = run_orch({"--providers", dir.file("providers.toml"), "--db", db, "bench", "--suite", dir.file("tasks"),
                      "-t", "cand"});
    }
};

} // namespace

TEST_CASE("bench::judging") {
    SUBCASE("a rubric judge scores every result and its calls are accounted separately") {
        Bench b("judge_error_rate = 0", suite("judge_rubric", "rubric = \"Correct and complete?\""));
        REQUIRE(b.r.exit_code == 0);
        CHECK(sql(b.db, "select count(*) from results where status = 'scored'") == "20\n");
        CHECK(sql(b.db, "select count(*) from judge_calls where status = 'scored' and judge_model = 'judge'") == "20\n");
        CHECK(sql(b.db, "select count(*) from results where judge_cost_usd > 0") == "20\n");
        // Judging cost is not counted as generation cost.
        CHECK(sql(b.db, "select abs(sum(r.judge_cost_usd) - (select sum(cost_usd) from judge_calls)) < 1e-12 "
                        "from results r") == "1\n");
    }
    SUBCASE("an unreadable judge leaves results unscored with the raw reply kept, after one retry") {
        Bench b("judge_error_rate = 1", suite("judge_reference", "reference = \"{{reference}}\""));
        REQUIRE(b.r.exit_code == 0);
        CHECK(sql(b.db, "select count(*) from results where status = 'unscored' and score is null") == "20\n");
        CHECK(sql(b.db, "select count(*) from judge_calls where status = 'unscored'") == "40\n");
        CHECK(sql(b.db, "select count(*) from judge_calls where raw_reply like '%reasonable%'") == "40\n");
        CHECK(sql(b.db, "select count(*) from results where error like '%unreadable after a retry%'") == "20\n");
    }
    SUBCASE("a position-biased pairwise judge produces ties, not a false winner") {
        Bench b("judge_position_bias = 1\njudge_error_rate = 0", suite("judge_pairwise", "baseline = \"{{reference}}\""));
        REQUIRE(b.r.exit_code == 0);
        CHECK(sql(b.db, "select count(*), min(score), max(score) from results") == "20|0.5|0.5\n");
        CHECK(sql(b.db, "select count(*) from results where evaluations like '%position bias%'") == "20\n");
    }
    SUBCASE("an unknown judge model is a config error before any call") {
        Bench b("", suite("judge_rubric", "rubric = \"x\"").replace(suite("judge_rubric", "rubric = \"x\"").find("judge = \"judge\""), 15, "judge = \"gpt-9\""));
        CHECK(b.r.exit_code == 2);
        CHECK(b.r.err.find("judge_rubric: judge: no model named \"gpt-9\"") != std::string::npos);
    }
}

TEST_CASE("bench::evaluator problems are located where they were written, and tasks validate finds them too") {
    TempDir dir;
    dir.write("providers.toml", providers(""));
    std::string text = suite("judge_rubric", "rubric = \"x\"");
    text.replace(text.find("judge = \"judge\""), 15, "judge = \"gpt-9\"");
    dir.write("tasks/s.toml", text);
    dir.write("tasks/data.jsonl", rows());
    auto count = [](const std::string& hay, const std::string& needle) {
        std::size_t n = 0;
        for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) {
            ++n;
        }
        return n;
    };
    const std::string expected = "s.toml:11:9: evaluators[0].judge: judge_rubric: judge: no model named \"gpt-9\"";

    SUBCASE("a suite's unknown judge: once, at the suite file's line and key, for bench and tasks validate") {
        auto b = run_orch({"--providers", dir.file("providers.toml"), "--db", dir.file("j.db"), "bench", "--suite",
                           dir.file("tasks"), "-t", "cand"});
        INFO(b.err);
        CHECK(b.exit_code == 2);
        CHECK(count(b.err, expected) == 1);
        CHECK(count(b.err, "no model named") == 1); // not once per row
        CHECK(b.err.find("data.jsonl") == std::string::npos);
        CHECK_FALSE(std::filesystem::exists(dir.file("j.db")));

        auto v = run_orch({"--providers", dir.file("providers.toml"), "tasks", "validate", dir.file("tasks")});
        INFO(v.out << v.err);
        CHECK(v.exit_code == 2);
        CHECK(count(v.err, expected) == 1);
        CHECK(v.out.find("valid") == std::string::npos);
    }
    SUBCASE("a judge a row's override brings is located at the row") {
        dir.write("tasks/s.toml", suite("judge_rubric", "rubric = \"x\""));
        dir.write("tasks/data.jsonl",
                  rows() + "{\"id\": \"odd\", \"q\": \"?\", \"reference\": \"r\", \"override\": {\"evaluators\": "
                           "[{\"kind\": \"judge_rubric\", \"judge\": \"gpt-8\", \"rubric\": \"x\"}]}}\n");
        auto v = run_orch({"--providers", dir.file("providers.toml"), "tasks", "validate", dir.file("tasks")});
        INFO(v.err);
        CHECK(v.exit_code == 2);
        CHECK(count(v.err, "data.jsonl:21: override.evaluators[0]: judge_rubric: judge: no model named \"gpt-8\"") ==
              1);
        CHECK(count(v.err, "no model named") == 1);
    }
    SUBCASE("the same suite with a known judge is valid") {
        dir.write("tasks/s.toml", suite("judge_rubric", "rubric = \"x\""));
        auto v = run_orch({"--providers", dir.file("providers.toml"), "tasks", "validate", dir.file("tasks")});
        INFO(v.err);
        CHECK(v.exit_code == 0);
        CHECK(v.out.find("1 suites, 20 tasks: valid") != std::string::npos);
    }
    SUBCASE("without a providers.toml, tasks validate says the judges were not checked") {
        auto v = run_orch({"--providers", dir.file("none.toml"), "tasks", "validate", dir.file("tasks")});
        CHECK(v.exit_code == 0);
        CHECK(v.err.find("none.toml not found: the models the suites name (judges) are not checked") !=
              std::string::npos);
    }
}
