// Learned routing across N models on generated outcomes where the best model per slice is
// known (sim/outcomes.hpp): the router finds each slice's model, including the one where the
// cheaper model is also the better; the evaluation ranks routers as the field does; and where
// routing cannot help, tune writes the simpler policy.
#include <orch/learn/many.hpp>
#include <orch/sim/outcomes.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace orch;

namespace {

learn::RunTable generated_table(std::size_t prompts, int models, bool equal = false,
                                std::uint64_t seed = 7) {
    sim::OutcomeOptions o;
    o.prompts = prompts;
    o.models = models;
    o.seed = seed;
    o.equal = equal;
    learn::RunTable t;
    t.run_id = 1;
    t.models = sim::outcome_models(models);
    std::sort(t.models.begin(), t.models.end());
    for (const auto& line : sim::generate_outcomes(o)) {
        auto j = nlohmann::json::parse(line);
        learn::Example e;
        e.suite = "gen";
        e.task_id = j["id"];
        e.task_type = j["task_type"];
        e.prompt = j["prompt"];
        for (const auto& [m, s] : j["scores"].items()) {
            e.outcomes[m] = {s.get<double>(), j["cost_usd"][m].get<double>(), "", 1};
        }
        t.examples.push_back(std::move(e));
    }
    return t;
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& s) {
    return static_cast<std::size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

} // namespace

TEST_CASE("learn::many: the generator is deterministic and prices do not rank quality") {
    sim::OutcomeOptions o;
    o.prompts = 50;
    CHECK(sim::generate_outcomes(o) == sim::generate_outcomes(o));
    o.seed = 2;
    auto other = sim::generate_outcomes(o);
    o.seed = 1;
    CHECK(other != sim::generate_outcomes(o));
    CHECK_THROWS(sim::outcome_models(7));
}

TEST_CASE("learn::many: the router finds each slice's model") {
    learn::RunTable table = generated_table(3000, 5);
    learn::TrainOptions train;
    learn::ManySet set = learn::make_many_set(table, {}, train.features);
    REQUIRE(set.examples.size() == 3000);
    std::vector<std::size_t> rows(set.examples.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i] = i;
    }
    learn::QualityRouter router = learn::fit_router(set, rows, train, 10);
    auto pick = [&](const std::string& prompt, const std::string& type, double lambda) {
        auto q = router.quality(prompt, type);
        return router.models()[learn::best_choice(q, router.costs(type), lambda)];
    };
    // Quality first (λ = 0): the specialist, at a fiftieth of the frontier's price, is the best
    // on extract prompts; the frontier elsewhere.
    CHECK(pick("extract task 1: apple river table", "extract", 0) == "gen-specialist");
    CHECK(pick("extract task 2: paper stone", "extract", 0) == "gen-specialist");
    CHECK(pick("math task 3: apple stone proof", "math", 0) == "gen-frontier");
    // Trading quality for cost: plain math goes to the mid model, proofs stay on the frontier.
    double lambda = 30;
    CHECK(pick("math task 4: apple stone proof", "math", lambda) == "gen-frontier");
    CHECK(pick("math task 5: apple stone", "math", lambda) == "gen-mid");
    CHECK(pick("extract task 6: paper stone", "extract", lambda) == "gen-specialist");
    // Costs are the recorded ones, per task type.
    auto costs = router.costs("math");
    CHECK(costs[index_of(router.models(), "gen-frontier")] > 0.008);
    CHECK(costs[index_of(router.models(), "gen-local")] == 0);
}

TEST_CASE("learn::many: held-out evaluation against single models, per type and the oracle") {
    learn::RunTable table = generated_table(2000, 4);
    learn::ManyEvaluateOptions o;
    o.seeds = 3;
    learn::ManyEvaluation e = learn::evaluate_many(table, o);
    REQUIRE(e.seeds.size() == 3);
    for (const auto& s : e.seeds) {
        CHECK(s.train + s.test == 2000);
        // The oracle bounds every router; learned routing beats random mixes of the models.
        CHECK(s.oracle.aiq >= s.learned.aiq);
        CHECK(s.oracle.aiq >= s.per_type.aiq);
        CHECK(s.learned.aiq > s.zero.aiq);
        CHECK(s.per_type.aiq > s.zero.aiq);
        CHECK(s.best_single == "gen-frontier");
        CHECK(s.zero.quality_at_best_cost == doctest::Approx(s.singles[0].quality));
        // Routing matches the frontier model for well under its cost.
        CHECK(s.learned.cost_to_match_best < 0.8);
    }
    auto j = learn::many_evaluation_json(e);
    CHECK(j["learned"]["aiq"]["mean"].get<double>() > j["zero"]["aiq"]["mean"].get<double>());
    auto c = learn::many_curves_json(e);
    CHECK(c["models"].size() == 4);
    CHECK(c["learned"].size() == e.grid.size());
}

