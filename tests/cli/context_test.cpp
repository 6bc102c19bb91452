// Conversation suites ([context]) through the built binary: compaction at the threshold and
// again as a thread grows, each guard, truncation as the last resort, on_context_length =
// "compact" against sim serve's context fault, the calibrated token estimate of a model with a
// denser tokenizer, session memory across tasks, across SIGKILL + resume and when it cannot be
// read, located errors for bad input; and at the wire, that no model is sent more than its
// window and compaction goes where the policy says.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <doctest/doctest.h>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

using nlohmann::json;
using orch::test::run_orch;
using orch::test::sql;
using orch::test::TempDir;

namespace {

// A thread of `messages` messages: the planted lines first (each carries a fact), then filler
// that carries none.
json thread(int messages, const std::vector<std::string>& planted) {
    json h = json::array();
    for (int i = 0; i < messages; ++i) {
        std::string role = i % 2 == 0 ? "user" : "assistant";
        std::string text = static_cast<std::size_t>(i) < planted.size() ? planted[static_cast<std::size_t>(i)]
                           : i % 2 == 0                                 ? "Thanks, that makes sense to me."
                                                                        : "Happy to help with that, noted.";
        h.push_back({{"role", role}, {"content", text}});
    }
    return h;
}

json row(const std::string& id, json history, const std::string& question, const std::vector<std::string>& needs,
         const std::vector<std::string>& facts, const std::string& session = "") {
    json r = {{"id", id},       {"difficulty", 0}, {"history", std::move(history)}, {"question", question},
              {"needs", needs}, {"facts", facts},  {"answer", "It is " + needs.front() + "."}};
    if (!session.empty()) {
        r["session"] = session;
    }
    return r;
}

// tasks/conv.toml over tasks/data.jsonl, with `context` as the [context] table's keys.
void write_suite(TempDir& dir, const std::string& context, const std::vector<json>& rows) {
    std::string data;
    for (const auto& r : rows) {
        data += r.dump() + "\n";
    }
    dir.write("tasks/data.jsonl", data);
    dir.write("tasks/conv.toml", "name = \"conv\"\ntype = \"chat\"\ndataset = \"data.jsonl\"\nreference = \"answer\"\n"
                                 "[context]\n" + context +
                                 "[prompt]\nsystem = \"Answer from the conversation.\"\nuser = \"{{question}}\"\n"
                                 "[[evaluators]]\nkind = \"must_preserve\"\nfacts = \"{{needs}}\"\n");
}

// The default fleet plus command "models": compactors that fail, answer vaguely or echo, and an
// answerer that echoes what it was sent (so a test reads the request in the output).
std::string fleet_with_commands(TempDir& dir, const std::string& more = "") {
    std::string text = orch::test::read_text(orch::test::source_path("providers.toml"));
    text += "\n[providers.fail]\nprotocol = \"command\"\ncommand = [\"false\"]\n"
            "[providers.vague]\nprotocol = \"command\"\ncommand = [\"sh\", \"-c\", \"cat >/dev/null; echo We went over "
            "the account and agreed on the next steps.\"]\n"
            "[providers.echo]\nprotocol = \"command\"\ncommand = [\"cat\"]\n"
            "[models.fail-compactor]\nprovider = \"fail\"\ninput_per_mtok = 0\noutput_per_mtok = 0\n"
            "[models.vague-compactor]\nprovider = \"vague\"\ninput_per_mtok = 0\noutput_per_mtok = 0\n"
            "[models.echo-compactor]\nprovider = \"echo\"\ninput_per_mtok = 0\noutput_per_mtok = 0\n"
            "[models.echo-answer]\nprovider = \"echo\"\ninput_per_mtok = 0\noutput_per_mtok = 0\ncontext_window = 700\n" +
            more;
    return dir.write("providers.toml", text);
}

// A policy file: compaction to `compactor`, everything else to `answerer`.
std::string split_policy(TempDir& dir, const std::string& compactor, const std::string& answerer,
                         const std::string& extra = "") {
    return dir.write("split.toml", "name = \"split\"\n" + extra +
                                       "[[rules]]\nname = \"compactor\"\nwhen = { type = \"compact\" }\naction = "
                                       "\"fixed\"\nmodel = \"" + compactor + "\"\n"
                                       "[[rules]]\nname = \"answerer\"\naction = \"fixed\"\nmodel = \"" + answerer + "\"\n");
}

// The default fleet's text with `from` replaced by `to` (REQUIREd to be there).
std::string default_fleet_with(const std::string& from, const std::string& to) {
    std::string text = orch::test::read_text(orch::test::source_path("providers.toml"));
    std::size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

json context_of(const std::string& db, const std::string& task) {
    return json::parse(sql(db, "select context from results where task_id = '" + task + "' order by run_id desc limit 1"));
}

std::int64_t tokens_of(const json& messages) {
    std::int64_t n = 0;
    for (const auto& m : messages) {
        std::string content = m.value("content", "");
        n += static_cast<std::int64_t>((content.size() + 3) / 4) + 4;
    }
    return n;
}

const std::vector<std::string> k_planted = {"My order is A-1001 and it came broken.", "The ticket is TCK-2002.",
                                            "The refund agreed is $310.50.", "It ships on March 14."};
const std::vector<std::string> k_facts = {"A-1001", "TCK-2002", "$310.50", "March 14"};

// `n` rows asking for the order, each a thread of first + step * i messages with the facts planted.
std::vector<json> order_threads(int n, int first, int step) {
    std::vector<json> rows;
    for (int i = 0; i < n; ++i) {
        rows.push_back(row("t" + std::to_string(i), thread(first + step * i, k_planted), "What is the order?", {"A-1001"},
                           k_facts));
    }
    return rows;
}

} // namespace

TEST_CASE("cli::bench context: compaction starts at the threshold, runs again as the thread grows, and keeps the answer within it") {
    TempDir dir;
    write_suite(dir, "compact_at = 300\nkeep_recent = 4\n",
                {row("short", thread(12, k_planted), "What is the order?", {"A-1001"}, k_facts),
                 row("long", thread(80, k_planted), "What is the order?", {"A-1001"}, k_facts)});
    std::string db = dir.file("r.db");
    auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench", "--suite",
                       dir.file("tasks/conv.toml"), "-t", "sim-frontier", "--no-cache"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    json shorter = context_of(db, "short");
    CHECK(shorter["state"] == "full");
    CHECK(shorter["compactions"] == 0);
    json longer = context_of(db, "long");
    CHECK(longer["state"] == "compacted");
    CHECK(longer["compactions"].get<int>() >= 2); // incremental: the summary and the new turns, again
    CHECK(longer["accepted"] == longer["compactions"]);
    CHECK(longer["facts"]["kept"] == 4);
    // The answer was sent no more than compact_at, and the estimate was what the model counted.
    CHECK(longer["tokens"]["reported"].get<int>() <= 300);
    CHECK(longer["tokens"]["error_pct"].get<double>() == doctest::Approx(0.0));
    // Each compaction is a routed call of its own, of type compact, scored on the facts it kept.
    CHECK(sql(db, "select count(*) from step_results where task_id = 'long' and step_type = 'compact' and "
                  "step_id like 'context:compact%' and status = 'scored' and score = 1") ==
          std::to_string(longer["compactions"].get<int>()) + "\n");
    CHECK(sql(db, "select count(*) from step_results where task_id = 'long' and step_id = 'context:answer'") == "1\n");
    CHECK(sql(db, "select status from results where task_id = 'long'") == "scored\n");
    // The compaction's cost and latency are its own, and the result's are the sum.
    CHECK(sql(db, "select abs(r.cost_usd - (select sum(cost_usd) from step_results s where s.task_id = 'long')) < 1e-9 "
                  "from results r where task_id = 'long'") == "1\n");
}

TEST_CASE("cli::bench context: every guard keeps the previous context, and truncation is the last resort") {
    TempDir dir;
    std::string providers = fleet_with_commands(dir);
    struct Case {
        std::string compactor;
        std::string reason;
        std::vector<std::string> planted;
    };
    std::vector<Case> cases = {
        {"fail-compactor", "error: server", k_planted},
        {"vague-compactor", "dropped every identifier", k_planted},
        {"echo-compactor", "longer than its input", k_planted},
        {"sim-frontier", "empty", {}}, // nothing in the thread worth keeping: the summary is empty
    };
    for (const auto& c : cases) {
        INFO(c.compactor);
        write_suite(dir, "compact_at = 300\nkeep_recent = 4\n",
                    {row("t", thread(60, c.planted), "What is the order?", {"A-1001"}, k_facts)});
        std::string db = dir.file(c.compactor + ".db");
        auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks/conv.toml"), "-t",
                           "policy:" + split_policy(dir, c.compactor, "echo-answer"), "--no-cache"});
        INFO(r.err);
        REQUIRE(r.exit_code <= 1);
        json ctx = context_of(db, "t");
        INFO(ctx.dump());
        REQUIRE(ctx["rejected"].size() >= 1);
        CHECK(ctx["rejected"][0]["reason"].get<std::string>().find(c.reason) == 0);
        CHECK(ctx["accepted"] == 0);
        // Nothing replaced the thread, which no longer fits echo-answer's window of 700: its oldest
        // messages were cut, the request said so, and the model got no more than its window.
        CHECK(ctx["state"] == "truncated");
        CHECK(ctx["cut_messages"].get<int>() > 0);
        std::string output = sql(db, "select output from results where task_id = 't'");
        CHECK(output.find("were cut to fit the context window") != std::string::npos);
        CHECK(output.find("Summary of the earlier conversation") == std::string::npos);
        CHECK(std::atoi(sql(db, "select input_tokens from step_results where step_id = 'context:answer'").c_str()) <= 700);
        CHECK(sql(db, "select json_extract(evaluations, '$[#-1].accepted') from step_results where step_id = "
                      "'context:compact1'") == "0\n");
    }
}

