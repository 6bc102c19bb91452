// Policies run over recorded outcomes: `orch import --replay-dir` writes a replay provider,
// suites and policies; `orch bench` and `orch diff` then run over what the models once
// answered, at no cost and without a network.
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <nlohmann/json.hpp>

using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;
using orch::test::sql;

namespace {


// 60 prompts of two types: the weak model gets every "lookup" right and every "proof" wrong;
// the strong model gets everything right but one proof.
std::string recorded_log() {
    std::string text;
    for (int i = 0; i < 60; ++i) {
        bool proof = i % 2 == 1;
        nlohmann::json row = {{"id", "p" + std::to_string(i)},
                              {"task_type", proof ? "proof" : "lookup"},
                              {"prompt", (proof ? "Prove claim " : "Look up fact ") + std::to_string(i) + "."},
                              {"scores", {{"strong", i == 59 ? 0 : 1}, {"weak", proof ? 0 : 1}}},
                              {"responses", {{"strong", "answer " + std::to_string(i)}, {"weak", "guess"}}}};
        text += row.dump() + "\n";
    }
    return text;
}

} // namespace

TEST_CASE("cli::replay: bench and diff policies over recorded outcomes at no cost") {
    TempDir dir;
    std::string db = dir.file("r.db");
    std::string replay = dir.file("replay");
    auto imp = run_orch({"--db", db, "import", "jsonl", dir.write("log.jsonl", recorded_log()), "--price",
                         "strong=10,30", "--price", "weak=0.1,0.3", "--replay-dir", replay, "--json"});
    INFO(imp.err);
    REQUIRE(imp.exit_code == 0);
    for (const char* f : {"recorded.jsonl", "providers.toml", "suites/log.toml", "suites/log.jsonl"}) {
        CHECK(std::filesystem::exists(replay + "/" + f));
    }
    const std::string providers = replay + "/providers.toml";
    const std::string suites = replay + "/suites";

    SUBCASE("bench replays each model exactly as recorded") {
        auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", suites, "-t", "strong", "-t",
                           "weak", "-t", "policy:split-even"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.err.find("spent $0.0000") != std::string::npos);
        CHECK(r.err.find("180 answers replayed from recorded outcomes") != std::string::npos);
        // Same scores, tokens and costs as the imported run, task by task.
        CHECK(sql(db, "select count(*) from results a join results b on a.task_id = b.task_id and a.target = b.target "
                      "where a.run_id = 1 and b.run_id = 2 and a.score = b.score and a.cost_usd = b.cost_usd and "
                      "a.input_tokens = b.input_tokens and a.output_tokens = b.output_tokens and a.output = b.output") ==
              "120\n");
        CHECK(sql(db, "select count(*) from results where run_id = 2 and status != 'scored'") == "0\n");
        // The even split sends about half the prompts to each model.
        int weak = std::stoi(sql(db, "select count(*) from results where run_id = 2 and target = 'policy:split-even' "
                                     "and model = 'weak'"));
        CHECK(weak > 15);
        CHECK(weak < 45);
        CHECK(sql(db, "select task_type, count(*) from results where run_id = 2 and target = 'strong' group by 1") ==
              "lookup|30\nproof|30\n");
    }

    SUBCASE("diff: a tuned policy against always-strong, replayed") {
        auto tune = run_orch({"--db", db, "tune", "--run", "1", "--strong", "strong", "--weak", "weak", "-o",
                              dir.file("learned.toml")});
        INFO(tune.err);
        REQUIRE(tune.exit_code == 0);
        auto d = run_orch({"--providers", providers, "--db", db, "diff", "policy:only-strong", dir.file("learned.toml"),
                           "--suite", suites, "--json"});
        INFO(d.err);
        REQUIRE((d.exit_code == 0 || d.exit_code == 1));
        CHECK(d.err.find("0 calls answered from the cache, 60 from recorded outcomes, $0.0000 spent") != std::string::npos);
        auto j = nlohmann::json::parse(d.out);
        INFO(d.out);
        // The tuned policy sends lookups to the weak model: the same quality for about half the cost.
        REQUIRE(j["comparisons"].size() == 1);
        const auto& c = j["comparisons"][0];
        CHECK(c["paired"] == 60);
        CHECK(c["quality"]["b"].get<double>() == doctest::Approx(c["quality"]["a"].get<double>()));
        CHECK(c["cost_usd"]["relative"].get<double>() < -0.4);
    }

    SUBCASE("a replay source that is not there, or malformed, fails before any run is written") {
        std::string bad = dir.write("bad.toml", "[providers.rec]\nprotocol = \"replay\"\nsource = \"nowhere.jsonl\"\n");
        auto r = run_orch({"--providers", bad, "--db", dir.file("x.db"), "bench", "--suite", suites, "-t", "strong"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("bad.toml:3:") != std::string::npos);
        CHECK(r.err.find("providers.rec.source: no such file") != std::string::npos);

        dir.write("broken.jsonl", "{\"prompt\": \"x\", \"scores\": {\"strong\": 2}}\n");
        std::string text = orch::test::read_text(providers);
        text.replace(text.find("source = \"recorded.jsonl\""), 25, "source = \"" + dir.file("broken.jsonl") + "\"");
        auto broken = run_orch({"--providers", dir.write("broken.toml", text), "--db", dir.file("y.db"), "bench",
                                "--suite", suites, "-t", "strong"});
        CHECK(broken.exit_code == 2);
        CHECK(broken.err.find("broken.jsonl:1: scores.strong: expected a score from 0 to 1, got 2") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(dir.file("y.db")));
    }
}
