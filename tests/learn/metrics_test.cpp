#include <orch/learn/metrics.hpp>
#include <orch/util/rng.hpp>

#include <cmath>
#include <doctest/doctest.h>

using namespace orch::learn;

namespace {

// n prompts: a share `g` where only the strong model is right, `l` where only the weak one
// is, the rest split between both right and both wrong. Strong calls cost 100, weak 1.
std::vector<PairOutcome> population(std::size_t n, double g, double l, std::uint64_t seed) {
    orch::util::Rng rng(seed);
    std::vector<PairOutcome> items;
    for (std::size_t i = 0; i < n; ++i) {
        double u = rng.uniform();
        PairOutcome o{0, 0, 1, 100};
        if (u < g) {
            o.strong_score = 1;
        } else if (u < g + l) {
            o.weak_score = 1;
        } else if (u < g + l + (1 - g - l) / 2) {
            o.weak_score = o.strong_score = 1;
        }
        items.push_back(o);
    }
    return items;
}

} // namespace

TEST_CASE("learn::metrics") {
    SUBCASE("random routing comes out at about 0.5 APGR") {
        auto items = population(20000, 0.2, 0.05, 1);
        orch::util::Rng rng(99);
        std::vector<double> scores(items.size());
        for (double& s : scores) {
            s = rng.uniform();
        }
        RouterMetrics m = evaluate_scores(items, scores);
        CHECK(m.apgr == doctest::Approx(0.5).epsilon(0.04));
        CHECK(m.cpt50 == doctest::Approx(0.5).epsilon(0.06));
        CHECK(m.cpt80 == doctest::Approx(0.8).epsilon(0.06));
        CHECK(m.share.size() == k_curve_points);
        CHECK(m.pgr.front() == 0);
        CHECK(m.pgr.back() == doctest::Approx(1.0));
    }
    SUBCASE("a constant score is random routing exactly: ties are the expected value") {
        auto items = population(1000, 0.2, 0.05, 2);
        RouterMetrics m = evaluate_scores(items, std::vector<double>(items.size(), 0.3));
        CHECK(m.apgr == doctest::Approx(0.5));
        CHECK(m.cpt50 == doctest::Approx(0.5));
        CHECK(m.cpt80 == doctest::Approx(0.8));
        CHECK(m.apgr_usd == doctest::Approx(0.5));
    }
    SUBCASE("the oracle has its known value (g - g^2/2) / (g - l)") {
        auto items = population(5000, 0.2, 0.05, 3);
        double g = 0, l = 0;
        for (const auto& o : items) {
            g += o.strong_score > o.weak_score ? 1 : 0;
            l += o.strong_score < o.weak_score ? 1 : 0;
        }
        g /= static_cast<double>(items.size());
        l /= static_cast<double>(items.size());
        RouterMetrics m = evaluate_oracle(items);
        CHECK(m.apgr == doctest::Approx((g - g * g / 2) / (g - l)).epsilon(0.002));
        CHECK(m.cpt50 == doctest::Approx(0.5 * (g - l)).epsilon(0.001));
        CHECK(m.pgr.back() == doctest::Approx(g / (g - l)));
    }
    SUBCASE("a hand-worked case: four prompts") {
        // Gains strong - weak: +1, 0, +1, -1 (gap 1 over 4 prompts); ranked 0.9, 0.8, 0.1, 0.0.
        std::vector<PairOutcome> items = {{0, 1, 1, 3}, {1, 1, 1, 3}, {0, 1, 1, 3}, {1, 0, 1, 3}};
        std::vector<double> scores = {0.9, 0.8, 0.1, 0.0};
        RouterMetrics m = evaluate_scores(items, scores);
        // PGR at shares 0, .25, .5, .75, 1: 0, 1, 1, 2, 1 (linear between).
        CHECK(m.pgr[25] == doctest::Approx(1));
        CHECK(m.pgr[50] == doctest::Approx(1));
        CHECK(m.pgr[75] == doctest::Approx(2));
        CHECK(m.pgr[100] == doctest::Approx(1));
        CHECK(m.pgr[10] == doctest::Approx(0.4));
        // Area: .25*(0+1)/2 + .25*1 + .25*(1+2)/2 + .25*(2+1)/2 = 1.125
        CHECK(m.apgr == doctest::Approx(1.125));
        CHECK(m.cpt50 == doctest::Approx(0.125));
        CHECK(m.cpt80 == doctest::Approx(0.2));
        // Costs per 1k prompts: all weak 1000, each strong call adds (3-1)/4 * 1000 = 500.
        CHECK(m.cost_usd_per_1k.front() == doctest::Approx(1000));
        CHECK(m.cost_usd_per_1k.back() == doctest::Approx(3000));
        CHECK(m.cpt50_usd_per_1k == doctest::Approx(1250));
        RouterMetrics cascade = evaluate_scores(items, scores, Routing::cascade);
        CHECK(cascade.apgr == doctest::Approx(1.125));
        CHECK(cascade.cost_usd_per_1k.back() == doctest::Approx(4000)); // weak always, then strong
    }
    SUBCASE("no gap to recover: the figures are undefined, not made up") {
        std::vector<PairOutcome> items = {{1, 1, 1, 2}, {0, 0, 1, 2}};
        RouterMetrics m = evaluate_scores(items, {0.5, 0.2});
        CHECK(std::isnan(m.apgr));
        CHECK(std::isnan(m.cpt50));
    }
}