TEST_CASE("cli::bench context: a context_length error compacts and retries the same model, over sim serve") {
    TempDir dir;
    std::vector<json> rows = order_threads(16, 30, 1);
    std::map<std::string, int> errors;
    for (std::string mode : {"compact", "fallback"}) {
        INFO(mode);
        write_suite(dir, "compact_at = 4000\nkeep_recent = 4\non_context_length = \"" + mode + "\"\n", rows);
        std::string log = dir.file(mode + ".log");
        orch::test::SimServerProcess server(orch::test::source_path("providers.toml"),
                                            {"--faults", "context:0.3", "--seed", "5", "--log", log});
        std::string providers = dir.write("http.toml", orch::test::http_fleet_providers("openai", server.base_url()));
        std::string db = dir.file(mode + ".db");
        auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks/conv.toml"), "-t",
                           "sim-frontier", "-j", "1", "--no-cache"});
        INFO(r.err);
        errors[mode] = std::atoi(sql(db, "select count(*) from results where status = 'error'").c_str());
        if (mode == "compact") {
            int overflowed = std::atoi(sql(db, "select count(*) from step_results where step_id = 'context:answer' and "
                                               "error_kind = 'context_length'").c_str());
            REQUIRE(overflowed > 0);
            // Every overflow was compacted and tried again on the same model.
            CHECK(sql(db, "select count(*) from results where json_extract(context, '$.overflow_retry')") ==
                  std::to_string(overflowed) + "\n");
            CHECK(sql(db, "select count(*) from step_results where step_id = 'context:answer2' and model = "
                          "'sim-frontier'") == sql(db, "select count(*) from step_results where step_id = "
                                                       "'context:answer2' and status != 'error'"));
            CHECK(sql(db, "select count(*) from results where status = 'scored' and "
                          "json_extract(context, '$.overflow_retry')") != "0\n");
            // At the wire: each retry followed a compaction request.
            auto entries = orch::test::request_log(log);
            int compactions = 0;
            for (const auto& e : entries) {
                auto body = json::parse(e["body"].get<std::string>());
                compactions += body["messages"][0]["content"].get<std::string>().rfind("You compact", 0) == 0 ? 1 : 0;
            }
            CHECK(compactions >= overflowed);
        }
    }
    CHECK(errors["compact"] < errors["fallback"]);
}

