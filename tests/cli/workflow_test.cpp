// Workflow suites ([[steps]]) through the built binary: located validation errors, steps run as
// a DAG (parallel branches from the recorded offsets), a row per step, failure propagation.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <doctest/doctest.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

using orch::test::run_orch;
using orch::test::sql;
using orch::test::TempDir;

namespace {

std::vector<std::string> bench(const std::string& db, const std::string& suites, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench",
                                     "--suite", orch::test::source_path(suites)};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

} // namespace

TEST_CASE("cli::bench workflow: every graph problem at once, located, nothing written") {
    TempDir dir;
    std::string db = dir.file("bad.db");
    auto r = run_orch(bench(db, "tests/data/workflow/bad", {"-t", "sim-small"}));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("broken.toml:22:1: steps[3].prompt: missing") != std::string::npos);
    CHECK(r.err.find("broken.toml:16:1: steps[2].id: duplicate step id \"b\"") != std::string::npos);
    CHECK(r.err.find("broken.toml:9:8: steps[0].prompt.user: {{steps.c.output}} names no step") != std::string::npos);
    CHECK(r.err.find("broken.toml:18:9: steps[2].needs: no step \"nowhere\"") != std::string::npos);
    CHECK(r.err.find("a cycle: a → b → a") != std::string::npos);
    CHECK(r.err.find("(5 problems)") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
    // tasks validate checks the same before anything is called
    auto v = run_orch({"--providers", orch::test::source_path("providers.toml"), "tasks", "validate",
                       orch::test::source_path("tests/data/workflow/bad")});
    CHECK(v.exit_code == 2);
}

TEST_CASE("cli::bench workflow: steps as a DAG, a row each, failures skip what depends on them") {
    TempDir dir;
    std::string db = dir.file("w.db");
    auto r = run_orch(bench(db, "tests/data/workflow/tasks", {"-t", "sim-small", "-t", "policy:default"}));
    REQUIRE(r.exit_code == 0);
    CHECK(sql(db, "select count(*) from results") == "24\n");
    CHECK(sql(db, "select count(*) from step_results") == "96\n");
    // classify and brief both need only extract: they start together, when extract ends
    CHECK(sql(db, "select count(*) from step_results c join step_results b using (run_id, task_id, target, repeat) "
                  "join step_results e using (run_id, task_id, target, repeat) where c.step_id = 'classify' and "
                  "b.step_id = 'brief' and e.step_id = 'extract' and abs(c.start_ms - b.start_ms) < 50 and "
                  "c.start_ms >= e.end_ms and c.status != 'skipped'") == "24\n");
    // end to end is the critical path, shorter than the steps one after another
    CHECK(sql(db, "select count(*) from results where status = 'scored' and latency_ms < sequential_ms") == "23\n");
    // the critical path is the latest step's end
    CHECK(sql(db, "select count(*) from results r where abs(r.latency_ms - (select max(end_ms) from step_results s "
                  "where s.task_id = r.task_id and s.target = r.target and s.status != 'skipped')) > 0.01") == "0\n");
    // l5's brief exceeds the small model's context: it fails, explain is skipped, the task is an error
    CHECK(sql(db, "select step_id, status, error_kind from step_results where task_id = 'l5' and target = "
                  "'sim-small' order by step_id") ==
          "brief|error|context_length\nclassify|scored|\nexplain|skipped|upstream\nextract|scored|\n");
    CHECK(sql(db, "select status, failed_step from results where task_id = 'l5' and target = 'sim-small'") ==
          "error|brief\n");
    // under the policy each step is routed by its own type: classify goes to the small model
    CHECK(sql(db, "select distinct model from step_results where target = 'policy:default' and step_id = "
                  "'classify'") == "sim-small\n");
    CHECK(sql(db, "select count(*) from results where target = 'policy:default' and route like '%\"classify\"%'") ==
          "12\n");
}

