// Agent loops ([[tools]]) through the built binary: the support agent against `orch sim serve`
// on both protocols, streamed and whole, checked at the wire; tool faults; a tool cut at its
// timeout; the loop's limits; located errors for bad tool definitions; resume at the turn.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <doctest/doctest.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

using orch::test::run_orch;
using orch::test::sql;
using orch::test::TempDir;

namespace {

// The default fleet without transient failures: every request at the wire is one turn.
std::string steady_fleet(TempDir& dir) {
    std::string text = orch::test::read_text(orch::test::source_path("providers.toml"));
    for (size_t pos = 0; (pos = text.find("failure_rate = 0.0", pos)) != std::string::npos; pos += 19) {
        text.replace(pos, 19, "failure_rate = 0.00");
    }
    return dir.write("fleet.toml", text);
}


// A small agent suite: one tool answering every call, a row per task whose golden trajectory is
// one lookup; difficulty 0 so the simulated frontier model plays it right.
void write_small_agent(TempDir& dir, const std::string& agent, int rows) {
    std::string data;
    for (int i = 0; i < rows; ++i) {
        data += "{\"id\": \"t" + std::to_string(i) + "\", \"difficulty\": 0, \"q\": \"Where is A" + std::to_string(i) +
                "?\", \"calls\": [{\"name\": \"lookup\", \"arguments\": {\"id\": \"A" + std::to_string(i) +
                "\"}}], \"final\": \"A" + std::to_string(i) + " is in Leeds.\"}\n";
    }
    dir.write("tasks/data.jsonl", data);
    dir.write("tasks/agent.toml", "name = \"small-agent\"\ntype = \"agent\"\ndataset = \"data.jsonl\"\nreference = \"final\"\n"
                                  "[agent]\n" + agent + "trajectory = \"calls\"\n"
                                  "[prompt]\nuser = \"{{q}}\"\n"
                                  "[[evaluators]]\nkind = \"tool_sequence\"\ncalls = \"{{calls}}\"\n"
                                  "[[tools]]\nname = \"lookup\"\ndescription = \"Where a parcel is\"\n"
                                  "parameters = { type = \"object\", properties = { id = { type = \"string\" } }, required = [\"id\"] }\n"
                                  "default = { result = \"in Leeds\" }\n");
}

} // namespace

TEST_CASE("cli::bench agent: the support agent over orch sim serve, both protocols, streamed and whole") {
    for (std::string protocol : {"openai", "anthropic"}) {
        for (bool stream : {false, true}) {
            INFO(protocol << (stream ? " streamed" : " whole"));
            TempDir dir;
            std::string log = dir.file("server.jsonl");
            orch::test::SimServerProcess server(
                steady_fleet(dir), {"--latency-scale", "0", "--log", log, "--suites",
                                    orch::test::source_path("tasks/support_agent.toml")});
            std::string providers = dir.write(
                "providers.toml",
                orch::test::http_fleet_providers(protocol, server.base_url(), stream ? "stream = true" : ""));
            std::string db = dir.file("a.db");
            auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite",
                               orch::test::source_path("tasks/support_agent.toml"), "-t", "sim-mid", "-t", "sim-small",
                               "--no-cache"});
            INFO(r.out << r.err);
            REQUIRE(r.exit_code == 0);
            CHECK(sql(db, "select count(*) from results where status = 'scored'") == "72\n");
            // every turn is one request at the wire: none duplicated, none lost
            auto entries = orch::test::request_log(log);
            CHECK(sql(db, "select count(*) from step_results") == std::to_string(entries.size()) + "\n");
            // parallel calls in one turn (two lookups asked for at once)
            CHECK(sql(db, "select count(*) > 0 from (select 1 from tool_calls group by task_id, target, turn "
                          "having count(*) = 2)") == "1\n");
            // arguments that break the schema went back to the model as tool errors, and were counted
            CHECK(sql(db, "select count(*) > 0 from tool_calls where valid = 0 and is_error = 1 and result like "
                          "'error: %schema%'") == "1\n");
            CHECK(sql(db, "select count(*) > 0 from results where target = 'sim-small' and "
                          "json_extract(trajectory, '$.invalid_calls') > 0") == "1\n");
            // a failing tool: the agent escalated after the lookup failed
            CHECK(sql(db, "select count(*) > 0 from tool_calls a join tool_calls b using (task_id, target, repeat) "
                          "where a.task_id like 'recover-%' and a.tool = 'lookup_order' and a.is_error = 1 and "
                          "b.tool = 'escalate' and b.turn > a.turn") == "1\n");
            CHECK(sql(db, "select count(*) > 20 from results where passed = 1") == "1\n");
            // what went over the wire is each protocol's own shape
            bool tools_offered = false, results_sent = false;
            for (const auto& e : entries) {
                std::string body = e["body"].get<std::string>();
                if (protocol == "openai") {
                    tools_offered |= body.find("\"type\":\"function\"") != std::string::npos;
                    results_sent |= body.find("\"role\":\"tool\"") != std::string::npos &&
                                    body.find("\"tool_call_id\"") != std::string::npos;
                } else {
                    tools_offered |= body.find("\"input_schema\"") != std::string::npos;
                    results_sent |= body.find("\"tool_result\"") != std::string::npos &&
                                    body.find("\"tool_use_id\"") != std::string::npos;
                }
                CHECK(e.value("stream", false) == stream);
            }
            CHECK(tools_offered);
            CHECK(results_sent);
        }
    }
}

