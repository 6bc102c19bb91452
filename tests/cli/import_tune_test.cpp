// orch import and orch tune as a user runs them, on a sample of the RouteLLM data: the same
// commands as scripts/routellm-eval, small enough for CI. The figures are checked for shape
// and range here; the benchmark itself is scripts/routellm-eval.
#include "support/process.hpp"

#include <orch/learn/scorer.hpp>

#include <algorithm>
#include <doctest/doctest.h>
#include <filesystem>
#include <nlohmann/json.hpp>

using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;
using orch::test::sql;

namespace {

std::string data_dir() {
    return std::string(ORCH_SOURCE_DIR) + "/../shared/data/routellm";
}


// Shares are in [0, 1]. An APGR is at least 0 and at most the oracle's, which recovers the
// most at every share (and may pass 1 when the weak model is sometimes right where the strong
// one is wrong).
void check_range(const nlohmann::json& j, const std::string& key, double max = 1.0) {
    INFO(key);
    REQUIRE(j.contains(key));
    REQUIRE(j[key]["mean"].is_number());
    REQUIRE(j[key]["per_seed"].size() == j["seeds"].get<std::size_t>());
    double v = j[key]["mean"].get<double>();
    CHECK(v >= 0);
    CHECK(v <= max + 1e-9);
    for (const auto& s : j[key]["per_seed"]) {
        CHECK(s.get<double>() >= 0);
        CHECK(s.get<double>() <= max + 1e-9);
    }
}

void check_figures(const nlohmann::json& j, const std::string& prefix) {
    check_range(j, prefix + "apgr", 2);
    check_range(j, prefix + "cpt50");
    check_range(j, prefix + "cpt80");
    for (std::size_t s = 0; s < j["seeds"].get<std::size_t>(); ++s) {
        CHECK(j[prefix + "apgr"]["per_seed"][s].get<double>() <=
              j["oracle_apgr"]["per_seed"][s].get<double>() + 1e-9);
        CHECK(j[prefix + "cpt50"]["per_seed"][s].get<double>() <=
              j[prefix + "cpt80"]["per_seed"][s].get<double>());
    }
    CHECK(j[prefix + "cpt50_usd_per_1k"]["mean"].get<double>() > 0);
}

} // namespace