TEST_CASE("cli::bench context: at the wire, no model gets more than its window and compaction goes where the policy says") {
    TempDir dir;
    // The frontier model with a window of 1,000 tokens; [context] a fraction of it.
    std::string fleet_path =
        dir.write("fleet.toml", default_fleet_with("context_window = 200000", "context_window = 1000"));
    write_suite(dir, "compact_at = 0.8\nkeep_recent = 4\n", order_threads(6, 60, 20));
    std::string log = dir.file("wire.log");
    orch::test::SimServerProcess server(fleet_path, {"--log", log});
    std::string providers = dir.write("http.toml", orch::test::http_fleet_providers("openai", server.base_url(), "", fleet_path));
    std::string db = dir.file("r.db");
    auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks/conv.toml"), "-t",
                       "policy:" + orch::test::source_path("policies/split-brain.toml"), "--no-cache"});
    INFO(r.err);
    REQUIRE(r.exit_code <= 1);
    // The wire names a model by its provider id.
    const std::map<std::string, std::int64_t> window = {
        {"frontier-2026-10", 1000}, {"mid-2026-09", 128000}, {"small-2026-08", 32000}, {"local-8b-q4", 8192}};
    int compactions = 0;
    int incremental = 0;
    int answers = 0;
    std::set<std::string> compactors;
    for (const auto& e : orch::test::request_log(log)) {
        auto body = json::parse(e["body"].get<std::string>());
        std::string model = body["model"];
        INFO(model);
        CHECK(tokens_of(body["messages"]) <= window.at(model));
        bool compaction = body["messages"][0]["content"].get<std::string>().rfind("You compact", 0) == 0;
        if (compaction) {
            ++compactions;
            compactors.insert(model);
            // Incremental: after a thread's first, a compaction folds the summary so far and the new turns.
            incremental += body["messages"][1]["content"].get<std::string>().rfind("Summary so far:", 0) == 0 ? 1 : 0;
        } else {
            ++answers;
            CHECK(model == "frontier-2026-10");
        }
    }
    CHECK(answers == 6);
    CHECK(compactions >= 6);
    CHECK(incremental >= 1);
    CHECK(compactors == std::set<std::string>{"small-2026-08"});
    CHECK(sql(db, "select count(*) from step_results where step_type = 'compact' and model = 'sim-small'") ==
          std::to_string(compactions) + "\n");
    CHECK(sql(db, "select count(*) from results where json_extract(context, '$.state') = 'compacted'") != "0\n");
}

