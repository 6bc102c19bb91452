// The replay provider: answers from recorded outcomes, looked up by the prompt, with the score
// they were recorded with; and the recorded-outcomes file it reads, with located errors.
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <orch/config/recorded.hpp>
#include <orch/core/error.hpp>
#include <orch/provider/check.hpp>
#include <orch/provider/replay_provider.hpp>

#include <sstream>

using orch::test::TempDir;

namespace {

orch::provider::Outcome call(orch::provider::Provider& p, const orch::config::ModelConfig& m, const std::string& prompt) {
    orch::Request r;
    r.messages = {{"system", "Answer briefly."}, {"user", prompt}};
    std::optional<orch::provider::Outcome> got;
    p.start(m, r, [&](orch::provider::Outcome o) { got = std::move(o); });
    REQUIRE(got); // answered at once, on the caller's thread
    return std::move(*got);
}

const char* k_recorded =
    R"({"id": "q1", "task_type": "math", "prompt": "What is 2+2?", "scores": {"strong": 1, "weak": 0}, "responses": {"strong": "4", "weak": "5"}, "tokens": {"strong": {"input": 7, "output": 1}}, "cost_usd": {"strong": 0.25}, "latency_ms": {"strong": 900}})"
    "\n"
    R"({"prompt": "Name a prime.", "scores": {"strong": true, "weak": 0.5}})"
    "\n";

} // namespace

TEST_CASE("provider::replay answers with the recorded response, score, tokens, cost and latency") {
    TempDir dir;
    orch::config::ProviderConfig cfg;
    cfg.name = "recorded";
    cfg.protocol = "replay";
    cfg.source = dir.write("r.jsonl", k_recorded);
    orch::provider::ReplayProvider p(cfg);
    CHECK_FALSE(p.cacheable());
    orch::config::ModelConfig strong;
    strong.name = "strong";
    strong.input_per_mtok = 1e6; // $1 a token: cost from the price when none is recorded
    strong.output_per_mtok = 1e6;
    orch::config::ModelConfig weak = strong;
    weak.name = "weak-model";
    weak.id = "weak"; // the recorded name is the model's id

    auto a = call(p, strong, "What is 2+2?");
    REQUIRE(a);
    CHECK(a.value().text == "4");
    CHECK(a.value().recorded_score == 1.0);
    CHECK(a.value().usage.input_tokens == 7);
    CHECK(a.value().usage.output_tokens == 1);
    CHECK_FALSE(a.value().usage.estimated);
    CHECK(a.value().cost_usd == doctest::Approx(0.25));
    CHECK(a.value().latency_ms == doctest::Approx(900));

    auto b = call(p, weak, "What is 2+2?");
    REQUIRE(b);
    CHECK(b.value().text == "5");
    CHECK(b.value().recorded_score == 0.0);
    CHECK(b.value().usage.estimated);
    CHECK(b.value().cost_usd == doctest::Approx(static_cast<double>(b.value().usage.input_tokens + b.value().usage.output_tokens)));

    auto c = call(p, weak, "  Name a prime.\n"); // surrounding whitespace is not part of the prompt
    REQUIRE(c);
    CHECK(c.value().recorded_score == 0.5);
    CHECK(c.value().text.empty());

    auto unknown = call(p, strong, "What is 3+3?");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().kind == orch::ProviderErrorKind::bad_response);
    CHECK(unknown.error().message.find("no recorded answer") != std::string::npos);
    CHECK(unknown.error().message.find("What is 3+3?") != std::string::npos);

    orch::config::ModelConfig other = strong;
    other.name = "other";
    auto missing = call(p, other, "What is 2+2?");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("line 1 has no outcome for model \"other\"") != std::string::npos);
}

TEST_CASE("config::recorded outcomes: ids, repeats and every problem located") {
    TempDir dir;
    auto file = orch::config::read_recorded_jsonl(dir.write("ok.jsonl", std::string(k_recorded) + k_recorded));
    REQUIRE(file.prompts.size() == 4);
    CHECK(file.prompts[0].id == "q1");
    CHECK(file.prompts[2].id == "q1#2");
    CHECK(file.prompts[1].id.size() == 16); // a hash of type and prompt
    CHECK(file.prompts[1].task_type == "default");
    CHECK(file.models == std::vector<std::string>{"strong", "weak"});

    // What is written reads back the same.
    std::ostringstream out;
    for (const auto& p : file.prompts) {
        orch::config::write_recorded_line(out, p);
    }
    auto again = orch::config::read_recorded_jsonl(dir.write("again.jsonl", out.str()));
    REQUIRE(again.prompts.size() == 4);
    CHECK(again.prompts[0].outcomes[0].latency_ms == 900.0);
    CHECK(again.prompts[3].id == file.prompts[3].id);

    std::string bad = dir.write("bad.jsonl", "{\"prompt\": \"a\", \"scores\": {\"m\": 7}}\n"
                                             "not json\n"
                                             "{\"prompt\": 3, \"scores\": {\"m\": 1}}\n"
                                             "{\"prompt\": \"b\", \"scores\": {\"m\": 1}, \"latency_ms\": {\"m\": -1}}\n"
                                             "{\"prompt\": \"c\"}\n");
    try {
        orch::config::read_recorded_jsonl(bad);
        FAIL("expected an error");
    } catch (const orch::Error& e) {
        std::string what = e.what();
        CHECK(what.find(bad + ":1: scores.m: expected a score from 0 to 1, got 7") != std::string::npos);
        CHECK(what.find(bad + ":2: invalid JSON") != std::string::npos);
        CHECK(what.find(bad + ":3: prompt: expected a string") != std::string::npos);
        CHECK(what.find(bad + ":4: latency_ms.m: expected a number of milliseconds") != std::string::npos);
        CHECK(what.find(bad + ":5: scores: expected an object") != std::string::npos);
    }
    CHECK_THROWS_AS(orch::config::read_recorded_jsonl(dir.file("absent.jsonl")), orch::Error);
}

TEST_CASE("provider::providers check reads a replay provider's file instead of calling it") {
    TempDir dir;
    orch::config::ProvidersConfig cfg;
    orch::config::ProviderConfig good;
    good.name = "recorded";
    good.protocol = "replay";
    good.source = dir.write("r.jsonl", k_recorded);
    orch::config::ProviderConfig bad = good;
    bad.name = "broken";
    bad.source = dir.write("bad.jsonl", "{\"prompt\": 1}\n");
    cfg.providers = {good, bad};
    orch::config::ModelConfig strong;
    strong.name = "strong";
    strong.provider = "recorded";
    cfg.models = {strong};
    auto results = orch::provider::check_providers(cfg, {});
    REQUIRE(results.size() == 2);
    CHECK(results[0].ok);
    CHECK(results[0].message.find("2 recorded prompts, 2 models") != std::string::npos);
    CHECK_FALSE(results[1].ok);
    CHECK(results[1].error_kind == "config");
    CHECK(results[1].message.find("bad.jsonl:1: prompt: expected a string") != std::string::npos);
}
