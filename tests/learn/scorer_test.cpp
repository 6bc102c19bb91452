#include "learn/synthetic_table.hpp"
#include "support/process.hpp"

#include <orch/core/error.hpp>
#include <orch/learn/scorer.hpp>
#include <orch/learn/trainer.hpp>

#include <doctest/doctest.h>

using namespace orch::learn;

TEST_CASE("learn::scorer") {
    auto table = orch::test::synthetic_table(600);
    TrainOptions options;
    TrainingSet set = make_training_set(table, "weak", "strong", options.features);
    std::vector<std::size_t> rows(set.x.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i] = i;
    }
    Scorer scorer = fit_scorer(set, rows, options);
    orch::test::TempDir dir;

    SUBCASE("scores what it learned: hard and tricky prompts need the strong model more") {
        double easy = scorer.score("Question 1: apple river house?", "easy");
        double hard = scorer.score("Question 1: apple river house?", "hard");
        double tricky = scorer.score("Question 1: apple river house tricky?", "hard");
        CHECK(hard > easy);
        CHECK(tricky > hard);
        CHECK(tricky <= 1.0);
        CHECK(easy >= -1.0);
    }
    SUBCASE("saved and loaded, it scores exactly the same") {
        std::string path = dir.file("s.json");
        scorer.save(path);
        Scorer loaded = Scorer::load(path);
        CHECK(loaded.weak() == "weak");
        CHECK(loaded.strong() == "strong");
        CHECK_FALSE(loaded.uses_response());
        for (const auto& e : table.examples) {
            CHECK(loaded.score(e.prompt, e.task_type) == scorer.score(e.prompt, e.task_type));
        }
        CHECK(loaded.to_json() == scorer.to_json());
    }
    SUBCASE("a cascade scorer reads the weak model's answer") {
        TrainOptions cascade = options;
        cascade.features.answer_checks = true;
        TrainingSet cs = make_training_set(table, "weak", "strong", cascade.features);
        Scorer c = fit_scorer(cs, rows, cascade);
        CHECK(c.uses_response());
        const char* p = "Question 2: apple river house?";
        CHECK(c.score(p, "easy", std::string_view("I cannot tell")) >
              c.score(p, "easy", std::string_view("#### 4")));
    }
    SUBCASE("a bad file is a located configuration error") {
        auto expect = [&](const std::string& text, const std::string& wanted) {
            std::string path = dir.write("bad.json", text);
            try {
                Scorer::load(path);
                FAIL("expected an error for " << text);
            } catch (const orch::Error& e) {
                CHECK(e.exit_code() == 2);
                CHECK(std::string(e.what()).find(wanted) != std::string::npos);
                CHECK(std::string(e.what()).rfind(path, 0) == 0);
            }
        };
        expect("{\n  \"format\": ", ":2:");
        expect("{\"format\": \"other/9\"}", "format: expected \"orch-scorer/1\"");
        nlohmann::json j = scorer.to_json();
        j["weak_model"]["index"][0] = 1u << 30;
        expect(j.dump(), "weak_model.index[0]: expected an integer below");
        j = scorer.to_json();
        j.erase("strong_model");
        expect(j.dump(), "strong_model: missing");
        try {
            Scorer::load(dir.file("nope.json"));
            FAIL("expected an error");
        } catch (const orch::Error& e) {
            CHECK(std::string(e.what()).find("cannot open the scorer file") != std::string::npos);
        }
    }
}