TEST_CASE("learn::many: hull, AIQ and the operating point") {
    std::vector<learn::Point> pts(3);
    pts[0].cost = 0;
    pts[0].quality = 0.5;
    pts[1].cost = 1;
    pts[1].quality = 0.6; // under the segment from 0 to 2: not on the hull
    pts[2].cost = 2;
    pts[2].quality = 0.9;
    auto h = learn::hull(pts);
    REQUIRE(h.size() == 2);
    CHECK(learn::quality_at(pts, h, 1) == doctest::Approx(0.7));
    CHECK(learn::aiq(pts, 0, 2) == doctest::Approx(0.7));
    CHECK(learn::aiq(pts, 0, 4) == doctest::Approx((0.7 * 2 + 0.9 * 2) / 4));
    CHECK(*learn::cost_to_reach(pts, 0.8) == doctest::Approx(1.5));
    CHECK_FALSE(learn::cost_to_reach(pts, 0.95).has_value());
    bool met = false;
    learn::Criterion c;
    c.max_cost = 1.5;
    CHECK(learn::select_point(pts, c, 0, met) == 1);
    CHECK(met);
    c = {};
    c.target_quality = 0.85;
    CHECK(learn::select_point(pts, c, 0, met) == 2);
    c.target_quality = 0.95;
    learn::select_point(pts, c, 0, met);
    CHECK_FALSE(met);
}

TEST_CASE("learn::many: no harm when routing cannot help") {
    // Every model scores the same on every prompt: the cheapest model is as good as any.
    learn::RunTable table = generated_table(1500, 4, true);
    learn::ManyTuneOptions o;
    learn::ManyTuned t = learn::tune_many(table, o);
    CHECK(t.kind == learn::ManyTuned::Kind::single);
    CHECK(t.default_model == "gen-specialist"); // the cheapest of the four
    CHECK_FALSE(t.against_baseline.wins);
    CHECK(t.verdict.find("does not beat") != std::string::npos);
    std::string toml = learn::many_policy_toml(t, "");
    CHECK(toml.find("action = \"learned\"") == std::string::npos);
    CHECK(toml.find("model = \"gen-specialist\"") != std::string::npos);
    // The same with a λ given: still no router that is worse than not routing.
    o.criterion.lambda = 5;
    CHECK(learn::tune_many(table, o).kind != learn::ManyTuned::Kind::learned);
}

TEST_CASE("learn::many: a router is written where it wins") {
    learn::RunTable table = generated_table(3000, 5);
    learn::ManyTuneOptions o;
    o.criterion.max_cost = 0.003;
    learn::ManyTuned t = learn::tune_many(table, o);
    CHECK(t.kind == learn::ManyTuned::Kind::learned);
    CHECK(t.against_baseline.wins);
    CHECK(t.chosen.cost <= 0.003);
    CHECK(t.chosen.quality > t.against_baseline.baseline_quality);
    REQUIRE(t.router.has_value());
    // The router file reads back as what was written.
    auto back = learn::QualityRouter::from_json(t.router->to_json(), "x.router.json");
    CHECK(back.models() == t.router->models());
    CHECK(back.quality("math task 1: proof", "math") == t.router->quality("math task 1: proof", "math"));
    std::string toml = learn::many_policy_toml(t, "x.router.json");
    CHECK(toml.find("action = \"learned\"") != std::string::npos);
    CHECK(toml.find("lambda = ") != std::string::npos);
}

TEST_CASE("learn::many: a bad router file is one located error") {
    learn::RunTable table = generated_table(200, 3);
    learn::ManySet set = learn::make_many_set(table, {}, {});
    std::vector<std::size_t> rows(set.examples.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i] = i;
    }
    auto j = learn::fit_router(set, rows, {}, 10).to_json();
    auto missing = j;
    missing.erase("models");
    CHECK_THROWS_WITH(learn::QualityRouter::from_json(missing, "r.json"),
                      doctest::Contains("r.json: models: missing"));
    auto short_costs = j;
    short_costs["cost_usd"]["overall"] = {0.1};
    CHECK_THROWS_WITH(learn::QualityRouter::from_json(short_costs, "r.json"),
                      doctest::Contains("r.json: cost_usd.overall: expected an array of 3 costs"));
    auto wrong = j;
    wrong["format"] = "orch-scorer/1";
    CHECK_THROWS_WITH(learn::QualityRouter::from_json(wrong, "r.json"),
                      doctest::Contains("r.json: format: expected \"orch-router/1\""));
    CHECK_THROWS_WITH(learn::make_many_set(table, {"nope"}, {}),
                      doctest::Contains("no scored results for \"nope\""));
}
