// Run diffs: pairing, paired-bootstrap intervals, verdicts, and the three output formats.
#include "report/fixture.hpp"
#include "report/golden.hpp"

#include <doctest/doctest.h>
#include <orch/core/error.hpp>
#include <orch/report/bootstrap.hpp>
#include <orch/report/diff.hpp>
#include <orch/report/diff_output.hpp>
#include <orch/util/rng.hpp>
#include <sstream>

using orch::report::DiffResult;
using orch::report::DiffSide;
using orch::test::TempDir;

namespace {

// n classify tasks on one target; score i is scores(i), cost and latency fixed.
DiffSide side(const std::string& label, const std::string& target, std::size_t n,
              double (*score)(std::size_t), double cost, double latency) {
    DiffSide s;
    s.label = label;
    for (std::size_t i = 0; i < n; ++i) {
        DiffResult r;
        r.target = target;
        r.model = target;
        r.suite = "s";
        r.task_id = "t" + std::to_string(i);
        r.task_type = "classify";
        r.status = "scored";
        r.score = score(i);
        r.passed = *r.score >= 1;
        r.cost_usd = cost;
        r.latency_ms = latency + static_cast<double>(i % 7) * 10;
        s.add(r);
    }
    return s;
}

double always(std::size_t) {
    return 1.0;
}
double mostly(std::size_t i) {
    return i % 10 == 0 ? 0.0 : 1.0;
} // 0.9
double half(std::size_t i) {
    return i % 2 == 0 ? 0.0 : 1.0;
} // 0.5
double nearly(std::size_t i) {
    return i % 10 == 3 ? 0.0 : 1.0;
} // 0.9, other tasks

} // namespace

TEST_CASE("report::bootstrap_mean_ci95") {
    SUBCASE("is deterministic for a seed") {
        orch::util::Rng rng(3);
        std::vector<double> d;
        for (int i = 0; i < 100; ++i) {
            d.push_back(rng.normal() * 0.1 + 0.05);
        }
        auto a = orch::report::bootstrap_mean_ci95(d, 2000, 42);
        auto b = orch::report::bootstrap_mean_ci95(d, 2000, 42);
        CHECK(a.lo == b.lo);
        CHECK(a.hi == b.hi);
        CHECK(a.lo < a.mean);
        CHECK(a.mean < a.hi);
        CHECK(a.lo > 0); // a shift of half a standard deviation over 100 pairs is clear
        // Close to the normal approximation, 1.96 · 0.1 / 10 ≈ 0.02 either side.
        CHECK(a.hi - a.lo == doctest::Approx(0.039).epsilon(0.25));
    }
    SUBCASE("identical pairs give a zero-width interval at zero") {
        auto r = orch::report::bootstrap_mean_ci95(std::vector<double>(50, 0.0), 2000, 1);
        CHECK(r.mean == 0);
        CHECK(r.lo == 0);
        CHECK(r.hi == 0);
        CHECK(r.n == 50);
    }
    SUBCASE("no pairs, or one") {
        CHECK(orch::report::bootstrap_mean_ci95({}, 2000, 1).n == 0);
        auto one = orch::report::bootstrap_mean_ci95({0.25}, 2000, 1);
        CHECK(one.lo == 0.25);
        CHECK(one.hi == 0.25);
    }
}

