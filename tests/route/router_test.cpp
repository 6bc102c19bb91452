#include "route/route_support.hpp"

#include <doctest/doctest.h>
#include <orch/route/cascade_check.hpp>
#include <orch/route/router.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <set>

using orch::ProviderErrorKind;
using orch::route::Refusal;
using orch::route::Router;
using orch::route::RouteResult;
using orch::test::answer;
using orch::test::failure;
using orch::test::input;
using orch::test::outcomes;
using orch::test::RouteFixture;
using orch::test::ScriptedProvider;

namespace {

using V = std::vector<std::string>;

const std::string k_policies = R"(
[[policies.fixed.rules]]
name = "only-mid"
action = "fixed"
model = "mid"

[[policies.chain.rules]]
name = "chain"
action = "fallback"
models = ["small", "mid", "big"]

[[policies.ctx.rules]]
action = "fallback"
models = ["mid", "small", "big"]

[[policies.cascade.rules]]
name = "reasoning"
action = "cascade"
models = ["small", "mid", "big"]
check = { kind = "regex", pattern = "Answer:\\s*-?[0-9]" }

[[policies.confident.rules]]
action = "cascade"
models = ["small", "big"]
check = { kind = "confidence", min = 0.7 }

[[policies.canary.rules]]
action = "split"
split = { "mid" = 90, "big" = 10 }

[[policies.cheap.rules]]
action = "cheapest"
models = ["small", "mid", "big"]
target = 0.9
min_samples = 3

[policies.quick]
latency_budget_ms = 2000
[[policies.quick.rules]]
action = "cheapest"
models = ["small", "mid", "big"]
target = 0.9
min_samples = 3

[[policies.pair.rules]]
action = "fallback"
models = ["small", "mid"]

[[policies.no_private.rules]]
name = "external-only"
action = "fallback"
models = ["mid", "big"]

[[policies.private.rules]]
name = "pii"
when = { sensitive = true }
action = "privacy"
models = ["mid", "local"]
[[policies.private.rules]]
action = "fixed"
model = "mid"

[[policies.redacting.rules]]
name = "pii-redacted"
when = { sensitive = true }
action = "privacy"
models = ["mid"]
redact = true

[policies.capped]
max_cost_per_request_usd = 0.005
[[policies.capped.rules]]
action = "fallback"
models = ["big", "mid"]

[policies.tiny_cap]
max_cost_per_request_usd = 0.0001
[[policies.tiny_cap.rules]]
action = "fallback"
models = ["big", "mid"]
)";

struct Harness {
    Harness() : fx(k_policies) {}
    Router make_router(orch::route::QualitySource quality = {}) {
        orch::route::RouterOptions options;
        options.now_ms = [this] { return now; };
        return Router(
            fx.cfg,
            [this](const orch::config::ModelConfig&) -> orch::provider::Provider& {
                return provider;
            },
            std::move(quality), options);
    }
    RouteResult route(Router& router, const std::string& policy, orch::route::RouteInput in,
                      orch::route::RunBudget* budget = nullptr) {
        return router.route(fx.policy(policy), std::move(in), budget);
    }
    RouteFixture fx;
    ScriptedProvider provider;
    double now = 1000;
};

} // namespace

