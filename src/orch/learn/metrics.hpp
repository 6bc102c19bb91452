#pragma once
// RouteLLM's router metrics (arXiv 2406.18665). A router ranks prompts by a score; sending the
// top share x of them to the strong model gives a quality q(x). PGR(x) = (q(x) - weak) /
// (strong - weak), the performance gap recovered. APGR is the area under PGR as x goes from
// 0 to 1 (trapezoid over evenly spaced share points); CPT(p) is the smallest strong-call share
// whose PGR reaches p. Random routing has APGR 0.5 in expectation.
//
// Tied scores are routed as if ties were broken at random (the expected quality), so a router
// that scores whole task types alike is measured fairly. Everything is deterministic.
#include <cstddef>
#include <vector>

namespace orch::learn {

// One prompt of an evaluation: the score (0..1) each model recorded and what each call costs.
struct PairOutcome {
    double weak_score = 0;
    double strong_score = 0;
    double weak_cost_usd = 0;
    double strong_cost_usd = 0;
};

enum class Routing {
    route,   // one model per prompt: the weak model's cost is saved when the strong one is used
    cascade, // the weak model always answers first; escalating adds the strong model's cost
};

inline constexpr std::size_t k_curve_points = 101; // shares 0, 0.01, …, 1

struct RouterMetrics {
    // NaN when the strong model is not better than the weak one on these prompts.
    double apgr = 0;
    double cpt50 = 0; // strong-call share reaching PGR 0.5
    double cpt80 = 0;
    // The same in dollars: APGR over the spend from all-weak to all-strong (NaN when every
    // cost is 0), and the cost per 1000 prompts at CPT(50%) and CPT(80%).
    double apgr_usd = 0;
    double cpt50_usd_per_1k = 0;
    double cpt80_usd_per_1k = 0;
    std::vector<double> share;           // k_curve_points, evenly spaced in [0, 1]
    std::vector<double> pgr;             // PGR at each share
    std::vector<double> cost_usd_per_1k; // cost per 1000 prompts at each share
};

// Routes the highest scores to the strong model first.
RouterMetrics evaluate_scores(const std::vector<PairOutcome>& items,
                              const std::vector<double>& scores, Routing routing = Routing::route);

// The oracle of the paper: the strong model only where it beats the weak one (best gains
// first); beyond that share it makes no more strong calls, so its PGR stays flat (above 1
// when the weak model is sometimes right where the strong one is wrong).
RouterMetrics evaluate_oracle(const std::vector<PairOutcome>& items,
                              Routing routing = Routing::route);

// Mean quality and mean cost per prompt of one model (true: strong).
double mean_score(const std::vector<PairOutcome>& items, bool strong);

} // namespace orch::learn
