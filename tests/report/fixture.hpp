#pragma once
// A small deterministic results database for report tests: fixed numbers, fixed timestamps,
// and every kind of result a report must render (pass, fail with reasons, provider error,
// unscored, cached, a policy target with routes, output full of markup).
#include <orch/store/store.hpp>

#include <string>
#include <vector>

namespace orch::test {

inline store::ResultRow fixture_row(std::int64_t run, const std::string& target,
                                    const std::string& suite, const std::string& task, double score,
                                    double cost, double latency) {
    store::ResultRow r;
    r.run_id = run;
    r.suite = suite;
    r.suite_hash = suite == "triage" ? "1111aaaa" : "2222bbbb";
    r.task_id = task;
    r.task_type = suite == "triage" ? "classify" : "extract";
    r.target = target;
    r.model = target;
    r.status = "scored";
    r.score = score;
    r.threshold = 1;
    r.passed = score >= 1;
    r.input_tokens = 100;
    r.output_tokens = 20;
    r.cost_usd = cost;
    r.latency_ms = latency;
    r.ttft_ms = latency / 4;
    r.output = score >= 1 ? "billing" : "account";
    r.evaluations = nlohmann::json::array(
        {{{"kind", "equals"},
          {"ok", true},
          {"reason", score >= 1 ? "matches \"billing\"" : "expected \"billing\", got \"account\""},
          {"score", score},
          {"weight", 1.0}}});
    r.simulated = true;
    return r;
}

// Writes runs 1 and 2 to a new database at path and returns nothing; both runs are simulated.
// Run 1: targets model-a (strong), model-b (cheap), policy-p (a policy routing to both).
// Run 2: model-a and model-b again, model-b a little worse.
inline void write_fixture_db(const std::string& path) {
    store::Store s(path);
    store::RunInfo run;
    run.started_at = "2026-11-20T10:00:00Z";
    run.status = "completed";
    run.command = "orch bench --seed 7";
    run.orch_version = "0.1.0";
    run.git_rev = "abc1234";
    run.providers_hash = "f00dfeed";
    run.seed = 7;
    run.repeats = 1;
    run.targets = {"model-a", "model-b", "policy-p"};
    run.suites = {{"extract", "2222bbbb"}, {"triage", "1111aaaa"}};
    run.simulated = true;
    auto id1 = s.create_run(run);

    std::vector<store::ResultRow> rows;
    // model-a: strong and dear.
    rows.push_back(fixture_row(id1, "model-a", "triage", "t1", 1.0, 0.0012, 900));
    rows.push_back(fixture_row(id1, "model-a", "triage", "t2", 1.0, 0.0010, 1100));
    rows.push_back(fixture_row(id1, "model-a", "triage", "t3", 1.0, 0.0011, 1000));
    rows.push_back(fixture_row(id1, "model-a", "extract", "e1", 1.0, 0.0030, 2000));
    rows.push_back(fixture_row(id1, "model-a", "extract", "e2", 0.75, 0.0028, 2400));
    rows.back().output = "{\"company\": \"Acme & Sons\", \"seats\": 40}";
    rows.back().evaluations = nlohmann::json::array({{{"kind", "json_path"},
                                                      {"ok", true},
                                                      {"reason", "$.seats: expected 45, got 40"},
                                                      {"score", 0.5},
                                                      {"weight", 1.0}},
                                                     {{"kind", "is_json"},
                                                      {"ok", true},
                                                      {"reason", "valid JSON"},
                                                      {"score", 1.0},
                                                      {"weight", 1.0}}});
    rows.back().judge_cost_usd = 0.0004;
    // model-b: cheap, weaker, one provider error, one cached answer, one hostile output.
    rows.push_back(fixture_row(id1, "model-b", "triage", "t1", 1.0, 0.0001, 300));
    rows.back().cached = true;
    rows.push_back(fixture_row(id1, "model-b", "triage", "t2", 0.0, 0.0001, 350));
    rows.back().output =
        "<script>alert(1)</script> <b onclick=\"x()\">bold</b> & 'quoted' | pipe, comma\nline 2";
    rows.back().evaluations[0]["reason"] = "expected \"billing\", got <script>alert(1)</script>";
    rows.push_back(fixture_row(id1, "model-b", "triage", "t3", 1.0, 0.0001, 250));
    rows.push_back(fixture_row(id1, "model-b", "extract", "e1", 0.5, 0.0003, 600));
    rows.back().output = "café — naïve output";
    rows.back().evaluations[0]["reason"] = "$.company: expected \"Acme\", got \"Acme Ltd\"";
    {
        auto e = fixture_row(id1, "model-b", "extract", "e2", 0, 0, 30000);
        e.status = "error";
        e.score.reset();
        e.passed.reset();
        e.ttft_ms.reset();
        e.output.clear();
        e.input_tokens = 0;
        e.output_tokens = 0;
        e.evaluations = nlohmann::json::array();
        e.error_kind = "timeout";
        e.error = "no answer within 30s";
        e.retries = 2;
        rows.push_back(e);
    }
    // policy-p: routes classify to model-b, extract to model-a; one unscored result.
    for (auto r : {fixture_row(id1, "policy-p", "triage", "t1", 1.0, 0.0001, 320),
                   fixture_row(id1, "policy-p", "triage", "t2", 1.0, 0.0001, 340),
                   fixture_row(id1, "policy-p", "triage", "t3", 1.0, 0.0001, 260),
                   fixture_row(id1, "policy-p", "extract", "e1", 1.0, 0.0030, 2100)}) {
        bool triage = r.suite == "triage";
        r.model = triage ? "model-b" : "model-a";
        r.route = {{"policy", "p"},
                   {"rule", triage ? "classify-cheap" : "extract-strong"},
                   {"chain", nlohmann::json::array({r.model})}};
        rows.push_back(r);
    }
    {
        auto u = fixture_row(id1, "policy-p", "extract", "e2", 0, 0.0029, 2300);
        u.status = "unscored";
        u.score.reset();
        u.passed.reset();
        u.model = "model-a";
        u.route = {{"policy", "p"}, {"rule", "extract-strong"}, {"chain", {"model-a"}}};
        u.evaluations = nlohmann::json::array({{{"kind", "judge_rubric"},
                                                {"ok", false},
                                                {"reason", "judge unreachable"},
                                                {"weight", 1.0}}});
        u.output = "{\"company\": \"Acme\"}";
        rows.push_back(u);
    }
    s.add_results(rows);

    run.started_at = "2026-11-21T10:00:00Z";
    run.command = "orch bench --seed 8";
    run.targets = {"model-a", "model-b"};
    auto id2 = s.create_run(run);
    rows.clear();
    rows.push_back(fixture_row(id2, "model-a", "triage", "t1", 1.0, 0.0012, 950));
    rows.push_back(fixture_row(id2, "model-a", "triage", "t2", 1.0, 0.0010, 1050));
    rows.push_back(fixture_row(id2, "model-b", "triage", "t1", 0.0, 0.0001, 310));
    rows.push_back(fixture_row(id2, "model-b", "triage", "t2", 0.0, 0.0001, 330));
    s.add_results(rows);
}

} // namespace orch::test