TEST_CASE("route::router fixed and fallback chains") {
    Harness h;
    Router router = h.make_router();

    SUBCASE("a fixed rule calls its one model") {
        auto r = h.route(router, "fixed", input("hello"));
        REQUIRE(r.outcome.has_value());
        CHECK(r.outcome.value().text == "answer from mid");
        CHECK(r.rule == "only-mid");
        CHECK(r.model_used == "mid");
        CHECK(h.provider.calls() == V{"mid"});
        CHECK(outcomes(r) == V{"mid:ok"});
        CHECK(r.total_cost_usd == doctest::Approx(0.001));
        CHECK(r.exit_code() == 0);
        CHECK(r.outcome_label() == "ok");
    }
    SUBCASE("a 429 with Retry-After moves on, and the model rests for that long") {
        h.provider.script("small", {failure(ProviderErrorKind::rate_limited, "slow down", 2.0)});
        auto r = h.route(router, "chain", input("hello"));
        REQUIRE(r.outcome.has_value());
        CHECK(r.model_used == "mid");
        CHECK(outcomes(r) == V{"small:error", "mid:ok"});
        CHECK(r.chain[0]["error_kind"] == "rate_limited");
        CHECK(r.chain[0]["retry_after_s"] == 2.0);
        CHECK(r.chain[0]["http_status"] == 429);

        h.provider.clear();
        auto again = h.route(router, "chain", input("hello"));
        CHECK(outcomes(again) == V{"small:skipped", "mid:ok"});
        CHECK(h.provider.calls() == V{"mid"});

        h.now += 2001;
        h.provider.clear();
        auto later = h.route(router, "chain", input("hello"));
        CHECK(later.model_used == "small");
        CHECK(h.provider.calls() == V{"small"});
    }
    SUBCASE("a server error moves on") {
        h.provider.script("small", {failure(ProviderErrorKind::server, "503")});
        auto r = h.route(router, "chain", input("hello"));
        CHECK(r.model_used == "mid");
        CHECK(h.provider.calls() == V{"small", "mid"});
        CHECK(r.total_latency_ms == doctest::Approx(120)); // 20 ms failure + 100 ms answer
    }
    SUBCASE("timeouts, transport errors, bad responses and refusals move on too") {
        for (auto kind : {ProviderErrorKind::timeout, ProviderErrorKind::transport,
                          ProviderErrorKind::bad_response, ProviderErrorKind::refused}) {
            CAPTURE(orch::to_string(kind));
            Router fresh = h.make_router(); // three failures in a row would cool "small" down
            h.provider.clear();
            h.provider.script("small", {failure(kind)});
            auto r = h.route(fresh, "chain", input("hello"));
            CHECK(r.model_used == "mid");
            CHECK(r.chain[0]["error_kind"] == orch::to_string(kind));
        }
    }
    SUBCASE("a context-length error skips every model with a window no larger") {
        h.provider.script("mid", {failure(ProviderErrorKind::context_length, "too long")});
        auto r = h.route(router, "ctx", input("hello"));
        CHECK(r.model_used == "big");
        CHECK(h.provider.calls() == V{"mid", "big"});
        CHECK(outcomes(r) == V{"mid:error", "small:skipped", "big:ok"});
        CHECK(r.chain[1]["reason"].get<std::string>().find("not larger than 32000") !=
              std::string::npos);
    }
    SUBCASE("an auth failure ends the chain: it is a configuration problem") {
        h.provider.script("small", {failure(ProviderErrorKind::auth, "bad key")});
        auto r = h.route(router, "chain", input("hello"));
        CHECK_FALSE(r.outcome.has_value());
        CHECK(h.provider.calls() == V{"small"});
        CHECK(r.exit_code() == 3);
    }
    SUBCASE("when every model fails, the result says why for each") {
        h.provider.script("small", {failure(ProviderErrorKind::server, "overloaded")});
        h.provider.script("mid", {failure(ProviderErrorKind::timeout, "no reply in 60s")});
        h.provider.script("big", {failure(ProviderErrorKind::transport, "connection reset")});
        auto r = h.route(router, "chain", input("hello"));
        REQUIRE_FALSE(r.outcome.has_value());
        CHECK(r.outcome.error().kind == ProviderErrorKind::transport);
        CHECK(r.exit_code() == 3);
        CHECK(r.outcome_label() == "error");
        CHECK(r.model_used.empty());
        CHECK(r.error_message() ==
              "every model failed: small: server (overloaded); mid: timeout (no reply in 60s); "
              "big: transport (connection reset)");
    }
}

