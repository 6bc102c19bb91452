// orch tune across many models as a user runs it: generated outcomes (orch sim outcomes),
// imported with a replay provider, tuned for a cost per task, routed by orch route; a run
// where the better model is also the cheaper; routing that cannot help; and the policy keys.
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <nlohmann/json.hpp>

using orch::test::run_orch;
using orch::test::TempDir;


TEST_CASE("cli::tune across five models, then route by the learned policy") {
    TempDir dir;
    std::string cwd = dir.path().string();
    std::string db = dir.file("g.db");
    auto gen = run_orch({"sim", "outcomes", "-n", "3000", "--models", "5", "--seed", "7", "-o",
                         dir.file("gen.jsonl")},
                        cwd);
    REQUIRE(gen.exit_code == 0);
    auto imp = run_orch({"--db", db, "import", "jsonl", dir.file("gen.jsonl"), "--replay-dir",
                         dir.file("replay")},
                        cwd);
    REQUIRE(imp.exit_code == 0);

    auto ev = run_orch({"--db", db, "tune", "--evaluate", "--seeds", "2", "--json", "--curve",
                        dir.file("curve.json")},
                       cwd);
    REQUIRE(ev.exit_code == 0);
    auto ej = nlohmann::json::parse(ev.out);
    CHECK(ej["models"].size() == 5);
    CHECK(ej["single_models"].contains("gen-specialist"));
    double learned = ej["learned"]["aiq"]["mean"].get<double>();
    CHECK(learned > ej["zero"]["aiq"]["mean"].get<double>());
    CHECK(learned <= ej["oracle"]["aiq"]["mean"].get<double>());
    std::ifstream curve(dir.file("curve.json"));
    auto cj = nlohmann::json::parse(curve);
    CHECK(cj["cost_quality"]["models"].size() == 5);

    auto tune = run_orch({"--db", db, "tune", "--max-cost-per-task", "0.003", "-o",
                          dir.file("pol/learned.toml"), "--json"},
                         cwd);
    REQUIRE(tune.exit_code == 0);
    auto tj = nlohmann::json::parse(tune.out);
    CHECK(tj["kind"] == "learned");
    CHECK(tj["expected_cost_per_task_usd"].get<double>() <= 0.003);
    CHECK(tj["gain_over_baseline"].get<double>() > 0);
    CHECK(std::filesystem::exists(dir.file("pol/learned.router.json")));

    // Extract prompts go to the specialist, cheaper and better there; proofs to the frontier.
    std::string providers = dir.file("replay/providers.toml");
    auto first = [&](const std::string& type, const std::string& prompt) {
        auto r = run_orch({"--providers", providers, "route", "--policy",
                           dir.file("pol/learned.toml"), "--type", type, "--explain", "--json",
                           prompt},
                          cwd);
        REQUIRE(r.exit_code == 0);
        return nlohmann::json::parse(r.out)["chain"][0]["model"].get<std::string>();
    };
    CHECK(first("extract", "extract task 1: apple river table") == "gen-specialist");
    CHECK(first("math", "math task 2: stone paper proof") == "gen-frontier");
}

TEST_CASE("cli::tune never sends prompts to a model that is both worse and dearer") {
    TempDir dir;
    std::string cwd = dir.path().string();
    std::string rows;
    for (int i = 0; i < 200; ++i) {
        bool good_ok = i % 10 != 0;  // 90%
        bool dear_ok = i % 10 < 7;   // 70%
        rows += nlohmann::json{{"id", i},
                               {"task_type", i % 2 ? "a" : "b"},
                               {"prompt", "question " + std::to_string(i)},
                               {"scores", {{"good-cheap", good_ok ? 1 : 0}, {"dear", dear_ok ? 1 : 0}}},
                               {"cost_usd", {{"good-cheap", 0.001}, {"dear", 0.002}}}}
                    .dump() +
                "\n";
    }
    dir.write("two.jsonl", rows);
    std::string db = dir.file("t.db");
    REQUIRE(run_orch({"--db", db, "import", "jsonl", dir.file("two.jsonl")}, cwd).exit_code == 0);
    auto tune = run_orch({"--db", db, "tune", "-o", dir.file("p.toml")}, cwd);
    REQUIRE(tune.exit_code == 0);
    CHECK(tune.out.find("does not beat") != std::string::npos);
    std::ifstream in(dir.file("p.toml"));
    std::string toml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(toml.find("model = \"good-cheap\"") != std::string::npos);
    CHECK(toml.find("\"dear\"") == std::string::npos);
    CHECK(toml.find("action = \"learned\"") == std::string::npos);
}

TEST_CASE("cli::tune writes the simpler policy when routing cannot help") {
    TempDir dir;
    std::string cwd = dir.path().string();
    std::string db = dir.file("e.db");
    REQUIRE(run_orch({"sim", "outcomes", "-n", "1500", "--models", "3", "--equal", "-o",
                      dir.file("eq.jsonl")},
                     cwd)
                .exit_code == 0);
    REQUIRE(run_orch({"--db", db, "import", "jsonl", dir.file("eq.jsonl")}, cwd).exit_code == 0);
    auto tune = run_orch({"--db", db, "tune", "--lambda", "3", "-o", dir.file("p.toml"), "--json"},
                         cwd);
    REQUIRE(tune.exit_code == 0);
    auto tj = nlohmann::json::parse(tune.out);
    CHECK(tj["kind"] != "learned");
    CHECK(tj["router"] == "");
    CHECK_FALSE(std::filesystem::exists(dir.file("p.router.json")));
}

TEST_CASE("cli::tune and policies: bad many-model input is one located error") {
    TempDir dir;
    std::string cwd = dir.path().string();
    std::string db = dir.file("g.db");
    REQUIRE(run_orch({"sim", "outcomes", "-n", "300", "--models", "3", "-o", dir.file("g.jsonl")},
                     cwd)
                .exit_code == 0);
    REQUIRE(run_orch({"--db", db, "import", "jsonl", dir.file("g.jsonl"), "--replay-dir",
                      dir.file("replay")},
                     cwd)
                .exit_code == 0);
    auto both = run_orch({"--db", db, "tune", "--lambda", "1", "--target-quality", "0.9"}, cwd);
    CHECK(both.exit_code == 2);
    CHECK(both.err.find("one of them at most") != std::string::npos);
    auto unknown = run_orch({"--db", db, "tune", "--models", "gen-mid", "--models", "nope"}, cwd);
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("no scored results for \"nope\"") != std::string::npos);
    auto models = run_orch({"sim", "outcomes", "--models", "9"}, cwd);
    CHECK(models.exit_code == 2);
    CHECK(models.err.find("--models: expected 2 to 6") != std::string::npos);

    REQUIRE(run_orch({"--db", db, "tune", "--lambda", "0", "-o", dir.file("l.toml")}, cwd)
                .exit_code == 0);
    std::string providers = dir.file("replay/providers.toml");
    dir.write("bad.toml", "name = \"bad\"\n[[rules]]\nname = \"r\"\naction = \"learned\"\n"
                                "models = [\"gen-mid\", \"gen-small\"]\nscorer = \"l.router.json\"\n"
                                "threshold = 0.5\n");
    auto bad = run_orch({"--providers", providers, "route", "--policy", dir.file("bad.toml"),
                         "--explain", "hello"},
                        cwd);
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("bad.toml:7") != std::string::npos);
    CHECK(bad.err.find("rules[0].threshold: not used with models") != std::string::npos);
    CHECK(bad.err.find("rules[0].lambda: missing") != std::string::npos);
}
