// A routing policy as a benchmark target: a leaderboard row like a model's, with the route
// of every task recorded.
#include "support/process.hpp"

#include <doctest/doctest.h>

using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;
using orch::test::sql;

namespace {
} // namespace

TEST_CASE("cli::bench --target policy:default") {
    TempDir dir;
    std::string db = dir.file("p.db");
    auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench", "--suite",
                       orch::test::source_path("tasks"), "-t", "sim-frontier", "-t", "policy:default"});
    REQUIRE(r.exit_code == 0);
    auto value = [&](const std::string& target, const char* what) {
        return std::stod(sql(db, std::string("select ") + what + " from results where target = '" + target + "'"));
    };

    SUBCASE("costs less than the frontier model alone while keeping quality within 0.05") {
        CHECK(r.out.find("policy:default") != std::string::npos);
        double policy_cost = value("policy:default", "sum(cost_usd)");
        double frontier_cost = value("sim-frontier", "sum(cost_usd)");
        CHECK(policy_cost < frontier_cost * 0.5);
        CHECK(value("policy:default", "avg(score)") > value("sim-frontier", "avg(score)") - 0.05);
    }
    SUBCASE("records the route of every task: rule, model used and the chain tried") {
        CHECK(sql(db, "select count(*) from results where target = 'policy:default' and sequential_ms is null and "
                      "trajectory is null and context is null and (route is null or json_extract(route, '$.rule') is null or "
                      "model = '')") == "0\n");
        // a conversation's result carries each call's route: the answer by the default rule, the
        // compactions by the summaries' canary
        CHECK(sql(db, "select count(*) from results where target = 'policy:default' and context is not null and "
                      "json_extract(route, '$.steps.\"context:answer\".rule') != 'default'") == "0\n");
        CHECK(sql(db, "select distinct json_extract(route, '$.rule') from step_results where target = "
                      "'policy:default' and step_type = 'compact'") == "summaries-canary\n");
        // an agent's result carries each turn's route: the first turn planned by the frontier model, the
        // turns after the tools by the mid model
        CHECK(sql(db, "select count(*) from results where target = 'policy:default' and trajectory is not null and "
                      "json_extract(route, '$.steps.turn1.rule') != 'agent-plans'") == "0\n");
        CHECK(sql(db, "select distinct model from step_results where target = 'policy:default' and step_id = "
                      "'turn1' and step_type = 'agent_turn'") == "sim-frontier\n");
        CHECK(sql(db, "select distinct json_extract(route, '$.rule') from step_results where target = "
                      "'policy:default' and step_id = 'turn2' and step_type = 'agent_turn'") == "agent-follows-up\n");
        // a workflow's result carries each step's route; each step's own row has its rule
        CHECK(sql(db, "select count(*) from results where target = 'policy:default' and sequential_ms is not null "
                      "and json_extract(route, '$.steps') is null") == "0\n");
        CHECK(sql(db, "select count(*) from step_results where target = 'policy:default' and "
                      "json_extract(route, '$.rule') is null") == "0\n");
        CHECK(sql(db, "select distinct model from results where target = 'policy:default' and "
                      "suite = 'support-triage'") == "sim-small\n");
        // a routed request per single-step task, per workflow step (208 + 2 workflows x 36 tasks x 4 steps) and
        // per agent turn and per conversation call (compactions and answers)
        CHECK(sql(db, "select count(*) - 496 from route_log where policy = 'default'") ==
              sql(db, "select count(*) from step_results where target = 'policy:default' and (step_type = 'agent_turn' "
                      "or step_id like 'context:%')"));
    }
    SUBCASE("sensitive suites never reach an external model") {
        CHECK(sql(db, "select distinct model from results where target = 'policy:default' and "
                      "suite = 'pii-requests'") == "sim-local\n");
    }
    SUBCASE("an unknown policy is a config error before anything runs") {
        auto bad = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", dir.file("x.db"),
                             "bench", "--suite", orch::test::source_path("tasks"), "-t", "policy:nope"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("--target policy:nope") != std::string::npos);
    }
}

TEST_CASE("cli::diff of two policies replayed over the golden suites") {
    TempDir dir;
    std::string db = dir.file("d.db");
    std::vector<std::string> common = {"--providers", orch::test::source_path("providers.toml"), "--db", db};
    // Models already run: the policies' replays should be answered from the cache.
    auto warm = common;
    for (const char* a : {"bench", "--suite", "", "-t", "sim-frontier", "-t", "sim-mid", "-t", "sim-small", "-t",
                          "sim-local"}) {
        warm.push_back(a);
    }
    // The single-step suites: a workflow's later steps read what the steps before them
    // answered, so under a policy their requests differ from any model's and are not cached.
    std::vector<std::string> suites;
    for (const char* s : {"arithmetic_reasoning", "customer_replies", "lead_extraction", "meeting_summary",
                          "pii_requests", "support_triage", "tool_routing"}) {
        suites.push_back(orch::test::source_path(std::string("tasks/") + s + ".toml"));
    }
    warm[6] = suites[0];
    for (std::size_t i = 1; i < suites.size(); ++i) {
        warm.push_back("--suite");
        warm.push_back(suites[i]);
    }
    REQUIRE(run_orch(warm).exit_code == 0);
    auto diff = common;
    for (const char* a : {"diff", "policy:default", "policy:default", "--suite", ""}) {
        diff.push_back(a);
    }
    diff.back() = suites[0];
    for (std::size_t i = 1; i < suites.size(); ++i) {
        diff.push_back("--suite");
        diff.push_back(suites[i]);
    }
    auto r = run_orch(diff);
    SUBCASE("a policy against itself: no significant difference, exit 0") {
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("no significant difference") != std::string::npos);
    }
    SUBCASE("the replays spend nothing new on models already run") {
        CHECK(r.err.find("$0.0000 spent") != std::string::npos);
        CHECK(sql(db, "select count(*) from results r join runs on runs.id = r.run_id where "
                      "runs.command like '%diff%' and r.cached = 0 and r.route is not null and "
                      "json_extract(r.route, '$.chain[0].model') = r.model") == "0\n");
    }
}