TEST_CASE("route::router cascade") {
    Harness h;
    Router router = h.make_router();

    SUBCASE("an answer that passes the check is accepted from the cheap model") {
        h.provider.script("small", {answer("Step 1...\nAnswer: 42", 0.0004)});
        auto r = h.route(router, "cascade", input("2*21?", "reason"));
        CHECK(r.model_used == "small");
        CHECK(h.provider.calls() == V{"small"});
        CHECK(r.total_cost_usd == doctest::Approx(0.0004));
        CHECK(r.chain[0]["reason"].get<std::string>().find("check passed") == 0);
    }
    SUBCASE("an answer that fails the check escalates, and every call's cost counts") {
        h.provider.script("small", {answer("I am not sure.", 0.0004, 50)});
        h.provider.script("mid", {answer("Answer: 42", 0.002, 300)});
        auto r = h.route(router, "cascade", input("2*21?", "reason"));
        CHECK(r.model_used == "mid");
        CHECK(r.outcome.value().text == "Answer: 42");
        CHECK(h.provider.calls() == V{"small", "mid"});
        CHECK(outcomes(r) == V{"small:check_failed", "mid:ok"});
        CHECK(r.total_cost_usd == doctest::Approx(0.0024));
        CHECK(r.total_latency_ms == doctest::Approx(350));
        CHECK(r.chain[0]["cost_usd"] == 0.0004);
        CHECK(r.usage.output_tokens == 10);
    }
    SUBCASE("the last model's answer is kept even when it fails the check") {
        h.provider.script("small", {answer("no idea")});
        h.provider.script("mid", {answer("still no idea")});
        h.provider.script("big", {answer("honestly, no idea")});
        auto r = h.route(router, "cascade", input("?", "reason"));
        CHECK(r.model_used == "big");
        CHECK(outcomes(r) == V{"small:check_failed", "mid:check_failed", "big:ok"});
        CHECK(r.total_cost_usd == doctest::Approx(0.003));
    }
    SUBCASE("when escalation fails, the answer that failed the check beats no answer") {
        h.provider.script("small", {answer("I am not sure.")});
        h.provider.script("mid", {failure(ProviderErrorKind::server)});
        h.provider.script("big", {failure(ProviderErrorKind::server)});
        auto r = h.route(router, "cascade", input("?", "reason"));
        REQUIRE(r.outcome.has_value());
        CHECK(r.model_used == "small");
        CHECK(r.outcome.value().text == "I am not sure.");
        CHECK(r.chain[0]["reason"].get<std::string>().find("escalation failed") !=
              std::string::npos);
    }
    SUBCASE("a confidence check reads the model's own stated confidence") {
        h.provider.script(
            "small", {answer("Answer: 3\nConfidence: 0.4"), answer("Answer: 3\nConfidence: 85%")});
        auto low = h.route(router, "confident", input("?"));
        CHECK(low.model_used == "big");
        CHECK(low.chain[0]["reason"].get<std::string>().find("stated confidence 0.40 < 0.7") == 0);
        auto high = h.route(router, "confident", input("?"));
        CHECK(high.model_used == "small");
    }
    SUBCASE("stated confidence parsing") {
        CHECK(orch::route::stated_confidence("Confidence: 0.82") == doctest::Approx(0.82));
        CHECK(orch::route::stated_confidence("my confidence is 90%") == doctest::Approx(0.9));
        CHECK(orch::route::stated_confidence("**Confidence level**: 0.6") == doctest::Approx(0.6));
        CHECK_FALSE(orch::route::stated_confidence("Confidence: high").has_value());
        CHECK(orch::route::stated_confidence("confidence = 75") == doctest::Approx(0.75));
        CHECK_FALSE(orch::route::stated_confidence("I am confident it is 4").has_value());
    }
}

TEST_CASE("route::router split") {
    Harness h;
    auto run = [&] {
        Router router = h.make_router();
        std::vector<std::string> picks;
        for (int i = 0; i < 10000; ++i) {
            picks.push_back(h.route(router, "canary",
                                    input("summarize", "summarize", "key-" + std::to_string(i)))
                                .model_used);
        }
        return picks;
    };
    auto first = run();
    auto big = std::count(first.begin(), first.end(), "big");
    auto mid = std::count(first.begin(), first.end(), "mid");
    CHECK(big + mid == 10000);
    CHECK(std::abs(static_cast<double>(big) / 10000.0 - 0.10) <= 0.015);
    CHECK(std::abs(static_cast<double>(mid) / 10000.0 - 0.90) <= 0.015);
    CHECK(run() == first); // a new router on the same keys routes every request the same way
}

