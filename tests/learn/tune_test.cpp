#include "learn/synthetic_table.hpp"
#include "support/process.hpp"

#include <orch/core/error.hpp>
#include <orch/learn/evaluate.hpp>
#include <orch/learn/tune.hpp>

#include <doctest/doctest.h>
#include <set>

using namespace orch::learn;

TEST_CASE("learn::tune never looks at held-out labels") {
    auto table = orch::test::synthetic_table(800, 3);
    TrainOptions options;
    auto test_rows = holdout_rows(table.examples.size(), 0.5, 0);
    std::set<std::size_t> held(test_rows.begin(), test_rows.end());
    std::vector<std::size_t> train_rows;
    for (std::size_t i = 0; i < table.examples.size(); ++i) {
        if (held.count(i) == 0) {
            train_rows.push_back(i);
        }
    }
    auto learn_from = [&](const RunTable& t) {
        TrainingSet set = make_training_set(t, "weak", "strong", options.features);
        Scorer s = fit_scorer(set, train_rows, options);
        ThresholdChoice c = choose_threshold(set, train_rows, options, ThresholdCriterion{});
        return std::pair{s.to_json(), c.threshold};
    };
    auto [model, threshold] = learn_from(table);

    // Flip every label (and the weak answer) of the held-out half.
    RunTable flipped = table;
    for (std::size_t i : test_rows) {
        for (auto& [name, o] : flipped.examples[i].outcomes) {
            o.score = 1 - o.score;
            o.output = "flipped";
        }
    }
    auto [model2, threshold2] = learn_from(flipped);
    CHECK(model2 == model);
    CHECK(threshold2 == threshold);

    // The held-out figures do change: they are measured on those labels.
    EvaluateOptions eo;
    eo.weak = "weak";
    eo.strong = "strong";
    eo.seeds = 1;
    Evaluation a = evaluate_routers(table, eo);
    Evaluation b = evaluate_routers(flipped, eo);
    CHECK(a.seeds[0].weak_quality != b.seeds[0].weak_quality);
}

TEST_CASE("learn::tune writes a policy") {
    auto table = orch::test::synthetic_table(800, 5);
    orch::test::TempDir dir;

    SUBCASE("choose_models picks the cheapest and the best, and rejects unknown names") {
        auto [weak, strong] = choose_models(table, "", "");
        CHECK(weak == "weak");
        CHECK(strong == "strong");
        CHECK_THROWS_AS(choose_models(table, "gpt-17", ""), orch::Error);
    }
    SUBCASE("a strong-call share sets the threshold at that share of cross-validated scores") {
        TuneOptions o;
        o.share = 0.3;
        TunedPolicy p = tune_policy(table, o);
        CHECK(p.strong_share == doctest::Approx(0.3));
        CHECK(p.pgr > 0.3); // better than random
        CHECK(p.fixed.empty());
        REQUIRE(p.scorer);
        std::size_t above = 0;
        for (const auto& e : table.examples) {
            above += p.scorer->score(e.prompt, e.task_type) > p.threshold ? 1 : 0;
        }
        double share = static_cast<double>(above) / static_cast<double>(table.examples.size());
        CHECK(share ==
              doctest::Approx(0.3).epsilon(0.35)); // in-sample scores spread a little wider
    }
    SUBCASE("a target gives fixed rules where a model's lower bound meets it, cheapest first") {
        TuneOptions o;
        o.target = 0.85;
        TunedPolicy p = tune_policy(table, o);
        REQUIRE(p.fixed.size() == 1);
        CHECK(p.fixed[0].task_type == "easy");
        CHECK(p.fixed[0].model == "weak"); // both meet 0.85 on easy prompts; weak is cheaper
        CHECK(p.fixed[0].lower_bound >= 0.85);
        CHECK(p.routed == 400);
        std::string path = dir.file("policies/learned.toml");
        std::string scorer_path = write_policy(p, path);
        CHECK(scorer_path == dir.file("policies/learned.scorer.json"));
        std::string toml = orch::test::read_text(path);
        CHECK(toml.find("name = \"learned\"") != std::string::npos);
        CHECK(toml.find("when = { type = \"easy\" }\naction = \"fixed\"\nmodel = \"weak\"") !=
              std::string::npos);
        CHECK(
            toml.find("action = \"learned\"\nweak = \"weak\"\nstrong = \"strong\"\nthreshold = ") !=
            std::string::npos);
        CHECK(toml.find("scorer = \"learned.scorer.json\"") != std::string::npos);
        CHECK(toml.find("[[rules]]") < toml.find("action = \"learned\""));
        Scorer loaded = Scorer::load(scorer_path);
        CHECK(loaded.to_json() == p.scorer->to_json());
    }
}

TEST_CASE("learn::evaluate") {
    auto table = orch::test::synthetic_table(1000, 9);
    EvaluateOptions eo;
    eo.weak = "weak";
    eo.strong = "strong";
    eo.seeds = 3;
    Evaluation ev = evaluate_routers(table, eo);
    REQUIRE(ev.seeds.size() == 3);
    CHECK(ev.prompts == 1000);
    CHECK(ev.seeds[0].test == 500);
    CHECK(ev.has_responses);
    nlohmann::json j = evaluation_json(ev);
    for (const char* key : {"apgr", "cpt50", "cpt80", "random_apgr", "oracle_apgr", "apgr_usd",
                            "cpt50_usd_per_1k", "cascade_apgr", "task_type_apgr"}) {
        REQUIRE(j.contains(key));
        CHECK(j[key]["per_seed"].size() == 3);
    }
    // The learned router beats random and the type prior (it also sees the tricky word);
    // the cascade reads the weak answer, which here gives the outcome away.
    CHECK(j["apgr"]["mean"].get<double>() > j["random_apgr"]["mean"].get<double>() + 0.1);
    CHECK(j["apgr"]["mean"].get<double>() > j["task_type_apgr"]["mean"].get<double>());
    CHECK(j["cascade_apgr"]["mean"].get<double>() > j["apgr"]["mean"].get<double>());
    nlohmann::json c = curves_json(ev);
    CHECK(c["share"].size() == k_curve_points);
    for (const char* key : {"learned", "random", "oracle", "cascade"}) {
        CHECK(c[key].size() == k_curve_points);
    }
    Evaluation again = evaluate_routers(table, eo);
    CHECK(evaluation_json(again) == j); // deterministic
}
