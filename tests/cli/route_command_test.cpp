// `orch route` and `orch feedback` through the built binary: stdout, exit codes, the database.
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


// The simulated fleet of the shipped providers.toml, plus command models that leave a
// marker file when called, and the policies the tests route through.
struct Setup {
    Setup() {
        std::string marker = dir.file("called");
        std::string extra = R"(
[providers.echo]
protocol = "command"
command = ["sh", "-c", "touch )" +
                            marker + R"(; cat"]

[providers.broken]
protocol = "command"
command = ["sh", "-c", "echo down >&2; exit 1"]
max_retries = 0

[models.echo]
provider = "echo"
input_per_mtok = 1.0
output_per_mtok = 1.0

[models.broken]
provider = "broken"
input_per_mtok = 1.0
output_per_mtok = 1.0

[policies.default]
description = "test default"
[[policies.default.rules]]
name = "private"
when = { sensitive = true }
action = "privacy"
models = ["sim-local"]
[[policies.default.rules]]
name = "everything"
action = "fallback"
models = ["sim-mid", "sim-frontier"]

[[policies.echo.rules]]
name = "echo"
action = "fixed"
model = "echo"

[[policies.scrub.rules]]
name = "scrub"
when = { sensitive = true }
action = "privacy"
models = ["echo"]
redact = true

[[policies.broken.rules]]
name = "down"
action = "fallback"
models = ["broken"]

[policies.pricey]
max_cost_per_request_usd = 0.000001
[[policies.pricey.rules]]
name = "all"
action = "fallback"
models = ["sim-mid", "sim-frontier"]
)";
        // The shipped fleet without its own policies: these tests bring theirs.
        std::string fleet = orch::test::read_text(orch::test::source_path("providers.toml"));
        fleet = fleet.substr(0, fleet.find("\n[policies.") + 1);
        providers = dir.write("providers.toml", fleet + extra);
        db = dir.file("orch.db");
    }
    orch::test::ProcessResult route(std::vector<std::string> args,
                                    const std::string& stdin_text = "") const {
        std::vector<std::string> all = {"--providers", providers, "--db", db, "route"};
        all.insert(all.end(), args.begin(), args.end());
        return run_orch(all, "", stdin_text);
    }
    bool model_called() const { return std::filesystem::exists(dir.file("called")); }
    // The id from "request_id: req_…" on stderr.
    static std::string request_id(const std::string& err) {
        auto at = err.find("request_id: ");
        REQUIRE(at != std::string::npos);
        return err.substr(at + 12, 20);
    }

    TempDir dir;
    std::string providers;
    std::string db;
};

} // namespace