TEST_CASE("cli::bench context: a model with a denser tokenizer is estimated from what it reports, and does not overflow") {
    TempDir dir;
    // sim-small counts 2.5 characters a token (the rough estimate assumes 4) in a window of 1,200.
    std::string fleet = default_fleet_with("context_window = 32000", "context_window = 1200");
    std::size_t small = fleet.find("[models.sim-small.sim]");
    REQUIRE(small != std::string::npos);
    fleet.insert(fleet.find('\n', small) + 1, "chars_per_token = 2.5\n");
    std::string providers = dir.write("fleet.toml", fleet);
    write_suite(dir, "compact_at = 0.75\nkeep_recent = 4\n", order_threads(8, 40, 10));
    std::string db = dir.file("r.db");
    for (int run = 1; run <= 2; ++run) {
        INFO("run " << run);
        auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks/conv.toml"), "-t",
                           "sim-small", "-j", "1", "--no-cache"});
        INFO(r.err);
        REQUIRE(r.exit_code <= 1);
        std::string id = std::to_string(run);
        CHECK(sql(db, "select count(*) from results where run_id = " + id + " and status = 'error'") == "0\n");
        CHECK(sql(db, "select max(input_tokens) <= 1200 from step_results where run_id = " + id) == "1\n");
    }
    // What it learned: 1.6 tokens of text for each the rough estimate counts, kept for the next run,
    // which starts calibrated: its estimates are within 3% of what the model counted.
    double factor = std::atof(sql(db, "select 1.0 * reported / estimated from token_calibration where model = "
                                      "'sim-small'").c_str());
    CHECK(factor == doctest::Approx(1.6).epsilon(0.05));
    CHECK(sql(db, "select max(abs(json_extract(context, '$.tokens.error_pct'))) < 3 from results where run_id = 2") == "1\n");
    auto report = run_orch({"--providers", providers, "--db", db, "report"});
    CHECK(report.out.find("Context") != std::string::npos);
}

