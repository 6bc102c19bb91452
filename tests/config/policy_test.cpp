#include "support/process.hpp"

#include <doctest/doctest.h>
#include <orch/config/policy.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>

#include <string>

using orch::config::RuleAction;
using orch::test::TempDir;

namespace {

// A small fleet: three external models and a private one.
const std::string k_fleet = R"([providers.cloud]
protocol = "sim"
[providers.home]
protocol = "sim"
privacy = "private"
[models.small]
provider = "cloud"
input_per_mtok = 0.1
output_per_mtok = 0.4
sim = { latency_ms = 100 }
[models.mid]
provider = "cloud"
input_per_mtok = 0.4
output_per_mtok = 1.6
sim = { latency_ms = 100 }
[models.big]
provider = "cloud"
input_per_mtok = 3
output_per_mtok = 15
sim = { latency_ms = 100 }
[models.local]
provider = "home"
input_per_mtok = 0
output_per_mtok = 0
sim = { latency_ms = 100 }
)";

std::string replace_path(std::string msg, const std::string& path, const std::string& by) {
    size_t pos = 0;
    while ((pos = msg.find(path, pos)) != std::string::npos) {
        msg.replace(pos, path.size(), by);
        pos += by.size();
    }
    return msg;
}

// The config error for providers.toml = fleet + policy text ("" when it loads).
std::string load_error(const std::string& policy_text) {
    TempDir dir;
    std::string path = dir.write("providers.toml", k_fleet + policy_text);
    try {
        orch::config::load_providers(path);
    } catch (const orch::Error& e) {
        CHECK(e.kind() == orch::ErrorKind::config);
        return replace_path(e.what(), path, "providers.toml");
    }
    return "";
}

// 1-based line of the first occurrence of needle in fleet + policy text.
int line_of(const std::string& policy_text, const std::string& needle) {
    std::string all = k_fleet + policy_text;
    size_t at = all.find(needle);
    REQUIRE(at != std::string::npos);
    int line = 1;
    for (size_t i = 0; i < at; ++i) {
        line += all[i] == '\n' ? 1 : 0;
    }
    return line;
}

bool has(const std::string& msg, const std::string& part) {
    bool found = msg.find(part) != std::string::npos;
    if (!found) {
        MESSAGE("missing \"" << part << "\" in:\n" << msg);
    }
    return found;
}

const std::string k_every_action = R"(
[policies.main]
description = "every action"
max_cost_per_request_usd = 0.05
max_cost_per_run_usd = 10
latency_budget_ms = 8000

[[policies.main.rules]]
name = "pii"
when = { sensitive = true }
action = "privacy"
models = ["local"]
redact = true

[[policies.main.rules]]
name = "triage"
when = { type = "classify", tags = ["support"] }
action = "fixed"
model = "small"
fallback = ["mid"]

[[policies.main.rules]]
name = "reasoning"
when = { type = ["reason", "tool_call"], min_input_tokens = 10, max_input_tokens = 5000 }
action = "cascade"
models = ["mid", "big"]
check = { kind = "regex", pattern = "Answer:\\s*-?[0-9]" }

[[policies.main.rules]]
name = "confident"
when = { regex = "(?i)urgent" }
action = "cascade"
models = ["small", "big"]
check = { kind = "confidence", min = 0.8 }

[[policies.main.rules]]
name = "canary"
when = { type = "summarize" }
action = "split"
split = { "mid" = 90, "big" = 10 }

[[policies.main.rules]]
name = "extract"
when = { type = "extract" }
action = "cheapest"
models = ["small", "mid", "big"]
target = 0.9
min_samples = 20

[[policies.main.rules]]
name = "default"
action = "fallback"
models = ["mid", "big"]
)";

} // namespace

