#include "support/process.hpp"

#include <orch/core/error.hpp>
#include <orch/learn/import.hpp>
#include <orch/learn/imported_prompts.hpp>
#include <orch/learn/run_table.hpp>
#include <orch/store/store.hpp>

#include <doctest/doctest.h>
#include <filesystem>

using namespace orch::learn;
using orch::test::TempDir;

namespace {

const char* k_csv = "prompt,weak-m,strong-m,weak-m_response\n"
                    "\"What is 2+2, roughly?\nA. 4\nB. 5\nAnswer:\",True,True,\"It is 4.\"\n"
                    "Plain question,False,True,\"I think \"\"5\"\"\"\n"
                    "Third,0.5,1,\n";

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const orch::Error& e) {
        CHECK(e.exit_code() == 2);
        return e.what();
    }
    FAIL("expected an error");
    return "";
}

} // namespace

TEST_CASE("learn::import routellm") {
    TempDir dir;
    std::string mmlu = dir.write("data/mmlu_tiny.csv", k_csv);
    ImportOptions options;

    SUBCASE("reads prompts, scores and responses; names task types and ids after the file") {
        ImportBatch b = read_routellm({mmlu}, options);
        REQUIRE(b.tasks.size() == 3);
        CHECK(b.models == std::vector<std::string>{"weak-m", "strong-m"});
        CHECK(b.suites.count("routellm-mmlu") == 1);
        CHECK(b.suites["routellm-mmlu"].size() == 64);
        const auto& t = b.tasks[0];
        CHECK(t.suite == "routellm-mmlu");
        CHECK(t.task_type == "mmlu_tiny");
        CHECK(t.task_id == "mmlu_tiny/000000");
        CHECK(t.prompt == "What is 2+2, roughly?\nA. 4\nB. 5\nAnswer:");
        REQUIRE(t.outcomes.size() == 2);
        CHECK(t.outcomes[0].model == "weak-m");
        CHECK(t.outcomes[0].score == 1);
        CHECK(*t.outcomes[0].response == "It is 4.");
        CHECK_FALSE(t.outcomes[1].response);
        CHECK(*b.tasks[1].outcomes[0].response == "I think \"5\"");
        CHECK(b.tasks[2].outcomes[0].score == 0.5);
    }
    SUBCASE("a folder is every CSV in it; gsm8k files become task type gsm8k") {
        dir.write("data/gsm8k_responses.csv", k_csv);
        ImportBatch b = read_routellm({dir.file("data")}, options);
        CHECK(b.tasks.size() == 6);
        CHECK(b.suites.count("routellm-gsm8k") == 1);
        CHECK(b.tasks[0].task_id == "gsm8k/000000");
    }
    SUBCASE("--sample keeps a deterministic subset with stable ids") {
        options.sample = 2;
        ImportBatch a = read_routellm({mmlu}, options);
        ImportBatch again = read_routellm({mmlu}, options);
        REQUIRE(a.tasks.size() == 2);
        CHECK(a.tasks[0].task_id == again.tasks[0].task_id);
        CHECK(a.tasks[1].task_id == again.tasks[1].task_id);
        CHECK(a.tasks[0].task_id < a.tasks[1].task_id);
    }
    SUBCASE("every problem is reported, located at the record's first line") {
        std::string bad =
            dir.write("bad.csv", "prompt,m\n\"two\nlines\",maybe\nok,True,extra\nfine,1\n");
        std::string err = error_of([&] { read_routellm({bad}, options); });
        CHECK(
            err.find("bad.csv:2: m: expected True, False or a score from 0 to 1, got \"maybe\"") !=
            std::string::npos);
        CHECK(err.find("bad.csv:4: expected 2 fields as in the header, got 3") !=
              std::string::npos);
        CHECK(err.find("(2 problems)") != std::string::npos);
        std::string no_prompt = dir.write("np.csv", "question,m\nx,True\n");
        CHECK(error_of([&] {
                  read_routellm({no_prompt}, options);
              }).find("expected a column named \"prompt\"") != std::string::npos);
        CHECK(error_of([&] {
                  read_routellm({dir.file("missing.csv")}, options);
              }).find("no such file") != std::string::npos);
    }
    SUBCASE("--price parses both forms and rejects nonsense") {
        auto [model, price] = parse_price("gpt-4-1106-preview=10,30");
        CHECK(model == "gpt-4-1106-preview");
        CHECK(price.input_per_mtok == 10);
        CHECK(price.output_per_mtok == 30);
        CHECK(parse_price("a=b=0.5").second.output_per_mtok == 0.5); // the last '=' splits
        CHECK_THROWS_AS(parse_price("gpt"), orch::Error);
        CHECK_THROWS_AS(parse_price("m=x,1"), orch::Error);
        CHECK_THROWS_AS(parse_price("m=-1"), orch::Error);
    }
}