TEST_CASE("cli::report workflow: per-step table, where failures began, a timeline, per-step route changes") {
    TempDir dir;
    std::string db = dir.file("w.db");
    REQUIRE(run_orch(bench(db, "tests/data/workflow/tasks", {"-t", "sim-small"})).exit_code == 0);
    REQUIRE(run_orch(bench(db, "tests/data/workflow/tasks", {"-t", "policy:default"})).exit_code == 0);
    std::vector<std::string> base = {"--db", db};
    auto args = [&](std::vector<std::string> more) {
        auto a = base;
        a.insert(a.end(), more.begin(), more.end());
        return a;
    };
    // The table: one section per workflow under each target, a row per step in the order they ran.
    auto table = run_orch(args({"report", "1"}));
    REQUIRE(table.exit_code == 0);
    auto section = table.out.find("Workflow lead-flow under sim-small: 12 tasks, ");
    REQUIRE(section != std::string::npos);
    auto extract = table.out.find("  extract ", section);
    auto classify = table.out.find("  classify ", section);
    auto explain = table.out.find("  explain ", section);
    CHECK(extract < classify);
    CHECK(classify < explain);
    CHECK(table.out.find("sim-small 12", section) != std::string::npos);

    // JSON: the failed tasks are each attributed to the step where their failure began.
    auto json = run_orch(args({"report", "1", "--json"}));
    REQUIRE(json.exit_code == 0);
    auto j = nlohmann::json::parse(json.out);
    const auto& wf = j["runs"][0]["workflows"][0];
    CHECK(wf["suite"] == "lead-flow");
    CHECK(wf["tasks"] == 12);
    std::int64_t began = 0;
    for (const auto& s : wf["steps"]) {
        began += s["failures_began"].get<std::int64_t>();
    }
    CHECK(began == wf["failed"].get<std::int64_t>());
    CHECK(std::to_string(began) + "\n" == sql(db, "select count(*) from results where run_id = 1 and not coalesce(passed, 0)"));
    // l5's brief overflowed sim-small's context: its failure began at brief, and explain was skipped
    for (const auto& s : wf["steps"]) {
        if (s["step"] == "brief") {
            CHECK(s["errors"] == 1);
        }
        if (s["step"] == "explain") {
            CHECK(s["skipped"] == 1);
        }
    }
    CHECK(wf["latency_p50_ms"].get<double>() < wf["sequential_p50_ms"].get<double>());

    // HTML: the per-step table and one task's timeline, a bar per step, classify beside brief.
    std::string html = dir.file("r.html");
    REQUIRE(run_orch(args({"report", "1", "-o", html})).exit_code == 0);
    std::string page = orch::test::read_text(html);
    CHECK(page.find("<h3>Workflow lead-flow under sim-small</h3>") != std::string::npos);
    std::size_t bars = 0;
    for (auto at = page.find("class=\"step-bar\""); at != std::string::npos; at = page.find("class=\"step-bar\"", at + 1)) {
        ++bars;
    }
    CHECK(bars == 4);
    CHECK(page.find("Timeline of lead-flow/") != std::string::npos);

    // diff: which model each step moved to between the single-model baseline and the policy
    auto diff = run_orch(args({"diff", "1", "2", "--json"}));
    REQUIRE(diff.exit_code <= 1);
    auto d = nlohmann::json::parse(diff.out);
    bool saw_extract = false;
    for (const auto& s : d["comparisons"][0]["steps"]) {
        if (s["step"] == "classify") {
            CHECK(s["route_changes"] == 0); // the policy sends classify to sim-small too
        }
        if (s["step"] == "extract") {
            saw_extract = true;
            CHECK(s["paired"] == 12);
            CHECK(s["route_changes"] == 12);
            CHECK(s["moves"]["sim-small → sim-frontier"] == 12);
        }
    }
    CHECK(saw_extract);

    // A step's scored answers are evidence of its model on the step's type, for `cheapest` rules;
    // the workflow's own end-to-end score is not any one model's.
    auto why = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "route",
                             "--explain", "--type", "extract", "--json", "Extract the company"});
    REQUIRE(why.exit_code == 0);
    std::map<std::string, std::int64_t> evidence;
    auto decision = nlohmann::json::parse(why.out);
    for (const auto& c : decision["candidates"]) {
        evidence[c["model"].get<std::string>()] = c["n"].get<std::int64_t>();
    }
    CHECK(evidence["sim-small"] == 12); // lead-flow's 12 extract steps under sim-small
    // and the 12 the policy sent to sim-frontier: its workflow results, which name no one model,
    // give no evidence; only its steps do
    CHECK(evidence["sim-frontier"] == 12);
    CHECK(sql(db, "select count(*) from step_results where model = 'sim-small' and step_type = 'extract' and "
                  "status = 'scored'") == "12\n");
    auto diff_table = run_orch(args({"diff", "1", "2"}));
    CHECK(diff_table.out.find("lead-flow/extract: 12 paired, 12 routed differently (sim-small → sim-frontier 12)") !=
          std::string::npos);
}