TEST_CASE("route::router cheapest meeting a target") {
    Harness h;
    auto stats = [](double mid_latency) {
        return std::vector<orch::store::QualityStat>{
            {"small", "extract", 3, 0.97, 0.05, 0.0001, 300},       // a high mean on thin evidence
            {"mid", "extract", 50, 0.93, 0.10, 0.001, mid_latency}, // lower bound ~0.902
            {"big", "extract", 50, 0.97, 0.05, 0.01, 1500},
            {"small", "classify", 500, 0.99, 0.01, 0.0001, 300}, // another task type: irrelevant
        };
    };
    int asked = 0;

    SUBCASE("picks the cheapest model whose lower bound meets the target") {
        Router router = h.make_router([&] {
            ++asked;
            return stats(900);
        });
        auto r = h.route(router, "cheap", input("extract", "extract"));
        CHECK(r.model_used == "mid");
        CHECK(h.provider.calls() == V{"mid"});
        h.route(router, "cheap", input("extract", "extract"));
        CHECK(asked == 1); // a snapshot, read once
        auto d = router.explain(h.fx.policy("cheap"), input("extract", "extract"));
        REQUIRE(d.candidates.size() == 3);
        CHECK_FALSE(d.candidates[0].eligible);
        CHECK(d.candidates[0].reason.find("below the target") != std::string::npos);
        CHECK(d.candidates[1].lower_bound == doctest::Approx(0.9014).epsilon(0.001));
    }
    SUBCASE("fewer results than min_samples is not evidence, however good") {
        Router router = h.make_router([] {
            return std::vector<orch::store::QualityStat>{{"small", "extract", 2, 1.0, 0.0, 0, 100}};
        });
        auto r = h.route(router, "cheap", input("extract", "extract"));
        CHECK(r.model_used == "big"); // nothing eligible: the last model
    }
    SUBCASE("no evidence at all means the last model") {
        Router router = h.make_router();
        CHECK(h.route(router, "cheap", input("extract", "extract")).model_used == "big");
    }
    SUBCASE("a model slower on record than the latency budget is not eligible") {
        Router router = h.make_router([&] { return stats(3000); });
        auto r = h.route(router, "quick", input("extract", "extract"));
        CHECK(r.model_used == "big");
    }
    SUBCASE("when the cheapest eligible model fails, the next eligible one answers") {
        h.provider.script("mid", {failure(ProviderErrorKind::server)});
        Router router = h.make_router([&] { return stats(900); });
        auto r = h.route(router, "cheap", input("extract", "extract"));
        CHECK(h.provider.calls() == V{"mid", "big"});
        CHECK(r.model_used == "big");
    }
}