TEST_CASE("cli::bench agent: tool faults from sim serve — arguments not JSON, an unknown tool, a call repeated forever") {
    for (std::string protocol : {"openai", "anthropic"}) {
        INFO(protocol);
        struct Case {
            std::string faults;
            std::string expect;
        };
        for (const auto& c : {Case{"tool-args@1", "not_json"}, Case{"tool-unknown@1", "unknown"},
                              Case{"tool-loop@2-99", "loop"}}) {
            INFO(c.faults);
            TempDir dir;
            write_small_agent(dir, "max_turns = 6\nmax_tool_calls = 3\n", 1);
            orch::test::SimServerProcess server(steady_fleet(dir), {"--latency-scale", "0", "--faults", c.faults,
                                                                    "--suites", dir.file("tasks")});
            // streamed on OpenAI, whole on Anthropic: the faulty calls decoded either way
            std::string providers = dir.write("providers.toml", orch::test::http_fleet_providers(
                                                                    protocol, server.base_url(),
                                                                    protocol == "openai" ? "stream = true" : ""));
            std::string db = dir.file("f.db");
            auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks"), "-t",
                               "sim-frontier", "--no-cache"});
            INFO(r.out << r.err);
            REQUIRE(r.exit_code == 0);
            if (c.expect == "not_json") {
                CHECK(sql(db, "select valid, is_error, error like '%arguments are not a JSON object%' from tool_calls "
                              "where turn = 1") == "0|1|1\n");
                // the model was told, tried again, and answered
                CHECK(sql(db, "select status, json_extract(trajectory, '$.stop'), json_extract(trajectory, "
                              "'$.invalid_calls') from results") == "scored|answer|1\n");
            } else if (c.expect == "unknown") {
                CHECK(sql(db, "select valid, error like 'unknown tool \"no_such_tool_lookup\"%' from tool_calls where "
                              "turn = 1") == "0|1\n");
                CHECK(sql(db, "select passed from results") == "1\n");
            } else {
                // the same call three times, then a fourth past max_tool_calls: stopped, recorded, scored
                CHECK(sql(db, "select count(*), count(distinct arguments) from tool_calls where valid = 1 and "
                              "coalesce(error, '') = ''") == "3|1\n");
                CHECK(sql(db, "select status, failed_step, json_extract(trajectory, '$.stop'), "
                              "json_extract(trajectory, '$.tool_calls') from results") ==
                      "scored|max_tool_calls|max_tool_calls|3\n");
                CHECK(sql(db, "select count(*) from tool_calls where error like 'not run: %max_tool_calls (3)%'") == "1\n");
            }
        }
    }
}