TEST_CASE("cli::bench workflow: the latency evaluator reads the critical path, not one step") {
    TempDir dir;
    dir.write("tasks/data.jsonl", "{\"id\": \"a\", \"text\": \"one\"}\n{\"id\": \"b\", \"text\": \"two\"}\n");
    dir.write("tasks/flow.toml", "name = \"timed\"\ntype = \"summarize\"\ndataset = \"data.jsonl\"\n"
                                 "[[steps]]\nid = \"first\"\n[steps.prompt]\nuser = \"{{text}}\"\n"
                                 "[[steps]]\nid = \"second\"\n[steps.prompt]\nuser = \"{{steps.first.output}}\"\n"
                                 "[[evaluators]]\nkind = \"latency\"\nmax_ms = 1000000\n");
    std::string db = dir.file("t.db");
    std::vector<std::string> a = {"--providers", orch::test::source_path("providers.toml"), "--db", db, "bench",
                                  "--suite", dir.file("tasks"), "-t", "sim-mid"};
    REQUIRE(run_orch(a).exit_code == 0);
    CHECK(sql(db, "select count(*) from results where status = 'scored' and passed = 1") == "2\n");
    // the evaluator saw the critical path (both steps), so a bound below it fails every task
    dir.write("tasks/flow.toml", "name = \"timed\"\ntype = \"summarize\"\ndataset = \"data.jsonl\"\n"
                                 "[[steps]]\nid = \"first\"\n[steps.prompt]\nuser = \"{{text}}\"\n"
                                 "[[steps]]\nid = \"second\"\n[steps.prompt]\nuser = \"{{steps.first.output}}\"\n"
                                 "[[evaluators]]\nkind = \"latency\"\nmax_ms = 1\n");
    std::string db2 = dir.file("t2.db");
    a[3] = db2;
    REQUIRE(run_orch(a).exit_code == 0);
    CHECK(sql(db2, "select count(*) from results where status = 'scored' and passed = 0") == "2\n");
    // and the row's latency is at least each step's
    CHECK(sql(db2, "select count(*) from results r where r.latency_ms + 0.01 < (select max(latency_ms) from "
                   "step_results s where s.task_id = r.task_id)") == "0\n");
}

TEST_CASE("cli::route --workflow: one instance through the policy, the final output, --json the trace") {
    TempDir dir;
    std::string db = dir.file("r.db");
    std::string suite = orch::test::source_path("tests/data/workflow/tasks/lead.toml");
    std::vector<std::string> base = {"--providers", orch::test::source_path("providers.toml"), "--db", db, "route",
                                     "--workflow", suite};
    auto with = [&](std::vector<std::string> more) {
        auto a = base;
        a.insert(a.end(), more.begin(), more.end());
        return a;
    };
    auto r = run_orch(with({"--var", "email=Hi from Zeta Corp, we need 40 more seats"}));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Zeta Corp") != std::string::npos); // the final step's output, built on the inputs
    CHECK(r.err.find("request_id: req_") != std::string::npos);
    // each routed step is in the route log, under the request id
    CHECK(sql(db, "select count(*) from route_log") == "4\n");
    CHECK(sql(db, "select rule from route_log where request_id like '%/classify'") == "triage\n");

    // JSON on stdin, and the trace: a step per suite step, routed by its own type, in time order
    auto j = run_orch(with({"--json"}), "", "{\"email\": \"Hi from Zeta, 40 seats\"}");
    REQUIRE(j.exit_code == 0);
    auto t = nlohmann::json::parse(j.out);
    CHECK(t["outcome"] == "ok");
    CHECK(t["final_step"] == "explain");
    REQUIRE(t["steps"].size() == 4);
    CHECK(t["steps"][1]["id"] == "classify");
    CHECK(t["steps"][1]["model"] == "sim-small");
    CHECK(t["steps"][1]["rule"] == "triage");
    CHECK(t["steps"][1]["start_ms"].get<double>() >= t["steps"][0]["end_ms"].get<double>() - 0.01);
    // classify and brief ran side by side: the end to end latency is below the sum
    CHECK(t["latency_ms"].get<double>() < t["sequential_ms"].get<double>());

    // bad input: a missing input, a malformed --var, not a workflow, --var without --workflow
    auto missing = run_orch(with({"--var", "foo=1"}));
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("--var: steps[0].prompt: template variable {{email}} is not in this row") !=
          std::string::npos);
    auto malformed = run_orch(with({"--var", "email"}));
    CHECK(malformed.exit_code == 2);
    CHECK(malformed.err.find("--var email: expected NAME=VALUE") != std::string::npos);
    auto plain = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "route", "--workflow",
                           orch::test::source_path("tasks/support_triage.toml"), "--var", "ticket=x"});
    CHECK(plain.exit_code == 2);
    CHECK(plain.err.find("not a workflow: it has no [[steps]]") != std::string::npos);
    auto stray = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "route", "--var",
                           "a=b", "hello"});
    CHECK(stray.exit_code == 2);
    CHECK(stray.err.find("--var gives a workflow's inputs") != std::string::npos);
    dir.write("pinned/data.jsonl", "{\"id\": \"a\", \"text\": \"one\"}\n");
    std::string pinned = dir.write("pinned/flow.toml", "name = \"p\"\ntype = \"summarize\"\ndataset = \"data.jsonl\"\n"
                                                       "[[steps]]\nid = \"s\"\nmodel = \"nope\"\n[steps.prompt]\n"
                                                       "user = \"{{text}}\"\n[[evaluators]]\nkind = \"length\"\n"
                                                       "min_chars = 1\n");
    auto unknown = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "route",
                             "--workflow", pinned, "--var", "text=x"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("flow.toml:6:9: steps[0].model: no model named \"nope\"") != std::string::npos);
    // A step that fails after every fallback skips what needs it; no final output is exit 3,
    // and the trace still says which step failed and why.
    std::string overflow = dir.write("overflow/flow.toml",
                                     "name = \"o\"\ntype = \"summarize\"\ndataset = \"data.jsonl\"\n"
                                     "[[steps]]\nid = \"first\"\nmodel = \"sim-small\"\n[steps.prompt]\n"
                                     "user = \"{{text}}\"\n[[steps]]\nid = \"second\"\n[steps.prompt]\n"
                                     "user = \"{{steps.first.output}}\"\n[[evaluators]]\nkind = \"length\"\n"
                                     "min_chars = 1\n");
    dir.write("overflow/data.jsonl", "{\"id\": \"a\", \"text\": \"one\"}\n");
    std::string words;
    for (int i = 0; i < 40000; ++i) {
        words += "word ";
    }
    auto failed = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db, "route",
                            "--workflow", overflow, "--json"},
                           "", nlohmann::json{{"text", words}}.dump());
    CHECK(failed.exit_code == 3);
    CHECK(failed.err.find("final step second: skipped (upstream step first failed)") != std::string::npos);
    auto trace = nlohmann::json::parse(failed.out);
    CHECK(trace["outcome"] == "error");
    CHECK(trace["steps"][0]["status"] == "error");
    CHECK(trace["steps"][1]["status"] == "skipped");
    auto bad_json = run_orch(with({}), "", "[1, 2]");
    CHECK(bad_json.exit_code == 2);
    CHECK(bad_json.err.find("stdin: expected a JSON object of the workflow's inputs, got array") != std::string::npos);
    CHECK(sql(db, "select count(*) from route_log") == "8\n"); // nothing routed for the bad inputs
}

