// A bandit policy learning from its own traffic, as a user runs it: orch bench logs each
// request's propensity and reward and keeps what the rule learned in SQLite; the next run
// starts from it; orch feedback teaches it too; the same seed and state give the same choices;
// and orch tune --ips estimates another policy on the logged traffic within its interval of
// what that policy then measures.
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <nlohmann/json.hpp>

using orch::test::run_orch;
using orch::test::source_path;
using orch::test::sql;
using orch::test::TempDir;

namespace {


const char* k_bandit = R"(name = "bandit"
[[rules]]
name = "learn"
action = "bandit"
models = ["sim-frontier", "sim-mid", "sim-small", "sim-local"]
epsilon = 0.3
lambda = 20
seed = 1
)";

struct Setup {
    TempDir dir;
    std::string providers = source_path("providers.toml");
    std::vector<std::string> suites = {"--suite", source_path("tasks/arithmetic_reasoning.toml"),
                                       "--suite", source_path("tasks/lead_extraction.toml"),
                                       "--suite", source_path("tasks/support_triage.toml")};
    Setup() {
        dir.write("bandit.toml", k_bandit);
        dir.write("mid.toml",
              "name = \"only-mid\"\n[[rules]]\nname = \"mid\"\naction = \"fixed\"\nmodel = \"sim-mid\"\n");
    }
    orch::test::ProcessResult bench(const std::string& db, const std::string& policy,
                                    std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"--providers", providers, "--db", db, "bench"};
        args.insert(args.end(), suites.begin(), suites.end());
        args.insert(args.end(), {"-t", "policy:" + dir.file(policy), "--repeat", "3", "-j", "1"});
        args.insert(args.end(), extra.begin(), extra.end());
        return run_orch(args, dir.path().string());
    }
};

} // namespace

TEST_CASE("cli::bandit learns from its own traffic and logs its propensities") {
    Setup s;
    std::string db = s.dir.file("b.db");
    REQUIRE(s.bench(db, "bandit.toml").exit_code == 0);
    int results = std::stoi(sql(db, "select count(*) from results where run_id = 1"));
    CHECK(results > 200);
    // Every request is logged with the probability of its first model: 1 - ε + ε/N when it
    // took the greedy choice, ε/N when it explored.
    CHECK(sql(db, "select count(*) from route_log where online = 1") == std::to_string(results) + "\n");
    CHECK(sql(db, "select count(*) from route_log where abs(propensity - 0.775) > 1e-9 and "
                  "abs(propensity - 0.075) > 1e-9") == "0\n");
    int explored = std::stoi(sql(db, "select count(*) from route_log where abs(propensity - 0.075) < 1e-9"));
    CHECK(explored > results / 10);
    CHECK(sql(db, "select count(*) from route_log where reward is null") == "0\n");
    CHECK(sql(db, "select count(*) from route_log where prompt is null or prompt = ''") == "0\n");
    // What it learned is one observation per request the chosen model answered.
    int learned = std::stoi(sql(db, "select cast(sum(n) as integer) from bandit_state"));
    CHECK(learned == results);
    CHECK(sql(db, "select count(distinct model) from bandit_state where task_type = 'reason'") == "4\n");

    // The next run starts from it, and adds to it.
    REQUIRE(s.bench(db, "bandit.toml").exit_code == 0);
    CHECK(std::stoi(sql(db, "select cast(sum(n) as integer) from bandit_state")) == 2 * results);

    // The same seed and the same state: the same choices.
    std::string again = s.dir.file("again.db");
    REQUIRE(s.bench(again, "bandit.toml").exit_code == 0);
    std::string q = "select request_id, json_extract(chain, '$[0].model'), propensity from "
                    "route_log where request_id like 'run1/%' order by request_id";
    CHECK(sql(again, q) == sql(db, q));

    // orch feedback on a request the bandit routed teaches it.
    std::string fb = s.dir.file("fb.db");
    auto routed = run_orch({"--providers", s.providers, "--db", fb, "route", "--policy",
                            s.dir.file("bandit.toml"), "--type", "extract", "--json",
                            "Extract the company: Acme Corp signed today."},
                           s.dir.path().string());
    REQUIRE(routed.exit_code == 0);
    auto envelope = nlohmann::json::parse(routed.out);
    std::string id = envelope["request_id"];
    CHECK(sql(fb, "select count(*) from bandit_state") == "0\n");
    REQUIRE(run_orch({"--db", fb, "feedback", id, "0.25"}).exit_code == 0);
    CHECK(sql(fb, "select task_type, n, reward_sum from bandit_state") == "extract|1.0|0.25\n");
    auto explained = run_orch({"--providers", s.providers, "--db", fb, "route", "--policy",
                               s.dir.file("bandit.toml"), "--type", "extract", "--explain", "--json",
                               "Extract the company: Acme Corp signed today."},
                              s.dir.path().string());
    REQUIRE(explained.exit_code == 0);
    auto d = nlohmann::json::parse(explained.out);
    double p = d["propensity"].get<double>();
    CHECK((std::abs(p - 0.775) < 1e-9 || std::abs(p - 0.075) < 1e-9));
}

TEST_CASE("cli::tune --ips estimates a policy on logged traffic before it runs") {
    Setup s;
    std::string db = s.dir.file("b.db");
    REQUIRE(s.bench(db, "bandit.toml").exit_code == 0);
    auto ips = run_orch({"--providers", s.providers, "--db", db, "tune", "--ips",
                         s.dir.file("mid.toml"), "--json"},
                        s.dir.path().string());
    REQUIRE(ips.exit_code == 0);
    auto est = nlohmann::json::parse(ips.out);
    CHECK(est["matched"].get<int>() > 20);
    double lo = est["ips_ci95"][0].get<double>();
    double hi = est["ips_ci95"][1].get<double>();
    // Then the policy runs for real over the same tasks.
    std::string measured_db = s.dir.file("m.db");
    REQUIRE(s.bench(measured_db, "mid.toml").exit_code == 0);
    double measured = std::stod(sql(measured_db, "select avg(score) from results"));
    INFO("estimate " << est["ips"] << " [" << lo << ", " << hi << "], measured " << measured);
    CHECK(measured >= lo);
    CHECK(measured <= hi);
    double snips = est["snips"].get<double>();
    CHECK(std::abs(snips - measured) < 0.1);

    auto none = run_orch({"--providers", s.providers, "--db", s.dir.file("empty.db"), "tune",
                          "--ips", s.dir.file("mid.toml")},
                         s.dir.path().string());
    CHECK(none.exit_code == 2);
}

TEST_CASE("cli::bandit: bad bandit rules are located errors") {
    TempDir dir;
    dir.write("bad.toml", "name = \"b\"\n[[rules]]\nname = \"r\"\naction = \"bandit\"\n"
                                "models = [\"sim-mid\"]\nepsilon = 0.9\n");
    auto r = run_orch({"--providers", source_path("providers.toml"), "route", "--policy",
                       dir.file("bad.toml"), "--explain", "hello"},
                      dir.path().string());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("bad.toml:5") != std::string::npos);
    CHECK(r.err.find("a bandit learns among two or more models") != std::string::npos);
    CHECK(r.err.find("bad.toml:6") != std::string::npos);
    CHECK(r.err.find("expected an exploration rate above 0 and at most 0.5, got 0.9") !=
          std::string::npos);
}