TEST_CASE("cli::bench agent: program tools, one cut at its timeout, and max_turns recorded as such") {
    // in process, then over orch sim serve on each protocol (one streamed, one whole)
    for (std::string mode : {"sim", "openai", "anthropic"}) {
        INFO(mode);
        TempDir dir;
        dir.write("tasks/data.jsonl",
                  "{\"id\": \"echo\", \"difficulty\": 0, \"q\": \"echo\", \"calls\": [{\"name\": \"echo\", \"arguments\": "
                  "{\"x\": 1}}], \"final\": \"echoed 1\"}\n"
                  "{\"id\": \"slow\", \"difficulty\": 0, \"q\": \"slow\", \"calls\": [[{\"name\": \"slow\", \"arguments\": "
                  "{}}], [{\"name\": \"slow\", \"arguments\": {}}]], \"final\": \"done\"}\n");
        dir.write("tasks/agent.toml",
                  "name = \"programs\"\ntype = \"agent\"\ndataset = \"data.jsonl\"\nreference = \"final\"\n"
                  "[agent]\nmax_turns = 2\ntrajectory = \"calls\"\n[prompt]\nuser = \"{{q}}\"\n"
                  "[[evaluators]]\nkind = \"tool_sequence\"\ncalls = \"{{calls}}\"\n"
                  "[[evaluators]]\nkind = \"max_turns\"\nmax = 2\n"
                  "[[tools]]\nname = \"echo\"\nparameters = { type = \"object\" }\ncommand = [\"cat\"]\n"
                  "[[tools]]\nname = \"slow\"\nparameters = { type = \"object\" }\ncommand = [\"sleep\", \"5\"]\ntimeout_s = 0.3\n");
        std::string db = dir.file("p.db");
        std::string providers = orch::test::source_path("providers.toml");
        std::unique_ptr<orch::test::SimServerProcess> server;
        if (mode != "sim") {
            server = std::make_unique<orch::test::SimServerProcess>(
                steady_fleet(dir), std::vector<std::string>{"--latency-scale", "0", "--suites", dir.file("tasks")});
            providers = dir.write("providers.toml", orch::test::http_fleet_providers(mode, server->base_url(),
                                                                                      mode == "openai" ? "stream = true" : ""));
        }
        auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks"), "-t",
                           "sim-frontier", "--no-cache"});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        // the program got the arguments on stdin and its stdout went back to the model
        CHECK(sql(db, "select result, is_error from tool_calls where task_id = 'echo'") == "{\"x\":1}|0\n");
        CHECK(sql(db, "select passed from results where task_id = 'echo'") == "1\n");
        // the hanging tool was cut at 0.3 s and the model told so; the model retried until max_turns
        CHECK(sql(db, "select count(*), min(latency_ms) >= 250, max(latency_ms) < 3000 from tool_calls where task_id = "
                      "'slow' and is_error = 1 and error like '%did not answer within 0.3s%'") == "2|1|1\n");
        CHECK(sql(db, "select status, failed_step, json_extract(trajectory, '$.stop'), passed from results where task_id = "
                      "'slow'") == "scored|max_turns|max_turns|0\n");
        CHECK(sql(db, "select evaluations like '%no answer: stopped at max_turns after 2 turns%' from results where "
                      "task_id = 'slow'") == "1\n");
        // the tool's time is part of the task's end-to-end latency
        CHECK(sql(db, "select latency_ms >= 550 from results where task_id = 'slow'") == "1\n");
    }
}

