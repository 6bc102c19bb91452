// Workflow suites ([[steps]]) through the built binary: located validation errors, steps run as
// a DAG (parallel branches from the recorded offsets), a row per step, failure propagation.
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <filesystem>

using orch::test::run_orch;
using orch::test::sql;
using orch::test::TempDir;

namespace {

std::vector<std::string> bench(const std::string& db, const std::string& suites, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench",
                                     "--suite", orch::test::source_path(suites)};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

} // namespace

TEST_CASE("cli::bench workflow: every graph problem at once, located, nothing written") {
    TempDir dir;
    std::string db = dir.file("bad.db");
    auto r = run_orch(bench(db, "tests/data/workflow/bad", {"-t", "sim-small"}));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("broken.toml:22:1: steps[3].prompt: missing") != std::string::npos);
    CHECK(r.err.find("broken.toml:16:1: steps[2].id: duplicate step id \"b\"") != std::string::npos);
    CHECK(r.err.find("broken.toml:9:8: steps[0].prompt.user: {{steps.c.output}} names no step") != std::string::npos);
    CHECK(r.err.find("broken.toml:18:9: steps[2].needs: no step \"nowhere\"") != std::string::npos);
    CHECK(r.err.find("a cycle: a → b → a") != std::string::npos);
    CHECK(r.err.find("(5 problems)") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
    // tasks validate checks the same before anything is called
    auto v = run_orch({"--providers", orch::test::source_path("providers.toml"), "tasks", "validate",
                       orch::test::source_path("tests/data/workflow/bad")});
    CHECK(v.exit_code == 2);
}

TEST_CASE("cli::bench workflow: steps as a DAG, a row each, failures skip what depends on them") {
    TempDir dir;
    std::string db = dir.file("w.db");
    auto r = run_orch(bench(db, "tests/data/workflow/tasks", {"-t", "sim-small", "-t", "policy:default"}));
    REQUIRE(r.exit_code == 0);
    CHECK(sql(db, "select count(*) from results") == "24\n");
    CHECK(sql(db, "select count(*) from step_results") == "96\n");
    // classify and brief both need only extract: they start together, when extract ends
    CHECK(sql(db, "select count(*) from step_results c join step_results b using (run_id, task_id, target, repeat) "
                  "join step_results e using (run_id, task_id, target, repeat) where c.step_id = 'classify' and "
                  "b.step_id = 'brief' and e.step_id = 'extract' and abs(c.start_ms - b.start_ms) < 50 and "
                  "c.start_ms >= e.end_ms and c.status != 'skipped'") == "24\n");
    // end to end is the critical path, shorter than the steps one after another
    CHECK(sql(db, "select count(*) from results where status = 'scored' and latency_ms < sequential_ms") == "23\n");
    // the critical path is the latest step's end
    CHECK(sql(db, "select count(*) from results r where abs(r.latency_ms - (select max(end_ms) from step_results s "
                  "where s.task_id = r.task_id and s.target = r.target and s.status != 'skipped')) > 0.01") == "0\n");
    // l5's brief exceeds the small model's context: it fails, explain is skipped, the task is an error
    CHECK(sql(db, "select step_id, status, error_kind from step_results where task_id = 'l5' and target = "
                  "'sim-small' order by step_id") ==
          "brief|error|context_length\nclassify|scored|\nexplain|skipped|upstream\nextract|scored|\n");
    CHECK(sql(db, "select status, failed_step from results where task_id = 'l5' and target = 'sim-small'") ==
          "error|brief\n");
    // under the policy each step is routed by its own type: classify goes to the small model
    CHECK(sql(db, "select distinct model from step_results where target = 'policy:default' and step_id = "
                  "'classify'") == "sim-small\n");
    CHECK(sql(db, "select count(*) from results where target = 'policy:default' and route like '%\"classify\"%'") ==
          "12\n");
}