TEST_CASE("config::policy loads every action from providers.toml") {
    TempDir dir;
    auto cfg = orch::config::load_providers(dir.write("providers.toml", k_fleet + k_every_action));
    REQUIRE(cfg.policies.size() == 1);
    const auto* p = orch::config::find_policy(cfg, "main");
    REQUIRE(p != nullptr);
    CHECK(orch::config::find_policy(cfg, "other") == nullptr);
    CHECK(p->description == "every action");
    CHECK(p->max_cost_per_request_usd == doctest::Approx(0.05));
    CHECK(p->max_cost_per_run_usd == doctest::Approx(10));
    CHECK(p->latency_budget_ms == doctest::Approx(8000));
    REQUIRE(p->rules.size() == 7);

    SUBCASE("a privacy rule with its condition and redaction") {
        const auto& r = p->rules[0];
        CHECK(r.name == "pii");
        CHECK(r.action == RuleAction::privacy);
        CHECK(r.when.sensitive == true);
        CHECK(r.models == std::vector<std::string>{"local"});
        CHECK(r.redact);
    }
    SUBCASE("a fixed rule with a fallback, type and tags") {
        const auto& r = p->rules[1];
        CHECK(r.action == RuleAction::fixed);
        CHECK(r.model == "small");
        CHECK(r.fallback == std::vector<std::string>{"mid"});
        CHECK(r.when.types == std::vector<std::string>{"classify"});
        CHECK(r.when.tags == std::vector<std::string>{"support"});
    }
    SUBCASE("cascades with a heuristic check and with a confidence check") {
        const auto& r = p->rules[2];
        CHECK(r.action == RuleAction::cascade);
        CHECK(r.when.types == std::vector<std::string>{"reason", "tool_call"});
        CHECK(r.when.min_input_tokens == 10);
        CHECK(r.when.max_input_tokens == 5000);
        REQUIRE(r.check.has_value());
        CHECK(r.check->kind == "regex");
        CHECK(r.check->params["pattern"] == "Answer:\\s*-?[0-9]");
        const auto& c = p->rules[3];
        CHECK(c.when.regex == "(?i)urgent");
        REQUIRE(c.check.has_value());
        CHECK(c.check->kind == "confidence");
        CHECK(c.check->min_confidence == doctest::Approx(0.8));
    }
    SUBCASE("a split with its weights, and cheapest with its target") {
        const auto& s = p->rules[4];
        CHECK(s.action == RuleAction::split);
        REQUIRE(s.split.size() == 2);
        double total = s.split[0].second + s.split[1].second;
        CHECK(total == doctest::Approx(100));
        const auto& c = p->rules[5];
        CHECK(c.action == RuleAction::cheapest);
        CHECK(c.target == doctest::Approx(0.9));
        CHECK(c.min_samples == 20);
        CHECK(p->rules[6].when.matches_everything());
    }
}