TEST_CASE("route::router circuit breaker") {
    Harness h;
    Router router = h.make_router();

    SUBCASE("skips a model after 3 failures in a row, and tries it again after the cooldown") {
        h.provider.script("small",
                          {failure(ProviderErrorKind::server), failure(ProviderErrorKind::timeout),
                           failure(ProviderErrorKind::server)});
        for (int i = 0; i < 3; ++i) {
            CHECK(h.route(router, "pair", input("hello")).model_used == "mid");
        }
        CHECK(router.breaker().consecutive_failures("small") == 3);
        h.provider.clear();
        auto skipped = h.route(router, "pair", input("hello"));
        CHECK(h.provider.calls() == V{"mid"});
        CHECK(outcomes(skipped) == V{"small:skipped", "mid:ok"});
        CHECK(skipped.chain[0]["reason"].get<std::string>().find("cooling down after 3 failures") ==
              0);

        h.now += 29000; // still cooling down
        h.provider.clear();
        h.route(router, "pair", input("hello"));
        CHECK(h.provider.calls() == V{"mid"});

        h.now += 1001; // 30 s after the third failure
        h.provider.clear();
        auto back = h.route(router, "pair", input("hello"));
        CHECK(h.provider.calls() == V{"small"});
        CHECK(back.model_used == "small");
        CHECK(router.breaker().consecutive_failures("small") == 0);
    }
    SUBCASE("a failed trial after the cooldown reopens it at once") {
        for (int i = 0; i < 4; ++i) {
            h.provider.script("small", {failure(ProviderErrorKind::server)});
        }
        for (int i = 0; i < 3; ++i) {
            h.route(router, "pair", input("hello"));
        }
        h.now += 30001;
        h.route(router, "pair", input("hello")); // the trial call fails
        h.provider.clear();
        h.route(router, "pair", input("hello"));
        CHECK(h.provider.calls() == V{"mid"});
    }
    SUBCASE("a success in between resets the count") {
        h.provider.script("small",
                          {failure(ProviderErrorKind::server), failure(ProviderErrorKind::server),
                           answer("ok"), failure(ProviderErrorKind::server)});
        for (int i = 0; i < 4; ++i) {
            h.route(router, "pair", input("hello"));
        }
        CHECK(router.breaker().consecutive_failures("small") == 1);
        h.provider.clear();
        h.route(router, "pair", input("hello"));
        CHECK(h.provider.calls() == V{"small"});
    }
    SUBCASE("context-length errors and refusals are about the request, not the model") {
        for (int i = 0; i < 3; ++i) {
            h.provider.script("small", {failure(ProviderErrorKind::context_length)});
            h.route(router, "pair", input("hello"));
        }
        CHECK(router.breaker().consecutive_failures("small") == 0);
    }
}

TEST_CASE("route::router privacy") {
    Harness h;
    Router router = h.make_router();
    const std::string card =
        "Please refund my card 4111 1111 1111 1111, mail me at ana@example.com";

    SUBCASE("sensitive input with no private model is refused before any call") {
        auto r = h.route(router, "no_private", input(card));
        CHECK(h.provider.calls().empty());
        CHECK(r.refused_by_policy);
        CHECK(r.refusal == Refusal::privacy);
        CHECK(r.exit_code() == 5);
        CHECK(r.outcome_label() == "refused");
        REQUIRE_FALSE(r.outcome.has_value());
        CHECK(r.outcome.error().kind == ProviderErrorKind::refused);
        CHECK(r.refusal_reason.find("card") != std::string::npos);
        CHECK(outcomes(r) == V{"mid:skipped", "big:skipped"});
        CHECK(r.error_message().find("refused by policy: ") == 0);
    }
    SUBCASE("a caller's flag is enough to refuse") {
        auto in = input("nothing detectable here");
        in.sensitive_flag = true;
        auto r = h.route(router, "no_private", in);
        CHECK(r.refusal == Refusal::privacy);
        CHECK(h.provider.calls().empty());
    }
    SUBCASE("sensitive input goes to the private model, unredacted") {
        auto r = h.route(router, "private", input(card));
        CHECK(r.rule == "pii");
        CHECK(h.provider.calls() == V{"local"});
        CHECK(h.provider.received()[0].second.messages[0].content == card);
    }
    SUBCASE("with redact = true an external model receives only the redacted text") {
        auto r = h.route(router, "redacting", input(card));
        REQUIRE(r.outcome.has_value());
        CHECK(h.provider.calls() == V{"mid"});
        std::string sent = h.provider.received()[0].second.messages[0].content;
        CHECK(sent == "Please refund my card [CARD], mail me at [EMAIL]");
        CHECK(r.chain[0]["redacted"] == true);
    }
    SUBCASE("redaction cannot help a caller-flagged input with nothing to redact") {
        auto in = input("internal memo");
        in.sensitive_flag = true;
        auto r = h.route(router, "redacting", in);
        CHECK(r.refusal == Refusal::privacy);
        CHECK(h.provider.calls().empty());
    }
    SUBCASE("input that is not sensitive goes where the rules say") {
        auto r = h.route(router, "private", input("hello"));
        CHECK(h.provider.calls() == V{"mid"});
    }
}

