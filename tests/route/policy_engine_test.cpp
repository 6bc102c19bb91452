#include "route/route_support.hpp"

#include <doctest/doctest.h>
#include <orch/route/policy_engine.hpp>

using orch::route::explain;
using orch::route::Refusal;
using orch::test::input;
using orch::test::RouteFixture;

namespace {

const std::string k_policies = R"(
[[policies.p.rules]]
name = "private"
when = { sensitive = true }
action = "privacy"
models = ["local"]

[[policies.p.rules]]
name = "triage"
when = { type = ["classify", "route"] }
action = "fixed"
model = "small"

[[policies.p.rules]]
name = "vip"
when = { tags = ["vip", "gold"] }
action = "fixed"
model = "big"

[[policies.p.rules]]
name = "long"
when = { min_input_tokens = 1000 }
action = "fallback"
models = ["mid", "big"]

[[policies.p.rules]]
name = "short"
when = { max_input_tokens = 5 }
action = "fixed"
model = "small"

[[policies.p.rules]]
name = "urgent"
when = { regex = "(?i)\\burgent\\b" }
action = "fixed"
model = "big"

[[policies.p.rules]]
name = "extract"
when = { type = "extract" }
action = "cheapest"
models = ["small", "mid", "big"]
target = 0.9
min_samples = 10

[[policies.p.rules]]
name = "rest"
action = "fallback"
models = ["mid", "big"]

[[policies.only_typed.rules]]
name = "reasoning"
when = { type = "reason" }
action = "fixed"
model = "big"
)";

const std::string k_plain = "please look at this ticket about a login problem";

orch::route::RuleResult rule_result(const orch::route::Decision& d, const std::string& name) {
    for (const auto& r : d.rules) {
        if (r.rule == name) {
            return r;
        }
    }
    FAIL("no rule " << name);
    return {};
}

std::vector<std::string> chain(const orch::route::Decision& d) {
    std::vector<std::string> out;
    for (const auto& c : d.chain) {
        out.push_back(c.model);
    }
    return out;
}

using V = std::vector<std::string>;

} // namespace

TEST_CASE("route::explain conditions") {
    RouteFixture fx(k_policies);
    const auto& p = fx.policy("p");

    SUBCASE("task type: one of a list") {
        auto d = explain(fx.cfg, p, input(k_plain, "route"));
        REQUIRE(d.rule);
        CHECK(d.rule->name == "triage");
        auto r = rule_result(d, "triage");
        REQUIRE(r.conditions.size() == 1);
        CHECK(r.conditions[0].condition == "type");
        CHECK(r.conditions[0].held);
        CHECK(r.conditions[0].detail == "type \"route\" is one of [\"classify\", \"route\"]");
        CHECK(chain(d) == V{"small"});
    }
    SUBCASE("tags: any one of them") {
        auto in = input(k_plain);
        in.tags = {"new", "gold"};
        auto d = explain(fx.cfg, p, in);
        CHECK(d.rule->name == "vip");
        CHECK(rule_result(d, "vip").conditions[0].detail == "tag \"gold\" is present");
        in.tags = {"new"};
        auto other = explain(fx.cfg, p, in);
        CHECK(other.rule->name == "rest");
        CHECK_FALSE(rule_result(other, "vip").matched);
    }
    SUBCASE("sensitive: found by the detector, or flagged by the caller") {
        auto d = explain(fx.cfg, p, input("my email is ana@example.com"));
        CHECK(d.rule->name == "private");
        CHECK(d.sensitive);
        CHECK(d.sensitive_kinds == V{"email"});
        CHECK(chain(d) == V{"local"});
        auto flagged = input(k_plain);
        flagged.sensitive_flag = true;
        auto f = explain(fx.cfg, p, flagged);
        CHECK(f.rule->name == "private");
        CHECK(f.sensitive_kinds.empty());
        auto plain = explain(fx.cfg, p, input(k_plain));
        CHECK_FALSE(plain.sensitive);
        CHECK_FALSE(rule_result(plain, "private").matched);
    }
    SUBCASE("estimated input tokens: at least, at most") {
        auto big = explain(fx.cfg, p, input(std::string(8000, 'x')));
        CHECK(big.input_tokens > 1000);
        CHECK(big.rule->name == "long");
        auto tiny = explain(fx.cfg, p, input("hi"));
        CHECK(tiny.rule->name == "short");
        auto r = rule_result(tiny, "long");
        CHECK_FALSE(r.matched);
        CHECK(r.conditions[0].detail.find("< 1000") != std::string::npos);
    }
    SUBCASE("regex on the input, through RE2") {
        auto d = explain(fx.cfg, p, input("this is URGENT, please"));
        CHECK(d.rule->name == "urgent");
        CHECK(rule_result(d, "urgent").conditions[0].held);
        auto none = explain(fx.cfg, p, input("this is insurgency, please"));
        CHECK_FALSE(rule_result(none, "urgent").matched);
    }
    SUBCASE("the first matching rule decides; later rules are not evaluated") {
        auto in = input("URGENT classify this please", "classify");
        auto d = explain(fx.cfg, p, in);
        CHECK(d.rule->name == "triage");
        CHECK(rule_result(d, "triage").evaluated);
        CHECK_FALSE(rule_result(d, "urgent").evaluated);
        CHECK(d.rules.size() == p.rules.size());
    }
    SUBCASE("a rule without conditions matches everything") {
        auto d = explain(fx.cfg, p, input(k_plain, "chat"));
        CHECK(d.rule->name == "rest");
        CHECK(rule_result(d, "rest").conditions.empty());
        CHECK(chain(d) == V{"mid", "big"});
    }
    SUBCASE("no matching rule is a refusal") {
        auto d = explain(fx.cfg, fx.policy("only_typed"), input(k_plain, "chat"));
        CHECK_FALSE(d.rule);
        CHECK(d.refusal == Refusal::no_rule);
        CHECK(d.chain.empty());
    }
}