TEST_CASE("cli::bench agent: bad tool definitions and rows, each located, nothing written") {
    TempDir dir;
    dir.write("tasks/data.jsonl", "{\"id\": \"a\", \"q\": \"x\", \"final\": \"y\"}\n");
    dir.write("tasks/agent.toml",
              "name = \"bad\"\ntype = \"agent\"\ndataset = \"data.jsonl\"\nreference = \"final\"\n"
              "[agent]\nmax_turns = 0\ntrajectory = \"calls\"\n[prompt]\nuser = \"{{q}}\"\n"
              "[[evaluators]]\nkind = \"max_turns\"\nmax = 2\n"
              "[[tools]]\nname = \"none\"\nparameters = { type = \"object\" }\n"
              "[[tools]]\nname = \"nodefault\"\nparameters = { type = \"object\" }\n"
              "[[tools.responses]]\nmatch = { id = 1 }\nresult = \"one\"\n"
              "[[tools]]\nname = \"badschema\"\nparameters = { type = \"obj\" }\nerror = \"always\"\n"
              "[[tools]]\nname = \"none\"\nparameters = { type = \"object\" }\nerror = \"twice\"\n");
    std::string db = dir.file("bad.db");
    auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench", "--suite",
                       dir.file("tasks"), "-t", "sim-mid"});
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("agent.toml:6:13: agent.max_turns: expected a whole number of 1 or more") != std::string::npos);
    CHECK(r.err.find("agent.toml:13:1: tools[0]: expected one implementation") != std::string::npos);
    CHECK(r.err.find("tools[1].default: missing; a tool with responses needs a default") != std::string::npos);
    CHECK(r.err.find("agent.toml:24:14: tools[2]: parameters.type: expected one of string") != std::string::npos);
    CHECK(r.err.find("tools[3].name: tool name \"none\" is used twice") != std::string::npos);
    CHECK(r.err.find("(5 problems)") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
    auto v = run_orch({"--providers", orch::test::source_path("providers.toml"), "tasks", "validate", dir.file("tasks")});
    CHECK(v.exit_code == 2);

    // A good suite whose rows lack the trajectory, or give it in the wrong shape: each row located.
    TempDir rows;
    write_small_agent(rows, "", 1);
    rows.write("tasks/data.jsonl", "{\"id\": \"a\", \"q\": \"x\", \"final\": \"y\"}\n"
                                   "{\"id\": \"b\", \"q\": \"x\", \"final\": \"y\", \"calls\": [{\"tool\": \"lookup\"}]}\n");
    auto bad_rows = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench", "--suite",
                              rows.file("tasks"), "-t", "sim-mid"});
    INFO(bad_rows.err);
    CHECK(bad_rows.exit_code == 2);
    CHECK(bad_rows.err.find("data.jsonl:1: calls: the trajectory field \"calls\" named by") != std::string::npos);
    CHECK(bad_rows.err.find("data.jsonl:2: calls: expected each call as {\"name\": …") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("cli::bench agent: the cache answers a second run's turns, and the results are the same") {
    TempDir dir;
    std::string db = dir.file("c.db");
    std::vector<std::string> args = {"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench",
                                     "--suite", orch::test::source_path("tasks/support_agent.toml"), "-t", "sim-small"};
    REQUIRE(run_orch(args).exit_code == 0);
    REQUIRE(run_orch(args).exit_code == 0);
    CHECK(sql(db, "select count(*) from step_results where run_id = 2 and cached = 0") == "0\n");
    CHECK(sql(db, "select count(*) from results where run_id = 2 and cached = 1") == "36\n");
    CHECK(sql(db, "select count(*) from results a join results b using (task_id) where a.run_id = 1 and b.run_id = 2 "
                  "and (a.score != b.score or a.trajectory != b.trajectory)") == "0\n");
    CHECK(sql(db, "select count(*) from tool_calls where run_id = 2") == sql(db, "select count(*) from tool_calls where run_id = 1"));
}

TEST_CASE("crash::an agent run killed with SIGKILL resumes at the turn, repeating no recorded turn") {
    TempDir dir;
    std::string log = dir.file("server.jsonl");
    orch::test::SimServerProcess server(steady_fleet(dir), {"--fixed-latency-ms", "150", "--log", log, "--suites",
                                                            orch::test::source_path("tasks/support_agent.toml")});
    std::string providers = dir.write("providers.toml", orch::test::http_fleet_providers("openai", server.base_url()));
    std::string db = dir.file("r.db");
    std::string suite = orch::test::source_path("tasks/support_agent.toml");
    std::string command = orch::test::shell_quote(ORCH_BINARY) + " --providers " + orch::test::shell_quote(providers) +
                          " --db " + orch::test::shell_quote(db) + " bench --suite " + orch::test::shell_quote(suite) +
                          " -t sim-mid -j 4 --no-cache";
    orch::test::kill_after_steps(command, dir.file("first.log"), db, 10);
    std::string before = sql(db, "select task_id || '/' || step_id from step_results order by 1");
    CHECK(sql(db, "select count(*) > 0 from step_results s where not exists (select 1 from results r where "
                  "r.task_id = s.task_id)") == "1\n"); // some tasks were part way through their turns
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto resumed = run_orch({"--providers", providers, "--db", db, "bench", "--suite", suite, "-t", "sim-mid", "-j",
                             "4", "--no-cache", "--resume", "1"});
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(sql(db, "select count(*) from results where status = 'scored'") == "36\n");
    CHECK(sql(db, "select count(*) = count(distinct task_id || step_id) from step_results") == "1\n");

    // At the wire: each request is a task (its user message) at a turn (the assistant messages before it, plus one).
    std::map<std::string, std::string> task_of;
    std::istringstream rows(orch::test::read_text(orch::test::source_path("golden/support_agent.jsonl")));
    std::string line;
    while (std::getline(rows, line)) {
        auto j = nlohmann::json::parse(line);
        task_of[j["request"].get<std::string>()] = j["id"].get<std::string>();
    }
    std::map<std::string, int> calls;
    for (const auto& e : orch::test::request_log(log)) {
        auto body = nlohmann::json::parse(e["body"].get<std::string>());
        std::string task;
        int turn = 1;
        for (const auto& m : body["messages"]) {
            if (m["role"] == "user" && task.empty()) {
                task = task_of[m["content"].get<std::string>()];
            }
            turn += m["role"] == "assistant" ? 1 : 0;
        }
        calls[task + "/turn" + std::to_string(turn)]++;
    }
    std::istringstream recorded(before);
    std::string key;
    int checked = 0;
    while (std::getline(recorded, key)) {
        INFO(key);
        CHECK(calls[key] == 1); // recorded before the kill: never asked again
        ++checked;
    }
    CHECK(checked >= 10);
    CHECK(sql(db, "select count(*) from step_results") == std::to_string(calls.size()) + "\n");
}

TEST_CASE("cli::bench agent: a turn retried after a 503 is one turn; orch diff shows per-turn route moves") {
    TempDir dir;
    write_small_agent(dir, "", 4);
    std::string log = dir.file("server.jsonl");
    orch::test::SimServerProcess server(steady_fleet(dir), {"--latency-scale", "0", "--faults", "503@2,503@5", "--log",
                                                            log, "--suites", dir.file("tasks")});
    std::string providers = dir.write("providers.toml", orch::test::http_fleet_providers("anthropic", server.base_url()));
    std::string db = dir.file("d.db");
    for (const char* target : {"sim-mid", "policy:default"}) {
        auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks"), "-t", target,
                           "--no-cache", "-j", "1"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // two requests at the wire answered 503 and were retried: each is still one turn, recorded once
    CHECK(sql(db, "select count(*), sum(retries) from step_results where run_id = 1") == "8|2\n");
    CHECK(orch::test::request_log(log).size() == 8 + 2 + std::stoul(sql(db, "select count(*) from step_results where run_id = 2")));
    CHECK(sql(db, "select count(*) from results where status = 'scored'") == "8\n");
    auto d = run_orch({"--providers", providers, "--db", db, "diff", "1", "2"});
    INFO(d.out);
    REQUIRE(d.exit_code == 0);
    CHECK(d.out.find("small-agent/turn1: 4 paired, 4 routed differently (sim-mid → sim-frontier 4)") != std::string::npos);
    CHECK(d.out.find("small-agent/turn2: 4 paired, 0 routed differently") != std::string::npos);
}

TEST_CASE("cli::bench agent: a workflow step that is an agent loop, scored on its trajectory, resumed at its turn") {
    TempDir dir;
    std::string data;
    for (int i = 0; i < 6; ++i) {
        std::string n = std::to_string(i);
        data += "{\"id\": \"w" + n + "\", \"difficulty\": 0, \"ticket\": \"Parcel A" + n +
                " is late\", \"order\": \"A" + n + "\", \"calls\": [[{\"name\": \"lookup\", \"arguments\": {\"id\": \"A" +
                n + "\"}}], [{\"name\": \"notify\", \"arguments\": {\"id\": \"A" + n +
                "\"}}]], \"reply\": \"A" + n + " is in Leeds; we told the courier.\"}\n";
    }
    dir.write("tasks/data.jsonl", data);
    dir.write("tasks/flow.toml",
              "name = \"flow-agent\"\ntype = \"chat\"\ndataset = \"data.jsonl\"\nfinal_step = \"act\"\n"
              "[agent]\nmax_turns = 5\n"
              "[[tools]]\nname = \"lookup\"\nparameters = { type = \"object\", properties = { id = { type = \"string\" } }, "
              "required = [\"id\"] }\ndefault = { result = \"in Leeds\" }\n"
              "[[tools]]\nname = \"notify\"\nparameters = { type = \"object\" }\ncommand = [\"cat\"]\n"
              "[[tools]]\nname = \"unused\"\nparameters = { type = \"object\" }\nerror = \"never offered\"\n"
              "[[steps]]\nid = \"extract\"\ntype = \"extract\"\nreference = \"order\"\n"
              "[steps.prompt]\nuser = \"[STEP extract] {{ticket}}\"\n"
              "[[steps]]\nid = \"act\"\ntype = \"agent\"\ntools = [\"lookup\", \"notify\"]\ntrajectory = \"calls\"\n"
              "reference = \"reply\"\n[steps.prompt]\nuser = \"[STEP act] Order {{steps.extract.output}}: {{ticket}}\"\n"
              "[[steps.evaluators]]\nkind = \"tool_sequence\"\ncalls = \"{{calls}}\"\norder = \"exact\"\n"
              "[[evaluators]]\nkind = \"max_turns\"\nmax = 3\n");
    std::string db = dir.file("w.db");
    auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench", "--suite",
                       dir.file("tasks"), "-t", "sim-frontier", "-t", "policy:default", "--no-cache"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    // the loop's turns are rows of their own, named after the step; the step's row sums them
    CHECK(sql(db, "select count(*) from step_results where step_id like 'act/turn%' and step_type = 'agent_turn' "
                  "and target = 'sim-frontier'") == "18\n");
    CHECK(sql(db, "select count(*) from step_results s where step_id = 'act' and target = 'sim-frontier' and "
                  "status = 'scored' and passed = 1 and abs(cost_usd - (select sum(cost_usd) from step_results t "
                  "where t.task_id = s.task_id and t.target = s.target and t.step_id like 'act/turn%')) < 1e-12") ==
          "6\n");
    // only the step's tools were offered, the program tool ran, and its calls name the step
    CHECK(sql(db, "select group_concat(step || '|' || tool || '|' || result, ' ') from (select distinct step, tool, "
                  "result from tool_calls where target = 'sim-frontier' order by tool, result)") ==
          "act|lookup|in Leeds act|notify|{\"id\":\"A0\"} act|notify|{\"id\":\"A1\"} act|notify|{\"id\":\"A2\"} "
          "act|notify|{\"id\":\"A3\"} act|notify|{\"id\":\"A4\"} act|notify|{\"id\":\"A5\"}\n");
    // the suite's own evaluators read the final step's trajectory
    CHECK(sql(db, "select count(*) from results where target = 'sim-frontier' and passed = 1 and evaluations like "
                  "'%answered in 3 turns%'") == "6\n");
    // the loop starts when the step's input is in, and ends the workflow
    CHECK(sql(db, "select count(*) from step_results a join step_results e using (task_id, target) where a.step_id = "
                  "'act/turn1' and e.step_id = 'extract' and a.start_ms >= e.end_ms") == "12\n");
    CHECK(sql(db, "select count(*) from results r join step_results a using (task_id, target) where a.step_id = 'act' "
                  "and abs(r.latency_ms - a.end_ms) < 0.01") == "12\n");
    // under the policy each turn is routed by its tags: planned by the frontier model, followed up by sim-mid
    CHECK(sql(db, "select step_id, model from step_results where target = 'policy:default' and task_id = 'w0' and "
                  "step_id like 'act/%' order by step_id") == "act/turn1|sim-frontier\nact/turn2|sim-mid\nact/turn3|sim-mid\n");
    // the workflow's report shows its steps, not the turns
    auto rep = run_orch({"--db", db, "report", "--format", "json"});
    auto j = nlohmann::json::parse(rep.out);
    std::set<std::string> steps;
    for (const auto& w : j["runs"][0]["workflows"]) {
        for (const auto& s : w["steps"]) {
            steps.insert(s["step"].get<std::string>());
        }
    }
    CHECK(steps == std::set<std::string>{"act", "extract"});

    // As if killed during three tasks' last turns: their results, their agent step's rows and last turns gone.
    // The resume replays the turns recorded and calls only the last ones again.
    std::string lost = sql(db, "select printf('%.4f', sum(cost_usd)) from step_results where target = 'sim-frontier' "
                               "and task_id in ('w0', 'w1', 'w2') and step_id = 'act/turn3'");
    sql(db, "delete from results where target = 'sim-frontier' and task_id in ('w0', 'w1', 'w2'); delete from "
            "step_results where target = 'sim-frontier' and task_id in ('w0', 'w1', 'w2') and step_id in ('act', "
            "'act/turn3')");
    auto resumed = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench", "--suite",
                             dir.file("tasks"), "-t", "sim-frontier", "-t", "policy:default", "--no-cache", "--resume",
                             "1"});
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("3 results written") != std::string::npos);
    CHECK(resumed.err.find("spent $" + lost.substr(0, lost.size() - 1)) != std::string::npos);
    CHECK(sql(db, "select count(*) from results where target = 'sim-frontier' and passed = 1") == "6\n");
    CHECK(sql(db, "select count(*) from step_results where target = 'sim-frontier' and step_id like 'act/turn%'") ==
          "18\n");

    // An unknown tool named by a step, and a trajectory on a step without tools: located.
    dir.write("tasks/flow.toml", orch::test::read_text(dir.file("tasks/flow.toml")).replace(
                                     orch::test::read_text(dir.file("tasks/flow.toml")).find("\"notify\"]"), 10,
                                     "\"nofity\"]\n"));
    auto bad = run_orch({"--providers", orch::test::source_path("providers.toml"), "tasks", "validate", dir.file("tasks")});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("steps[1].tools: no tool \"nofity\" in the suite's [[tools]] (lookup, notify, unused)") !=
          std::string::npos);
}

