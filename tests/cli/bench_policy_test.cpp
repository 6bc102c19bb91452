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
        CHECK(sql(db, "select count(*) from results where target = 'policy:default' and "
                      "(route is null or json_extract(route, '$.rule') is null or model = '')") == "0\n");
        CHECK(sql(db, "select distinct model from results where target = 'policy:default' and "
                      "suite = 'support-triage'") == "sim-small\n");
        CHECK(sql(db, "select count(*) from route_log where policy = 'default'") == "208\n");
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
    warm[6] = orch::test::source_path("tasks");
    REQUIRE(run_orch(warm).exit_code == 0);
    auto diff = common;
    for (const char* a : {"diff", "policy:default", "policy:default", "--suite", ""}) {
        diff.push_back(a);
    }
    diff.back() = orch::test::source_path("tasks");
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