TEST_CASE("crash::a workflow run killed with SIGKILL resumes at the step: no completed step is called again") {
    TempDir dir;
    std::string rows;
    for (int i = 0; i < 24; ++i) {
        rows += "{\"id\": \"t" + std::to_string(i) + "\", \"tag\": \"t" + std::to_string(i) + "\", \"text\": \"ticket " +
                std::to_string(i) + "\"}\n";
    }
    dir.write("tasks/data.jsonl", rows);
    // A chain a → b → c; each step's request starts with its own marker, so the server's log
    // tells which step of which task every call was.
    dir.write("tasks/chain.toml", "name = \"chain\"\ntype = \"summarize\"\ndataset = \"data.jsonl\"\n"
                                  "[[steps]]\nid = \"a\"\n[steps.prompt]\nuser = \"[STEP a] [TASK {{tag}}] {{text}}\"\n"
                                  "[[steps]]\nid = \"b\"\n[steps.prompt]\nuser = \"[STEP b] [TASK {{tag}}] {{steps.a.output}}\"\n"
                                  "[[steps]]\nid = \"c\"\n[steps.prompt]\nuser = \"[STEP c] [TASK {{tag}}] {{steps.b.output}}\"\n"
                                  "[[evaluators]]\nkind = \"length\"\nmin_chars = 1\n");
    std::string fleet = dir.write("fleet.toml", orch::test::read_text(orch::test::source_path("providers.toml")));
    std::string log = dir.file("server.jsonl");
    orch::test::SimServerProcess server(fleet, {"--fixed-latency-ms", "250", "--log", log});
    std::string providers = dir.write("providers.toml", orch::test::http_fleet_providers("openai", server.base_url()));
    std::string db = dir.file("chain.db");
    std::string command = orch::test::shell_quote(ORCH_BINARY) + " --providers " +
                          orch::test::shell_quote(providers) + " --db " + orch::test::shell_quote(db) +
                          " bench --suite " + orch::test::shell_quote(dir.file("tasks")) +
                          " -t sim-small -j 4 --no-cache";
    // Killed once 8 steps are recorded: about when the first tasks' a and b are in and their c in flight.
    orch::test::kill_after_steps(command, dir.file("first.log"), db, 8);
    std::string before = sql(db, "select task_id || '/' || step_id from step_results order by 1");
    // some of what was recorded belongs to tasks that had not finished: the resume must pick them up mid-way
    CHECK(sql(db, "select count(*) > 0 from step_results s where not exists (select 1 from results r where "
                  "r.task_id = s.task_id)") == "1\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(400)); // the calls in flight reach the log
    auto resumed = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks"), "-t",
                             "sim-small", "-j", "4", "--no-cache", "--resume", "1"});
    REQUIRE(resumed.exit_code == 0);
    CHECK(sql(db, "select count(*), count(distinct task_id || step_id) from step_results") == "72|72\n");
    CHECK(sql(db, "select count(*) from results where status = 'scored'") == "24\n");

    // At the wire: count the calls for each task's step (its own marker is the first in the body).
    std::map<std::string, int> calls;
    for (const auto& entry : orch::test::request_log(log)) {
        std::string body = entry["body"].get<std::string>();
        auto at = body.find("[STEP ");
        if (at == std::string::npos) {
            continue;
        }
        std::string step = body.substr(at + 6, 1);
        auto task_at = body.find("[TASK ", at);
        std::string task = body.substr(task_at + 6, body.find(']', task_at) - task_at - 6);
        calls[task + "/" + step]++;
    }
    CHECK(calls.size() == 72); // every step of every task was called
    std::istringstream recorded(before);
    std::string key;
    int checked = 0;
    while (std::getline(recorded, key)) {
        INFO(key);
        CHECK(calls[key] == 1); // recorded before the kill: never called again
        ++checked;
    }
    CHECK(checked >= 8);
    int repeated = 0;
    for (const auto& [k, n] : calls) {
        repeated += n > 1 ? 1 : 0;
    }
    CHECK(repeated <= 4); // only calls in flight at the kill (-j 4) may have been made twice
}