TEST_CASE("route::explain cheapest, guards and output") {
    RouteFixture fx(k_policies);
    const auto& p = fx.policy("p");

    SUBCASE("cheapest shows each candidate's evidence; quality is read only when needed") {
        int asked = 0;
        orch::route::QualitySource quality = [&] {
            ++asked;
            return std::vector<orch::store::QualityStat>{
                {"small", "extract", 3, 0.99, 0.02, 0, 100},
                {"mid", "extract", 40, 0.95, 0.08, 0, 100},
                {"big", "extract", 40, 0.97, 0.05, 0, 100},
                {"mid", "classify", 40, 0.2, 0.1, 0, 100},
            };
        };
        auto other = explain(fx.cfg, p, input(k_plain, "chat"), quality);
        CHECK(asked == 0);
        auto d = explain(fx.cfg, p, input(k_plain, "extract"), quality);
        CHECK(asked == 1);
        REQUIRE(d.candidates.size() == 3);
        CHECK(d.candidates[0].model == "small");
        CHECK(d.candidates[0].n == 3);
        CHECK_FALSE(d.candidates[0].eligible);
        CHECK(d.candidates[1].eligible);
        CHECK(d.candidates[1].lower_bound ==
              doctest::Approx(0.95 - 2.023 * 0.08 / std::sqrt(40.0)).epsilon(0.01));
        CHECK(chain(d) == V{"mid", "big"});
        auto j = orch::route::to_json(d);
        CHECK(j["candidates"][0]["eligible"] == false);
        CHECK(j["candidates"][1]["n"] == 40);
        CHECK(orch::route::to_text(d).find("candidates (target 0.9") != std::string::npos);
    }
    SUBCASE("sensitive input never reaches an external model, whatever the rule") {
        // A fixed rule to an external model, and sensitive input: refused.
        RouteFixture fixed_fx(
            "[[policies.f.rules]]\naction = \"fixed\"\nmodel = \"mid\"\nfallback = [\"local\"]\n"
            "[[policies.g.rules]]\naction = \"fallback\"\nmodels = [\"mid\", \"big\"]\n");
        auto d = explain(fixed_fx.cfg, fixed_fx.policy("f"), input("card 4111 1111 1111 1111"));
        CHECK(chain(d) == V{"local"});
        REQUIRE(d.excluded.size() == 1);
        CHECK(d.excluded[0].model == "mid");
        auto g = explain(fixed_fx.cfg, fixed_fx.policy("g"), input("card 4111 1111 1111 1111"));
        CHECK(g.refusal == Refusal::privacy);
        CHECK(g.refusal_reason.find("card") != std::string::npos);
    }
    SUBCASE("a model whose context window is too small is left out") {
        auto d = explain(fx.cfg, p, input(std::string(140000, 'x')));
        CHECK(d.rule->name == "long");
        CHECK(chain(d) == V{"big"});
        CHECK(d.excluded[0].reason.find("context window of 32000") != std::string::npos);
    }
    SUBCASE("the JSON and text forms explain without repeating sensitive values") {
        auto d = explain(fx.cfg, p, input("card 4111 1111 1111 1111, mail ana@example.com"));
        std::string j = orch::route::to_json(d).dump();
        std::string t = orch::route::to_text(d);
        for (const std::string& s : {j, t}) {
            CHECK(s.find("4111") == std::string::npos);
            CHECK(s.find("ana@") == std::string::npos);
            CHECK(s.find("card") != std::string::npos);
        }
        CHECK(t.find("rule \"private\" (privacy) matched") != std::string::npos);
        CHECK(t.find("chain: local") != std::string::npos);
        CHECK(orch::route::to_json(d)["rule"] == "private");
    }
}