TEST_CASE("cli::bench context: a session's memory carries facts to its next task, and survives SIGKILL and resume") {
    TempDir dir;
    std::string providers = fleet_with_commands(dir);
    // The second task's thread never mentions the order: only the memory the first left has it.
    write_suite(dir, "compact_at = 300\nkeep_recent = 4\n",
                {row("first", thread(50, k_planted), "What is the ticket?", {"TCK-2002"}, k_facts, "acct"),
                 row("second", thread(14, {}), "What was the order again?", {"A-1001"}, k_facts, "acct"),
                 row("other", thread(14, {}), "What was the order again?", {"A-1001"}, k_facts, "someone-else")});
    // The frontier model compacts; `cat` answers, so an answer holds a fact only when its context did.
    std::string policy = split_policy(dir, "sim-frontier", "echo-answer");
    std::string suite = dir.file("tasks/conv.toml");
    std::string db = dir.file("whole.db");
    auto whole = run_orch({"--providers", providers, "--db", db, "bench", "--suite", suite, "-t", "policy:" + policy,
                           "--no-cache", "-j", "4"});
    INFO(whole.err);
    REQUIRE(whole.exit_code <= 1);
    CHECK(context_of(db, "first")["memory"]["read"] == "none");
    CHECK(context_of(db, "first")["memory"]["written"] == true);
    CHECK(context_of(db, "second")["memory"]["read"] == "read");
    CHECK(sql(db, "select passed from results where task_id = 'second'") == "1\n");
    CHECK(sql(db, "select passed from results where task_id = 'other'") == "0\n"); // another session: no memory
    CHECK(sql(db, "select count(*) from session_memory where session = 'acct'") == "2\n");

    // Killed part way (after the first task's compactions), then resumed: the same answers.
    std::string killed = dir.file("killed.db");
    std::string command = orch::test::shell_quote(ORCH_BINARY) + " --providers " + orch::test::shell_quote(providers) +
                          " --db " + orch::test::shell_quote(killed) + " bench --suite " + orch::test::shell_quote(suite) +
                          " -t policy:" + orch::test::shell_quote(policy) + " --no-cache -j 1 --sim-sleep";
    orch::test::kill_after_steps(command, dir.file("first.log"), killed, 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto resumed = run_orch({"--providers", providers, "--db", killed, "bench", "--suite", suite, "-t",
                             "policy:" + policy, "--no-cache", "-j", "1", "--resume", "1"});
    INFO(resumed.err);
    REQUIRE(resumed.exit_code <= 1);
    std::string q = "select task_id, status, passed, output from results order by task_id";
    CHECK(sql(killed, q) == sql(db, q));
    CHECK(sql(killed, "select count(*) = count(distinct task_id || step_id) from step_results") == "1\n");

    // A memory that no longer matches its checksum cannot be read: the task says so, and so does
    // the request its model got.
    sql(killed, "update session_memory set summary = 'tampered' where task_id = 'first'");
    sql(killed, "delete from results where task_id = 'second'");
    sql(killed, "delete from step_results where task_id = 'second'");
    auto again = run_orch({"--providers", providers, "--db", killed, "bench", "--suite", suite, "-t",
                           "policy:" + policy, "--no-cache", "--resume", "1"});
    INFO(again.err);
    REQUIRE(again.exit_code <= 1);
    json ctx = context_of(killed, "second");
    CHECK(ctx["memory"]["read"] == "unavailable");
    CHECK(ctx["memory"]["why"].get<std::string>().find("checksum") != std::string::npos);
    std::string output = sql(killed, "select output from results where task_id = 'second'");
    CHECK(output.find("could not be read") != std::string::npos);
    CHECK(output.find("tampered") == std::string::npos);
    CHECK(sql(killed, "select passed from results where task_id = 'second'") == "0\n");
}

TEST_CASE("cli::bench context: a failed compaction never replaces a good memory") {
    TempDir dir;
    std::string providers = fleet_with_commands(dir);
    write_suite(dir, "compact_at = 300\nkeep_recent = 4\n",
                {row("first", thread(50, k_planted), "What is the ticket?", {"TCK-2002"}, k_facts, "acct"),
                 row("second", thread(14, {}), "What was the order again?", {"A-1001"}, k_facts, "acct"),
                 row("third", thread(14, {}), "And the order?", {"A-1001"}, k_facts, "acct")});
    std::string db = dir.file("r.db");
    // The second task's memory write fails; the third still reads the first's memory.
    std::string policy = dir.write("p.toml", "name = \"p\"\n"
                                             "[[rules]]\nname = \"second-fails\"\nwhen = { type = \"compact\", regex = \"What was the order again\" }\n"
                                             "action = \"fixed\"\nmodel = \"fail-compactor\"\n"
                                             "[[rules]]\nname = \"compactor\"\nwhen = { type = \"compact\" }\naction = \"fixed\"\nmodel = \"sim-frontier\"\n"
                                             "[[rules]]\nname = \"answerer\"\naction = \"fixed\"\nmodel = \"echo-answer\"\n");
    auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks/conv.toml"), "-t",
                       "policy:" + policy, "--no-cache"});
    INFO(r.err);
    REQUIRE(r.exit_code <= 1);
    CHECK(sql(db, "select json_extract(route, '$.rule') || ' ' || status from step_results where task_id = 'second' "
                  "and step_id = 'context:memory'") == "second-fails error\n");
    CHECK(context_of(db, "second")["memory"]["written"] == false);
    CHECK(context_of(db, "third")["memory"]["read"] == "read");
    CHECK(sql(db, "select passed from results where task_id = 'third'") == "1\n");
    CHECK(sql(db, "select group_concat(task_id) from (select task_id from session_memory order by id)") ==
          "first,third\n");
}