TEST_CASE("report::diff_sides") {
    SUBCASE("a side against itself: no difference, no regression") {
        auto a = side("run 1", "m", 200, mostly, 0.001, 500);
        auto d = orch::report::diff_sides(a, a);
        REQUIRE(d.targets.size() == 1);
        const auto& t = d.targets[0];
        CHECK(t.paired == 200);
        CHECK(t.changes.empty());
        CHECK(t.quality.delta.mean == 0);
        CHECK(t.quality.delta.lo == 0);
        CHECK(t.quality.delta.hi == 0);
        CHECK_FALSE(d.regression());
        CHECK(orch::report::quality_verdict(t, 0) ==
              "verdict: no significant difference in quality (Δ +0.000 [0.000, 0.000])");
        CHECK(orch::report::cost_statement(t) ==
              "cost: no significant difference (Δ $0 per task [$0, $0], +0%)");
        CHECK(orch::report::latency_statement(t) ==
              "latency: no significant difference (Δ 0ms per task [0ms, 0ms])");
    }
    SUBCASE("a clearly worse B is a regression; the interval excludes zero") {
        auto d = orch::report::diff_sides(side("run 1", "big", 200, mostly, 0.002, 1500),
                                          side("run 2", "small", 200, half, 0.0001, 300));
        const auto& t = d.targets[0];
        CHECK(t.a_target == "big");
        CHECK(t.b_target == "small");
        CHECK(t.quality.delta.mean == doctest::Approx(-0.4));
        CHECK(t.quality.delta.hi < 0);
        CHECK(t.quality.direction == orch::report::Direction::down);
        CHECK(t.regression);
        CHECK(orch::report::quality_verdict(t, 0).rfind(
                  "verdict: B is worse than A on quality (Δ -0.400 [", 0) == 0);
        CHECK(orch::report::cost_statement(t).rfind(
                  "cost: B is cheaper than A (Δ -$0.00190 per task", 0) == 0);
        CHECK(orch::report::cost_statement(t).find("-95%") != std::string::npos);
        CHECK(orch::report::latency_statement(t).rfind(
                  "latency: B is faster than A (Δ -1200ms per task", 0) == 0);
        CHECK(t.pass_to_fail == 80);
        CHECK(t.fail_to_pass == 0);
        CHECK(t.changes.size() == 80);
        CHECK(t.changes.front().score_delta == -1);
    }
    SUBCASE("within the tolerance, worse is reported but is no regression") {
        auto d =
            orch::report::diff_sides(side("run 1", "m", 200, always, 0.001, 500),
                                     side("run 2", "m", 200, mostly, 0.001, 500), {{}, {}, 0.2});
        CHECK(d.targets[0].quality.direction == orch::report::Direction::down);
        CHECK_FALSE(d.regression());
        CHECK(orch::report::quality_verdict(d.targets[0], 0.2)
                  .find("within the tolerance of 0.200") != std::string::npos);
    }
    SUBCASE("a better B; equal means with different tasks are no significant difference") {
        auto better = orch::report::diff_sides(side("a", "m", 200, half, 0.001, 500),
                                               side("b", "m", 200, always, 0.001, 500));
        CHECK(orch::report::quality_verdict(better.targets[0], 0)
                  .rfind("verdict: B is better than A on quality (Δ +0.500", 0) == 0);
        auto same = orch::report::diff_sides(side("a", "m", 200, mostly, 0.001, 500),
                                             side("b", "m", 200, nearly, 0.001, 500));
        CHECK(same.targets[0].quality.direction == orch::report::Direction::none);
        CHECK(same.targets[0].changes.size() == 40);
        CHECK(same.targets[0].improved == 20);
        CHECK(same.targets[0].regressed == 20);
    }
    SUBCASE("pairs by suite, task and repeat, counting results without a partner") {
        auto a = side("a", "m", 10, always, 0.001, 500);
        auto b = side("b", "m", 8, always, 0.001, 500);
        auto extra = b.results.back();
        extra.repeat = 1;
        b.add(extra);
        auto d = orch::report::diff_sides(a, b);
        CHECK(d.targets[0].paired == 8);
        CHECK(d.targets[0].only_a == 2);
        CHECK(d.targets[0].only_b == 1);
    }
    SUBCASE("choosing targets") {
        auto a = side("run 1", "x", 5, always, 0.001, 500);
        for (auto r : side("", "y", 5, always, 0.001, 500).results) {
            a.add(r);
        }
        auto b = side("run 2", "y", 5, half, 0.001, 500);
        for (auto r : side("", "z", 5, always, 0.001, 500).results) {
            b.add(r);
        }
        // Same names pair by name.
        auto d = orch::report::diff_sides(a, b);
        REQUIRE(d.targets.size() == 1);
        CHECK(d.targets[0].a_target == "y");
        // --target A:B picks any two.
        orch::report::DiffOptions o;
        o.a_target = "x";
        o.b_target = "z";
        CHECK(orch::report::diff_sides(a, b, o).targets[0].b_target == "z");
        // A missing target, or no shared name, is a usage error naming what there is.
        o.b_target = "nope";
        try {
            orch::report::diff_sides(a, b, o);
            FAIL("expected an error");
        } catch (const orch::Error& e) {
            CHECK(e.exit_code() == 2);
            CHECK(std::string(e.what()) == "--target: run 2 has no target \"nope\" (it has: y, z)");
        }
        auto c = side("run 3", "w", 5, always, 0.001, 500);
        for (auto r : side("", "v", 5, always, 0.001, 500).results) {
            c.add(r);
        }
        CHECK_THROWS_AS(orch::report::diff_sides(a, c), orch::Error);
    }
    SUBCASE("a policy's route changes are per-task changes") {
        auto a = side("a", "p", 4, always, 0.001, 500);
        auto b = a;
        for (auto* s : {&a, &b}) {
            for (auto& r : s->results) {
                r.routed = true;
                r.rule = "cheap";
                r.model = "small";
            }
        }
        b.results[1].model = "big";
        b.results[1].rule = "escalate";
        auto d = orch::report::diff_sides(a, b);
        CHECK(d.targets[0].routed);
        CHECK(d.targets[0].route_changes == 1);
        REQUIRE(d.targets[0].changes.size() == 1);
        CHECK(d.targets[0].changes[0].b.model == "big");
    }
}

TEST_CASE("report::diff output") {
    TempDir dir;
    std::string db = dir.file("fixture.db");
    orch::test::write_fixture_db(db);
    orch::store::Store store(db);
    auto a = orch::report::load_run_side(store, 1);
    auto b = orch::report::load_run_side(store, 2);
    CHECK(a.label == "run 1");
    CHECK(a.simulated);
    CHECK(a.targets == std::vector<std::string>{"model-a", "model-b", "policy-p"});
    auto diff = orch::report::diff_sides(a, b);

    SUBCASE("table") {
        std::ostringstream out;
        orch::report::print_diff_table(diff, out);
        orch::test::check_golden("diff1-2.table.txt", out.str());
    }
    SUBCASE("markdown") {
        std::ostringstream out;
        orch::report::print_diff_markdown(diff, out);
        orch::test::check_golden("diff1-2.md", out.str());
    }
    SUBCASE("json") {
        std::ostringstream out;
        orch::report::print_diff_json(diff, out);
        orch::test::check_golden("diff1-2.json", out.str());
        auto j = nlohmann::json::parse(out.str());
        CHECK(j["schema"] == "orch.diff/1");
        CHECK(j["comparisons"].size() == 2);
    }
    SUBCASE("a policy target's diff shows the models") {
        orch::report::DiffOptions o;
        o.a_target = "model-b";
        o.b_target = "policy-p";
        std::ostringstream out;
        orch::report::print_diff_table(orch::report::diff_sides(a, a, o), out);
        orch::test::check_golden("diff-policy.table.txt", out.str());
    }
}