TEST_CASE("cli::tasks validate: a step evaluator's unknown parameter is reported once at its line, not per row") {
    TempDir dir;
    dir.write("tasks/data.jsonl", "{\"id\": \"a\", \"text\": \"one\"}\n{\"id\": \"b\", \"text\": \"two\"}\n"
                                  "{\"id\": \"c\", \"text\": \"three\"}\n");
    dir.write("tasks/flow.toml", "name = \"f\"\ntype = \"summarize\"\ndataset = \"data.jsonl\"\n"
                                 "[[steps]]\nid = \"s\"\n[steps.prompt]\nuser = \"{{text}}\"\n"
                                 "[[steps.evaluators]]\nkind = \"must_preserve\"\nfacts = [\"{{text}}\"]\n"
                                 "threshold = 1.0\n[[evaluators]]\nkind = \"length\"\nmin_chars = 1\n");
    auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "tasks", "validate",
                       dir.file("tasks")});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("flow.toml:8:1: steps[0].evaluators[0]: must_preserve: unknown parameter \"threshold\"") !=
          std::string::npos);
    CHECK(r.err.find("data.jsonl") == std::string::npos); // not once per row
}

TEST_CASE("cli::bench workflow: a step pinned to a real model makes a policy run not simulated") {
    TempDir dir;
    std::string providers = dir.write("providers.toml",
                                      orch::test::read_text(orch::test::source_path("providers.toml")) +
                                          "\n[providers.echo]\nprotocol = \"command\"\ncommand = [\"cat\"]\n\n"
                                          "[models.echo]\nprovider = \"echo\"\nid = \"echo\"\ninput_per_mtok = 0\n"
                                          "output_per_mtok = 0\ncontext_window = 8192\n");
    dir.write("tasks/data.jsonl", "{\"id\": \"a\", \"text\": \"one\"}\n");
    dir.write("tasks/flow.toml", "name = \"e\"\ntype = \"summarize\"\ndataset = \"data.jsonl\"\n[[steps]]\nid = \"s\"\n"
                                 "model = \"echo\"\n[steps.prompt]\nuser = \"{{text}}\"\n[[evaluators]]\n"
                                 "kind = \"length\"\nmin_chars = 1\n");
    std::string db = dir.file("e.db");
    auto r = run_orch({"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks"), "-t",
                       "policy:default"});
    REQUIRE(r.exit_code == 0);
    CHECK(sql(db, "select simulated from runs") == "0\n"); // the step's call went to a real process
    CHECK(r.out.find("SIMULATED") == std::string::npos);
    CHECK(sql(db, "select model from step_results") == "echo\n");
}