TEST_CASE("cli::route answers on stdout") {
    Setup s;
    SUBCASE("the prompt as an argument: just the answer and a newline") {
        auto r = s.route({"What is the capital of France?"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "[simulated sim-mid] What is the capital of France?\n");
        CHECK(Setup::request_id(r.err).rfind("req_", 0) == 0);
    }
    SUBCASE("the prompt on stdin") {
        auto r = s.route({"--type", "chat"}, "What is the capital of France?\n");
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "[simulated sim-mid] What is the capital of France?\n");
    }
    SUBCASE("a policy file instead of a name") {
        auto r = s.route({"--policy", orch::test::source_path("policies/default.toml"), "--type",
                          "classify",
                          "Is this "
                          "spam?"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.rfind("[simulated sim-small]", 0) == 0);
    }
    SUBCASE("the route is logged with its chain") {
        auto r = s.route({"--type", "chat", "hello there"});
        REQUIRE(r.exit_code == 0);
        std::string id = Setup::request_id(r.err);
        CHECK(sql(s.db, "select policy, rule, task_type, model, outcome from route_log where "
                        "request_id = '" +
                            id + "'") == "default|everything|chat|sim-mid|ok\n");
        auto chain = nlohmann::json::parse(
            sql(s.db, "select chain from route_log where request_id = '" + id + "'"));
        REQUIRE(chain.is_array());
        CHECK(chain.back()["model"] == "sim-mid");
        CHECK(chain.back()["outcome"] == "ok");
        CHECK(sql(s.db,
                  "select cost_usd > 0 and latency_ms > 0 and output_tokens > 0 from route_log") ==
              "1\n");
    }
}

TEST_CASE("cli::route --json gives the whole envelope") {
    Setup s;
    auto r = s.route({"--json", "--type", "chat", "hello there"});
    REQUIRE(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out);
    for (const char* key : {"request_id", "policy", "rule", "model", "chain", "answer", "usage",
                            "cost_usd", "latency_ms", "outcome"}) {
        CHECK_MESSAGE(j.contains(key), key);
    }
    CHECK(j["request_id"] == Setup::request_id(r.err));
    CHECK(j["policy"] == "default");
    CHECK(j["rule"] == "everything");
    CHECK(j["model"] == "sim-mid");
    CHECK(j["outcome"] == "ok");
    CHECK(j["answer"] == "[simulated sim-mid] hello there");
    CHECK(j["usage"]["input_tokens"].get<int>() > 0);
    CHECK(j["usage"]["output_tokens"].get<int>() > 0);
    CHECK(j["usage"].contains("estimated"));
    CHECK(j["cost_usd"].get<double>() > 0);
    CHECK(j["chain"][0]["model"] == "sim-mid");
}

TEST_CASE("cli::route --explain decides without calling any model") {
    Setup s;
    SUBCASE("as text, with no call and no database") {
        auto r = s.route({"--policy", "echo", "--explain", "hello"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("rule \"echo\" (fixed) matched") != std::string::npos);
        CHECK(r.out.find("chain: echo") != std::string::npos);
        CHECK_FALSE(s.model_called());
        CHECK_FALSE(std::filesystem::exists(s.db));
        // The same request routed for real does call the model.
        auto real = s.route({"--policy", "echo", "hello"});
        CHECK(real.exit_code == 0);
        CHECK(real.out == "hello\n");
        CHECK(s.model_called());
    }
    SUBCASE("as JSON, with each rule's conditions") {
        auto r = s.route({"--explain", "--json", "--type", "chat", "my email is ana@example.com"});
        REQUIRE(r.exit_code == 0);
        auto j = nlohmann::json::parse(r.out);
        CHECK(j["rule"] == "private");
        CHECK(j["sensitive"] == true);
        CHECK(j["sensitive_kinds"] == nlohmann::json::array({"email"}));
        CHECK(j["chain"][0]["model"] == "sim-local");
        CHECK(j["rules"][0]["conditions"][0]["condition"] == "sensitive");
        CHECK(r.out.find("ana@example.com") == std::string::npos);
        CHECK_FALSE(std::filesystem::exists(s.db));
    }
}

TEST_CASE("cli::route exit codes") {
    Setup s;
    SUBCASE("a card number and no private model: exit 5, nothing on stdout, no model called") {
        auto r = s.route({"--policy", "echo", "Refund card 4111 1111 1111 1111 please"});
        CHECK(r.exit_code == 5);
        CHECK(r.out.empty());
        CHECK(r.err.find("orch: error: refused by policy: the input contains card") !=
              std::string::npos);
        CHECK_FALSE(s.model_called());
        std::string id = Setup::request_id(r.err);
        CHECK(sql(s.db, "select outcome, model from route_log where request_id = '" + id + "'") ==
              "refused|\n");
    }
    SUBCASE("--sensitive has the same effect on any text") {
        auto r = s.route({"--policy", "echo", "--sensitive", "hello"});
        CHECK(r.exit_code == 5);
        CHECK_FALSE(s.model_called());
    }
    SUBCASE("with redact = true the external model only ever sees placeholders") {
        auto r =
            s.route({"--policy", "scrub", "Refund card 4111 1111 1111 1111 to ana@example.com"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "Refund card [CARD] to [EMAIL]\n");
    }
    SUBCASE("every model failed: exit 3 with the reason") {
        auto r = s.route({"--policy", "broken", "hello"});
        CHECK(r.exit_code == 3);
        CHECK(r.out.empty());
        CHECK(r.err.find("orch: error: every model failed: broken: server") != std::string::npos);
    }
    SUBCASE("over budget: exit 4") {
        auto r = s.route({"--policy", "pricey", "hello"});
        CHECK(r.exit_code == 4);
        CHECK(r.err.find("orch: error: budget exhausted") != std::string::npos);
    }
    SUBCASE("no default policy: exit 2, nothing written") {
        std::string fleet = orch::test::read_text(orch::test::source_path("providers.toml"));
        std::string bare = s.dir.write("bare.toml", fleet.substr(0, fleet.find("\n[policies.") + 1));
        auto r = run_orch({"--providers", bare, "--db", s.db, "route", "hi"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("no policy named \"default\"") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(s.db));
    }
    SUBCASE("an unknown policy and an empty prompt: exit 2") {
        CHECK(s.route({"--policy", "nope", "hi"}).exit_code == 2);
        CHECK(s.route({}, "  \n").exit_code == 2);
    }
}

TEST_CASE("cli::route feedback") {
    Setup s;
    auto routed = s.route({"hello"});
    REQUIRE(routed.exit_code == 0);
    std::string id = Setup::request_id(routed.err);
    auto feedback = [&](std::vector<std::string> args) {
        std::vector<std::string> all = {"--db", s.db, "feedback"};
        all.insert(all.end(), args.begin(), args.end());
        return run_orch(all);
    };

    SUBCASE("records a score against a logged request") {
        auto r = feedback({id, "0.8", "--comment", "good answer"});
        CHECK(r.exit_code == 0);
        CHECK(sql(s.db, "select request_id, score, comment from feedback") ==
              id + "|0.8|good answer\n");
    }
    SUBCASE("an unknown id is exit 2") {
        auto r = feedback({"req_0000000000000000", "1"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("no routed request req_0000000000000000") != std::string::npos);
        CHECK(sql(s.db, "select count(*) from feedback") == "0\n");
    }
    SUBCASE("a malformed id, a score outside 0..1, a missing database: exit 2") {
        CHECK(feedback({"42", "1"}).exit_code == 2);
        CHECK(feedback({id, "1.5"}).exit_code == 2);
        auto none = run_orch({"--db", s.dir.file("none.db"), "feedback", id, "1"});
        CHECK(none.exit_code == 2);
        CHECK_FALSE(std::filesystem::exists(s.dir.file("none.db")));
    }
}