TEST_CASE("cli::bench context: bad [context] keys and rows are located, and nothing is written") {
    TempDir dir;
    struct Case {
        std::string context;
        std::string row;
        std::string expected;
    };
    std::vector<Case> cases = {
        {"compact_at = 0\n", "", "conv.toml:6:"},
        {"compact_at = 0\n", "", "context.compact_at: expected a fraction"},
        {"compact_at = 300.5\n", "", "context.compact_at: a number of tokens must be whole"},
        {"strategy = \"summarise\"\n", "", "context.strategy"},
        {"on_context_length = \"bigger\"\n", "", "context.on_context_length"},
        {"keep_last = 3\n", "", "context.keep_last: unknown key"},
        {"", "{\"id\": \"a\", \"question\": \"q\", \"needs\": [\"x\"], \"answer\": \"x\"}", "data.jsonl:1: history"},
        {"", "{\"id\": \"a\", \"history\": \"hello\", \"question\": \"q\", \"needs\": [\"x\"], \"answer\": \"x\"}",
         "data.jsonl:1: history: expected a list of messages"},
        {"", "{\"id\": \"a\", \"history\": [{\"role\": \"robot\", \"content\": \"hi\"}], \"question\": \"q\", \"needs\": [\"x\"], \"answer\": \"x\"}",
         "data.jsonl:1: history[0].role: expected user, assistant, tool or system"},
        {"", "{\"id\": \"a\", \"history\": [], \"question\": \"q\", \"needs\": [\"x\"], \"facts\": [1], \"answer\": \"x\"}",
         "data.jsonl:1: facts: expected a list of facts"},
        {"", "{\"id\": \"a\", \"history\": [], \"session\": 7, \"question\": \"q\", \"needs\": [\"x\"], \"answer\": \"x\"}",
         "data.jsonl:1: session: expected the session's key"},
    };
    for (const auto& c : cases) {
        INFO(c.expected);
        write_suite(dir, c.context, {row("t", thread(4, {}), "q?", {"x"}, {"x"})});
        if (!c.row.empty()) {
            dir.write("tasks/data.jsonl", c.row + "\n");
        }
        std::string db = dir.file("bad.db");
        auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench", "--suite",
                           dir.file("tasks/conv.toml"), "-t", "sim-small"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(c.expected) != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(db));
        auto v = run_orch({"tasks", "validate", dir.file("tasks/conv.toml")});
        CHECK(v.exit_code == 2);
    }
    // A conversation suite is not also an agent.
    dir.write("tasks/conv.toml", orch::test::read_text(dir.file("tasks/conv.toml")) +
                                     "[[tools]]\nname = \"t\"\nparameters = { type = \"object\" }\ndefault = { result = \"x\" }\n");
    auto r = run_orch({"tasks", "validate", dir.file("tasks/conv.toml")});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("context: a conversation suite") != std::string::npos);
    auto shipped = run_orch({"tasks", "validate", orch::test::source_path("tasks/long_threads.toml")});
    INFO(shipped.err);
    CHECK(shipped.exit_code == 0);
}