TEST_CASE("config::policy rejects mistakes with located errors") {
    SUBCASE("a model that is not in [models], named with file, line, column and key") {
        std::string text = R"(
[[policies.default.rules]]
name = "a"
action = "fixed"
model = "gpt-9"
)";
        std::string msg = load_error(text);
        int line = line_of(text, "model = \"gpt-9\"");
        CHECK(msg ==
              "providers.toml:" + std::to_string(line) +
                  ":9: policies.default.rules[0].model: no model named \"gpt-9\" in [models]");
    }
    SUBCASE("an unknown model inside a list names its index") {
        std::string text =
            "[[policies.p.rules]]\naction = \"fallback\"\nmodels = [\"mid\", \"nope\"]\n";
        std::string msg = load_error(text);
        CHECK(has(msg, "policies.p.rules[0].models[1]: no model named \"nope\" in [models]"));
        CHECK(has(msg, "providers.toml:" + std::to_string(line_of(text, "models = ")) + ":"));
    }
    SUBCASE("an unknown key in a rule, in its condition and in the policy") {
        std::string text = R"(
[policies.p]
descripton = "typo"
[[policies.p.rules]]
action = "fallback"
models = ["mid"]
fallbak = ["big"]
when = { typ = "x" }
)";
        std::string msg = load_error(text);
        CHECK(has(msg, "providers.toml:" + std::to_string(line_of(text, "descripton")) +
                           ":1: policies.p.descripton: unknown key"));
        CHECK(has(msg, "providers.toml:" + std::to_string(line_of(text, "fallbak")) +
                           ":1: policies.p.rules[0].fallbak: unknown key"));
        CHECK(has(msg, "policies.p.rules[0].when.typ: unknown key"));
        CHECK(has(msg, "(3 problems)"));
    }
    SUBCASE("an unknown action") {
        std::string text = "[[policies.p.rules]]\naction = \"round_robin\"\nmodels = [\"mid\"]\n";
        std::string msg = load_error(text);
        CHECK(has(msg, "providers.toml:" + std::to_string(line_of(text, "action")) +
                           ":10: policies.p.rules[0].action: expected one of \"fixed\", "
                           "\"fallback\", \"cascade\", "
                           "\"split\", \"cheapest\", \"privacy\", \"learned\", \"bandit\", got \"round_robin\""));
    }
    SUBCASE("a missing action") {
        std::string msg = load_error("[[policies.p.rules]]\nmodels = [\"mid\"]\n");
        CHECK(has(msg, "policies.p.rules[0].action: missing"));
    }
    SUBCASE("split weights must be positive, and name real models") {
        std::string text = "[[policies.p.rules]]\naction = \"split\"\nsplit = { \"mid\" = 0, "
                           "\"big\" = -5, \"x\" = 1 }\n";
        std::string msg = load_error(text);
        CHECK(has(msg, "policies.p.rules[0].split.mid: split weights must be positive, got 0"));
        CHECK(has(msg, "policies.p.rules[0].split.big: split weights must be positive, got -5"));
        CHECK(has(msg, "policies.p.rules[0].split.x: no model named \"x\" in [models]"));
        CHECK(has(msg, "providers.toml:" + std::to_string(line_of(text, "split =")) + ":"));
    }
    SUBCASE("a cascade needs two models and a check") {
        std::string one =
            load_error("[[policies.p.rules]]\naction = \"cascade\"\nmodels = [\"mid\"]\n"
                       "check = { kind = \"is_json\" }\n");
        CHECK(has(one, "policies.p.rules[0].models: a cascade needs at least 2 models"));
        std::string no_check =
            load_error("[[policies.p.rules]]\naction = \"cascade\"\nmodels = [\"mid\", \"big\"]\n");
        CHECK(
            has(no_check, "policies.p.rules[0].check: missing; action \"cascade\" needs a check"));
    }
    SUBCASE("a check that the evaluator rejects carries the evaluator's message") {
        std::string text =
            "[[policies.p.rules]]\naction = \"cascade\"\nmodels = [\"mid\", \"big\"]\n"
            "check = { kind = \"regex\", pattern = \"Answer: (\" }\n";
        std::string msg = load_error(text);
        CHECK(has(msg, "providers.toml:" + std::to_string(line_of(text, "check =")) + ":"));
        CHECK(has(msg, "policies.p.rules[0].check: regex: pattern: invalid RE2 syntax"));
        std::string unknown =
            load_error("[[policies.p.rules]]\naction = \"cascade\"\nmodels = [\"mid\", \"big\"]\n"
                       "check = { kind = \"vibes\" }\n");
        CHECK(has(unknown, "policies.p.rules[0].check: unknown evaluator kind \"vibes\""));
        std::string param =
            load_error("[[policies.p.rules]]\naction = \"cascade\"\nmodels = [\"mid\", \"big\"]\n"
                       "check = { kind = \"regex\", patern = \"x\" }\n");
        CHECK(has(param, "policies.p.rules[0].check: regex:"));
        CHECK(has(param, "patern"));
        std::string confidence =
            load_error("[[policies.p.rules]]\naction = \"cascade\"\nmodels = [\"mid\", \"big\"]\n"
                       "check = { kind = \"confidence\", min = 7 }\n");
        CHECK(
            has(confidence, "policies.p.rules[0].check.min: expected a number from 0 to 1, got 7"));
    }
    SUBCASE("a regex condition that RE2 rejects") {
        std::string msg =
            load_error("[[policies.p.rules]]\nwhen = { regex = \"[a-\" }\naction = \"fallback\"\n"
                       "models = [\"mid\"]\n");
        CHECK(has(msg, "policies.p.rules[0].when.regex: regex: pattern: invalid RE2 syntax"));
    }
    SUBCASE("each action's required keys") {
        CHECK(has(load_error("[[policies.p.rules]]\naction = \"fixed\"\n"),
                  "policies.p.rules[0].model: missing; action \"fixed\" needs the model to use"));
        CHECK(has(load_error("[[policies.p.rules]]\naction = \"fallback\"\n"),
                  "policies.p.rules[0].models: missing"));
        CHECK(has(load_error("[[policies.p.rules]]\naction = \"split\"\n"),
                  "policies.p.rules[0].split: missing"));
        CHECK(has(load_error("[[policies.p.rules]]\naction = \"cheapest\"\nmodels = [\"mid\"]\n"),
                  "policies.p.rules[0].target: missing"));
        CHECK(has(load_error("[[policies.p.rules]]\naction = \"privacy\"\nmodels = []\n"),
                  "policies.p.rules[0].models: expected at least one model"));
    }
    SUBCASE("a key the action would silently ignore") {
        std::string msg = load_error(
            "[[policies.p.rules]]\naction = \"fallback\"\nmodels = [\"mid\"]\nmodel = \"big\"\n"
            "redact = true\n");
        CHECK(has(msg, "policies.p.rules[0].model: not used by action \"fallback\""));
        CHECK(has(msg, "policies.p.rules[0].redact: not used by action \"fallback\""));
    }
    SUBCASE("out-of-range numbers") {
        std::string msg = load_error(R"(
[policies.p]
max_cost_per_request_usd = 0
latency_budget_ms = -1
[[policies.p.rules]]
action = "cheapest"
models = ["mid"]
target = 1.5
min_samples = 0
when = { min_input_tokens = 100, max_input_tokens = 10 }
)");
        CHECK(has(msg, "policies.p.max_cost_per_request_usd: expected a number above 0, got 0"));
        CHECK(has(msg, "policies.p.latency_budget_ms: expected a number above 0, got -1"));
        CHECK(has(msg, "policies.p.rules[0].target: expected a quality target above 0 and at most "
                       "1, got 1.5"));
        CHECK(has(msg, "policies.p.rules[0].min_samples: expected a whole number of 1 or more"));
        CHECK(has(msg,
                  "policies.p.rules[0].when.max_input_tokens: 10 is below min_input_tokens (100)"));
    }
    SUBCASE("duplicate rule names and rules after a catch-all") {
        std::string msg = load_error(R"(
[[policies.p.rules]]
name = "all"
action = "fallback"
models = ["mid"]
[[policies.p.rules]]
name = "all"
when = { type = "x" }
action = "fixed"
model = "big"
)");
        CHECK(has(msg, "policies.p.rules[1]: two rules are named \"all\""));
        CHECK(has(msg, "policies.p.rules[1]: rule \"all\" is unreachable: rule \"all\" before it "
                       "has no `when`"));
    }
    SUBCASE("a policy without rules, and a policy that is not a table") {
        CHECK(has(load_error("[policies.p]\ndescription = \"empty\"\n"),
                  "policies.p.rules: missing; a policy needs at least one [[rules]] entry"));
        CHECK(has(load_error("[policies]\np = 3\n"),
                  "policies.p: expected a table, got the integer 3"));
    }
    SUBCASE("every problem at once") {
        std::string msg = load_error(R"(
[[policies.p.rules]]
action = "fixed"
model = "nope"
[[policies.q.rules]]
when = { tags = ["x"] }
action = "teleport"
[[policies.q.rules]]
when = { type = "summarize" }
action = "split"
split = { "mid" = 0 }
)");
        CHECK(has(msg, "policies.p.rules[0].model: no model named \"nope\""));
        CHECK(has(msg, "policies.q.rules[0].action: expected one of"));
        CHECK(has(msg, "policies.q.rules[1].split.mid: split weights must be positive"));
        CHECK(has(msg, "(3 problems)"));
    }
}