TEST_CASE("learn::import writes one run, its prompts, and reads back as a table") {
    TempDir dir;
    std::string csv = dir.write("mmlu_tiny.csv", k_csv);
    std::string db = dir.file("o.db");
    ImportOptions options;
    options.prices["strong-m"] = {20, 40};
    ImportBatch batch = read_routellm({csv}, options);
    orch::store::Store store(db);
    ImportOutcome out =
        write_import(batch, options, {"orch import routellm mmlu_tiny.csv", "", db}, store);

    CHECK(out.run_id == 1);
    CHECK(out.prompts == 3);
    CHECK(out.results == 6);
    CHECK(out.price_source["strong-m"] == "--price");
    CHECK(out.price_source["weak-m"] == "none");
    REQUIRE(out.warnings.size() == 1);
    CHECK(out.warnings[0].find("weak-m") != std::string::npos);
    CHECK(std::filesystem::exists(db + ".imports/1.jsonl"));

    auto run = store.run(1);
    REQUIRE(run);
    CHECK(run->status == "completed");
    CHECK(run->command == "orch import routellm mmlu_tiny.csv");
    CHECK_FALSE(run->simulated);
    CHECK(run->suites["routellm-mmlu"].get<std::string>().size() == 64);
    CHECK(std::filesystem::equivalent(run->suites[k_prompts_key].get<std::string>(),
                                      db + ".imports/1.jsonl"));

    std::vector<orch::store::ResultRow> rows;
    store.for_each_result(1, [&](const orch::store::ResultRow& r) { rows.push_back(r); });
    REQUIRE(rows.size() == 6);
    const auto& strong0 = rows[0]; // ordered by target: strong-m first
    CHECK(strong0.target == "strong-m");
    CHECK(strong0.task_id == "mmlu_tiny/000000");
    CHECK(strong0.status == "scored");
    CHECK(*strong0.passed);
    CHECK(strong0.input_tokens == 10); // 39 characters, ~4 a token
    CHECK(strong0.output_tokens == 1); // no response recorded: the fixed default
    CHECK(strong0.cost_usd == doctest::Approx((10 * 20 + 1 * 40) / 1e6));
    CHECK(strong0.tokens_estimated);
    CHECK(strong0.repeat == 0);
    const auto& weak1 = rows[4];
    CHECK(weak1.output == "I think \"5\"");
    CHECK(weak1.output_tokens == 3);
    CHECK_FALSE(*weak1.passed);
    CHECK(weak1.cost_usd == 0);
    CHECK(rows[5].score == 0.5);
    CHECK_FALSE(*rows[5].passed);

    RunTable t = load_run_table(store, 1, db);
    REQUIRE(t.examples.size() == 3);
    CHECK(t.models == std::vector<std::string>{"strong-m", "weak-m"});
    CHECK(t.examples[0].prompt == "What is 2+2, roughly?\nA. 4\nB. 5\nAnswer:");
    CHECK(t.examples[1].outcomes.at("weak-m").output == "I think \"5\"");
    CHECK(t.examples[1].outcomes.at("strong-m").score == 1);

    SUBCASE("the prompts are found beside the database even when it moves") {
        std::filesystem::create_directories(dir.file("moved"));
        std::filesystem::copy_file(db, dir.file("moved/o.db"));
        if (std::filesystem::exists(db + "-wal")) {
            std::filesystem::copy_file(db + "-wal", dir.file("moved/o.db-wal"));
        }
        std::filesystem::copy(db + ".imports", dir.file("moved/o.db.imports"));
        std::filesystem::remove_all(db + ".imports");
        orch::store::Store moved(dir.file("moved/o.db"));
        RunTable m = load_run_table(moved, 1, dir.file("moved/o.db"));
        CHECK(m.examples[0].prompt == t.examples[0].prompt);
        CHECK_THROWS_AS(load_run_table(moved, 7, dir.file("moved/o.db")), orch::Error);
    }
}

TEST_CASE("learn::import jsonl") {
    TempDir dir;
    ImportOptions options;
    SUBCASE("reads scores, responses, tokens and costs; ids from the file or a hash") {
        std::string path = dir.write(
            "logs.jsonl",
            "{\"prompt\": \"Summarise: x\", \"task_type\": \"summarize\", \"scores\": {\"a\": 0.7, "
            "\"b\": true}, "
            "\"responses\": {\"a\": \"x.\"}, \"tokens\": {\"a\": {\"input\": 12, \"output\": 3}}, "
            "\"cost_usd\": {\"b\": 0.002}}\n"
            "\n"
            "{\"id\": \"r2\", \"prompt\": \"Hi\", \"task_type\": \"chat\", \"scores\": {\"a\": "
            "0}}\n"
            "{\"prompt\": \"Summarise: x\", \"task_type\": \"summarize\", \"scores\": {\"a\": "
            "1}}\n");
        ImportBatch b = read_jsonl(path, options);
        REQUIRE(b.tasks.size() == 3);
        CHECK(b.suites.count("logs") == 1);
        CHECK(b.models == std::vector<std::string>{"a", "b"});
        CHECK(b.tasks[0].task_id.size() == 16);
        CHECK(b.tasks[1].task_id == "r2");
        CHECK(b.tasks[2].task_id == b.tasks[0].task_id + "#2"); // the same prompt twice
        CHECK(*b.tasks[0].outcomes[0].input_tokens == 12);
        CHECK(*b.tasks[0].outcomes[0].response == "x.");
        CHECK(b.tasks[0].outcomes[1].score == 1);
        CHECK(*b.tasks[0].outcomes[1].cost_usd == 0.002);
    }
    SUBCASE("every bad line is reported with its line number") {
        std::string path = dir.write("bad.jsonl", "{\"prompt\": 3, \"scores\": {}}\n"
                                                  "not json\n"
                                                  "{\"prompt\": \"p\", \"scores\": {\"a\": 2}}\n"
                                                  "{\"prompt\": \"p\"}\n");
        std::string err = error_of([&] { read_jsonl(path, options); });
        CHECK(err.find("bad.jsonl:1: prompt: expected a string") != std::string::npos);
        CHECK(err.find("bad.jsonl:2: invalid JSON") != std::string::npos);
        CHECK(err.find("bad.jsonl:3: scores.a: expected a score from 0 to 1, got 2") !=
              std::string::npos);
        CHECK(err.find("bad.jsonl:4: scores: expected an object") != std::string::npos);
    }
}