TEST_CASE("route::router budgets") {
    Harness h;
    Router router = h.make_router();

    SUBCASE("a model estimated over the per-request cap is skipped") {
        auto r = h.route(router, "capped", input("hello"));
        CHECK(h.provider.calls() == V{"mid"});
        CHECK(outcomes(r) == V{"big:skipped", "mid:ok"});
        CHECK(r.chain[0]["reason"].get<std::string>().find("per-request cap") != std::string::npos);
    }
    SUBCASE("when every model is over the cap, the request is refused for budget") {
        auto r = h.route(router, "tiny_cap", input("hello"));
        CHECK(h.provider.calls().empty());
        CHECK(r.refusal == Refusal::budget);
        CHECK(r.exit_code() == 4);
        CHECK(r.outcome_label() == "budget");
    }
    SUBCASE("a run budget stops new calls once spent, and counts what calls really cost") {
        orch::route::RunBudget budget(0.0012);
        auto first = h.route(router, "pair", input("hello"), &budget);
        CHECK(first.model_used == "small");
        CHECK(budget.spent() == doctest::Approx(0.001));
        auto second = h.route(router, "pair", input("hello"), &budget);
        CHECK(second.refusal == Refusal::budget);
        CHECK(second.exit_code() == 4);
        CHECK(h.provider.calls() == V{"small"});
        CHECK(outcomes(second) == V{"small:skipped", "mid:skipped"});
    }
    SUBCASE("RunBudget reserves and settles atomically") {
        orch::route::RunBudget budget(1.0);
        CHECK(budget.reserve(0.6));
        CHECK_FALSE(budget.reserve(0.6));
        budget.settle(0.6, 0.1);
        CHECK(budget.spent() == doctest::Approx(0.1));
        CHECK(budget.remaining() == doctest::Approx(0.9));
        CHECK(budget.reserve(0.6));
    }
}

TEST_CASE("route::router runs asynchronously and calls done exactly once") {
    RouteFixture fx(k_policies);
    ScriptedProvider provider(true);
    for (int i = 0; i < 20; ++i) {
        provider.script("small", {failure(ProviderErrorKind::server)});
    }
    {
        Router router(fx.cfg, [&](const orch::config::ModelConfig&) -> orch::provider::Provider& {
            return provider;
        });
        std::mutex mutex;
        std::condition_variable cv;
        std::map<int, int> done;
        const int n = 60;
        for (int i = 0; i < n; ++i) {
            router.start(fx.policy("chain"), input("hello"), [&, i](RouteResult r) {
                std::lock_guard lock(mutex);
                CHECK(r.outcome.has_value());
                ++done[i];
                cv.notify_all();
            });
        }
        std::unique_lock lock(mutex);
        CHECK(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done.size() == n; }));
        for (const auto& [i, count] : done) {
            CHECK(count == 1);
        }
    }
}

TEST_CASE("route::router logs what it did") {
    Harness h;
    Router router = h.make_router();
    h.provider.script("small", {failure(ProviderErrorKind::server, "503")});
    auto in = input("hello", "chat");
    auto r = h.route(router, "chain", in);
    auto e = orch::route::make_log_entry("req_0123456789abcdef", "chain", in, r);
    CHECK(e.request_id == "req_0123456789abcdef");
    CHECK(e.policy == "chain");
    CHECK(e.rule == "chain");
    CHECK(e.task_type == "chat");
    CHECK(e.model == "mid");
    CHECK(e.outcome == "ok");
    CHECK(e.chain.size() == 2);
    CHECK(e.cost_usd == doctest::Approx(0.001));
    CHECK(e.input_tokens == 10);

    std::set<std::string> ids;
    for (int i = 0; i < 100; ++i) {
        std::string id = orch::route::new_request_id();
        CHECK(id.size() == 20);
        CHECK(id.rfind("req_", 0) == 0);
        CHECK(id.find_first_not_of("0123456789abcdef", 4) == std::string::npos);
        ids.insert(id);
    }
    CHECK(ids.size() == 100);
}