TEST_CASE("config::policy files of their own") {
    TempDir dir;
    auto cfg = orch::config::load_providers(dir.write("providers.toml", k_fleet + k_every_action));

    SUBCASE("loads the same keys at top level, with a name") {
        std::string path = dir.write(
            "candidate.toml", "name = \"candidate\"\nmax_cost_per_request_usd = 0.1\n"
                              "[[rules]]\naction = \"fallback\"\nmodels = [\"small\", \"big\"]\n");
        auto p = orch::config::load_policy_file(path, cfg);
        CHECK(p.name == "candidate");
        CHECK(p.path == path);
        REQUIRE(p.rules.size() == 1);
        CHECK(p.rules[0].models == std::vector<std::string>{"small", "big"});
        CHECK(p.rules[0].name == "rule-1");
    }
    SUBCASE("the name defaults to the file's stem") {
        std::string path =
            dir.write("cheap.toml", "[[rules]]\naction = \"fixed\"\nmodel = \"small\"\n");
        CHECK(orch::config::load_policy_file(path, cfg).name == "cheap");
    }
    SUBCASE("errors are located in the policy file") {
        std::string path =
            dir.write("bad.toml",
                      "name = \"bad\"\n[[rules]]\naction = \"fixed\"\nmodel = \"x\"\ncolour = 1\n");
        try {
            orch::config::load_policy_file(path, cfg);
            FAIL("expected a config error");
        } catch (const orch::Error& e) {
            std::string msg = replace_path(e.what(), path, "bad.toml");
            CHECK(has(msg, "bad.toml:4:9: rules[0].model: no model named \"x\" in [models]"));
            CHECK(has(msg, "bad.toml:5:1: rules[0].colour: unknown key"));
        }
    }
    SUBCASE("the shipped policies/default.toml is valid against the shipped fleet") {
        auto fleet = orch::config::load_providers(orch::test::source_path("providers.toml"));
        auto p =
            orch::config::load_policy_file(orch::test::source_path("policies/default.toml"), fleet);
        CHECK(p.name == "default");
        CHECK(p.rules.size() >= 5);
        CHECK(p.rules.back().when.matches_everything());
    }
    SUBCASE("resolve_policy takes a name or a file, and names the policies there are") {
        CHECK(orch::config::resolve_policy(cfg, "main").name == "main");
        std::string path =
            dir.write("x.toml", "[[rules]]\naction = \"fixed\"\nmodel = \"small\"\n");
        CHECK(orch::config::resolve_policy(cfg, path).name == "x");
        try {
            orch::config::resolve_policy(cfg, "default");
            FAIL("expected a config error");
        } catch (const orch::Error& e) {
            CHECK(e.exit_code() == 2);
            CHECK(has(e.what(), "no policy named \"default\" (it defines: main)"));
        }
        CHECK_THROWS_AS(orch::config::resolve_policy(cfg, dir.file("missing.toml")), orch::Error);
    }
}