TEST_CASE("cli::import and tune on a sample of the RouteLLM data") {
    if (!std::filesystem::exists(data_dir() + "/mmlu")) {
        MESSAGE("skipped: no RouteLLM data at " << data_dir());
        return;
    }
    TempDir dir;
    std::string db = dir.file("r.db");
    std::string mmlu = data_dir() + "/mmlu/";
    auto imp = run_orch({"--db", db, "import", "routellm", mmlu + "mmlu_moral_scenarios.csv",
                         mmlu + "mmlu_college_computer_science.csv", mmlu + "mmlu_formal_logic.csv",
                         mmlu + "mmlu_conceptual_physics.csv", "--sample", "60", "--json"},
                        dir.path().string());
    REQUIRE(imp.exit_code == 0);
    auto ij = nlohmann::json::parse(imp.out);
    CHECK(ij["run"] == 1);
    CHECK(ij["prompts"] == 240);
    CHECK(ij["results"] == 480);
    auto gsm = run_orch({"--db", db, "import", "routellm", data_dir() + "/gsm8k", "--sample", "200",
                         "--price", "gpt-4-1106-preview=10,30"},
                        dir.path().string());
    REQUIRE(gsm.exit_code == 0);
    CHECK(gsm.out.find("run 2: imported 200 prompts, 400 results (2 models)") == 0);

    SUBCASE("an import is one run with one scored row per prompt and model, and its prompts") {
        CHECK(
            sql(db,
                "select count(*), sum(simulated), sum(status = 'scored'), sum(repeat) from results "
                "where run_id = 1") == "480|0|480|0\n");
        CHECK(sql(db, "select status, simulated, command like 'orch %import routellm%' from runs "
                      "where id = 1") == "completed|0|1\n");
        CHECK(sql(db, "select count(distinct task_type) from results where run_id = 1") == "4\n");
        CHECK(sql(db, "select task_id from results where run_id = 1 order by task_id limit 1")
                  .rfind("mmlu_college_computer_science/0", 0) == 0);
        CHECK(sql(db, "select count(*) from results where run_id = 2 and output = ''") == "0\n");
        // gpt-4 priced by --price: $10/M in, $30/M out.
        CHECK(sql(db, "select count(*) from results where run_id = 2 and model = "
                      "'gpt-4-1106-preview' and "
                      "abs(cost_usd - (input_tokens * 10 + output_tokens * 30) / 1e6) > 1e-12") ==
              "0\n");
        CHECK(sql(db, "select json_extract(suites, '$.prompts') like '%r.db.imports/2.jsonl' from "
                      "runs where id = 2") == "1\n");
        CHECK(std::filesystem::exists(db + ".imports/1.jsonl"));
        auto runs = run_orch({"--db", db, "runs", "list"});
        CHECK(runs.exit_code == 0);
        CHECK(runs.out.find("routellm-gsm8k") != std::string::npos);
    }
    SUBCASE("tune --evaluate reports the RouteLLM figures as JSON, and the curves") {
        std::string curve = dir.file("curve.json");
        auto r = run_orch({"--db", db, "tune", "--run", "1", "--strong", "gpt-4-1106-preview",
                           "--weak", "mistralai/Mixtral-8x7B-Instruct-v0.1", "--evaluate",
                           "--holdout", "0.5", "--seeds", "5", "--json", "--curve", curve});
        REQUIRE(r.exit_code == 0);
        auto j = nlohmann::json::parse(r.out);
        CHECK(j["prompts"] == 240);
        CHECK(j["test_prompts"] == 120);
        CHECK(j["seeds"] == 5);
        check_figures(j, "");
        check_range(j, "random_apgr");
        check_range(j, "random_cpt50");
        check_range(j, "task_type_apgr", 2);
        check_range(j, "apgr_usd", 2);
        CHECK_FALSE(j.contains("cascade_apgr")); // no responses in MMLU
        auto c = nlohmann::json::parse(orch::test::read_text(curve));
        CHECK(c["share"].size() == 101);
        CHECK(c["learned"].size() == 101);
        CHECK(c["random"].size() == 101);
        CHECK(c["oracle"].size() == 101);

        auto g = run_orch({"--db", db, "tune", "--run", "2", "--evaluate", "--json"});
        REQUIRE(g.exit_code == 0);
        auto gj = nlohmann::json::parse(g.out);
        check_figures(gj, "");
        check_figures(gj, "cascade_");
        check_range(gj, "random_apgr");
        auto table = run_orch({"--db", db, "tune", "--run", "2", "--evaluate", "--seeds", "1"});
        CHECK(table.exit_code == 0);
        CHECK(table.out.find("APGR") != std::string::npos);
        CHECK(table.out.find("cascade") != std::string::npos);
    }
    SUBCASE("tune writes a policy with a learned rule and a scorer the router can load") {
        std::string policy = dir.file("policies/mmlu.toml");
        auto r = run_orch({"--db", db, "tune", "--run", "1", "--target", "0.85", "-o", policy});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("wrote " + policy) == 0);
        std::string toml = orch::test::read_text(policy);
        CHECK(toml.find("name = \"mmlu\"") != std::string::npos);
        CHECK(toml.find("action = \"learned\"") != std::string::npos);
        CHECK(toml.find("weak = \"mistralai/Mixtral-8x7B-Instruct-v0.1\"") != std::string::npos);
        CHECK(toml.find("scorer = \"mmlu.scorer.json\"") != std::string::npos);
        auto scorer = orch::learn::Scorer::load(dir.file("policies/mmlu.scorer.json"));
        CHECK(scorer.strong() == "gpt-4-1106-preview");
        double hard = scorer.score("Which of the following is wrong?", "mmlu_moral_scenarios");
        CHECK(hard >= -1);
        CHECK(hard <= 1);

        auto cascade = run_orch({"--db", db, "tune", "--run", "2", "--cascade", "--share", "0.3",
                                 "--json", "-o", dir.file("gsm.toml")});
        REQUIRE(cascade.exit_code == 0);
        auto cj = nlohmann::json::parse(cascade.out);
        CHECK(cj["expected_strong_share"].get<double>() == doctest::Approx(0.3));
        CHECK(orch::learn::Scorer::load(dir.file("gsm.scorer.json")).uses_response());
    }
    SUBCASE("bad input: one clear error, exit 2, nothing written") {
        std::string other = dir.file("other.db");
        auto missing = run_orch({"--db", other, "import", "routellm", dir.file("nope.csv")});
        CHECK(missing.exit_code == 2);
        CHECK(missing.err.find("nope.csv: no such file or folder") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(other));
        auto unknown = run_orch({"--db", db, "tune", "--run", "1", "--weak", "gpt-17"});
        CHECK(unknown.exit_code == 2);
        CHECK(unknown.err.find("--weak: run 1 has no scored results for \"gpt-17\"") !=
              std::string::npos);
        auto no_run = run_orch({"--db", db, "tune", "--run", "9", "--evaluate"});
        CHECK(no_run.exit_code == 2);
        auto bad_price =
            run_orch({"--db", other, "import", "jsonl", dir.file("x.jsonl"), "--price", "m"});
        CHECK(bad_price.exit_code == 2);
        CHECK(bad_price.err.find("--price: expected MODEL=IN_PER_MTOK,OUT_PER_MTOK") !=
              std::string::npos);
    }
}