TEST_CASE("cli::tasks validate: a trajectory evaluator where no agent loop runs is located") {
    TempDir dir;
    dir.write("tasks/data.jsonl", "{\"id\": \"a\", \"q\": \"x\"}\n");
    dir.write("tasks/plain.toml", "name = \"plain\"\ntype = \"chat\"\ndataset = \"data.jsonl\"\n"
                                  "[prompt]\nuser = \"{{q}}\"\n"
                                  "[[evaluators]]\nkind = \"tool_called\"\nname = \"lookup\"\n");
    dir.write("tasks/flow.toml", "name = \"flow\"\ntype = \"chat\"\ndataset = \"data.jsonl\"\n"
                                 "[[steps]]\nid = \"s\"\n[steps.prompt]\nuser = \"{{q}}\"\n"
                                 "[[steps.evaluators]]\nkind = \"max_turns\"\nmax = 2\n"
                                 "[[evaluators]]\nkind = \"length\"\nmin_chars = 1\n");
    auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "tasks", "validate", dir.file("tasks")});
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("plain.toml:6:1: evaluators[0].kind: tool_called reads an agent's calls, but this suite runs no "
                     "agent loop (give it [[tools]])") != std::string::npos);
    CHECK(r.err.find("flow.toml:8:1: steps[0].evaluators[0].kind: max_turns reads an agent's calls, but step s runs "
                     "no agent loop") != std::string::npos);
}
