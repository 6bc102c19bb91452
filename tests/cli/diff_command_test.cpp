// `orch diff` run as a process over two real bench runs: a run against itself, and a
// frontier model against a small one.
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <memory>

using orch::test::run_orch;
using orch::test::TempDir;

namespace {

// Run 1: sim-frontier; run 2: sim-small; both over the default suites.
struct TwoRuns {
    TempDir dir;
    std::string db = dir.file("diff.db");
    TwoRuns() {
        for (const char* model : {"sim-frontier", "sim-small"}) {
            auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db,
                               "bench", "--suite", orch::test::source_path("tasks"), "-t", model});
            REQUIRE(r.exit_code == 0);
        }
    }
};

const TwoRuns& two_runs() {
    static auto runs = std::make_unique<TwoRuns>();
    return *runs;
}

orch::test::ProcessResult diff(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", two_runs().db, "diff"});
    return run_orch(args);
}

} // namespace

TEST_CASE("cli::diff of a run against itself") {
    auto r = diff({"1", "1"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("verdict: no significant difference in quality (Δ +0.000 [0.000, 0.000])") !=
          std::string::npos);
    CHECK(r.out.find("0 per-task changes") != std::string::npos);
    CHECK(r.out.find("[SIMULATED fleet]") != std::string::npos);
}

TEST_CASE("cli::diff of a frontier model against a small one") {
    SUBCASE("reports B worse with an interval below zero, and exits 1") {
        auto r = diff({"1", "2"});
        CHECK(r.exit_code == 1);
        auto at = r.out.find("verdict: B is worse than A on quality (Δ -");
        REQUIRE(at != std::string::npos);
        CHECK(r.out.find("cost: B is cheaper than A") != std::string::npos);
        CHECK(r.out.find("latency: B is faster than A") != std::string::npos);
        CHECK(r.out.find("A = run 1 · sim-frontier  →  B = run 2 · sim-small") !=
              std::string::npos);
        CHECK(r.err.find("B is worse than A on quality beyond the tolerance") != std::string::npos);
    }
    SUBCASE("json carries the same verdict with its interval") {
        auto r = diff({"1", "2", "--format", "json"});
        CHECK(r.exit_code == 1);
        auto j = nlohmann::json::parse(r.out);
        CHECK(j["schema"] == "orch.diff/1");
        CHECK(j["regression"] == true);
        CHECK(j["resamples"] == 2000);
        const auto& q = j["comparisons"][0]["quality"];
        CHECK(q["delta"].get<double>() < 0);
        CHECK(q["ci95"][1].get<double>() < 0);
        CHECK(q["direction"] == "down");
        CHECK(j["comparisons"][0]["paired"].get<int>() > 100);
        CHECK(j["comparisons"][0]["changes"].size() > 0);
        // Deterministic: the same diff twice gives the same bytes.
        CHECK(diff({"1", "2", "--json"}).out == r.out);
    }
    SUBCASE("md for a pull request") {
        auto r = diff({"1", "2", "--format", "md"});
        CHECK(r.out.rfind("### orch diff: run 1 → run 2", 0) == 0);
        CHECK(r.out.find("**verdict: B is worse than A on quality") != std::string::npos);
        CHECK(r.out.find("<details>") != std::string::npos);
    }
    SUBCASE("a generous tolerance lets it pass") {
        auto r = diff({"1", "2", "--tolerance", "0.9"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("within the tolerance of 0.900") != std::string::npos);
    }
    SUBCASE("the other way round B is better, exit 0") {
        auto r = diff({"2", "1"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("verdict: B is better than A on quality (Δ +") != std::string::npos);
    }
}

TEST_CASE("cli::diff usage errors") {
    SUBCASE("an unknown run") {
        auto r = diff({"1", "9"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("no run 9") != std::string::npos);
        CHECK(r.out.empty());
    }
    SUBCASE("an operand that is neither a run id nor a policy") {
        auto r = diff({"1", "cheap"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("cheap: expected a run id (see 'orch runs list'), policy:NAME or a policy file") !=
              std::string::npos);
    }
    SUBCASE("a policy operand that does not exist") {
        auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", two_runs().db, "diff",
                           "1", "policy:cheap", "--suite", orch::test::source_path("tasks")});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--target policy:cheap") != std::string::npos);
        CHECK(r.out.empty());
    }
    SUBCASE("a target that is not there") {
        auto r = diff({"1", "2", "--target", "sim-mid"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("run 1 has no target \"sim-mid\" (it has: sim-frontier)") !=
              std::string::npos);
    }
    SUBCASE("a missing operand") {
        CHECK(diff({"1"}).exit_code == 2);
    }
}
