#include "support/process.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <orch/core/error.hpp>
#include <orch/store/store.hpp>

using orch::test::TempDir;

namespace {
orch::store::ResultRow row(std::int64_t run, const std::string& task, double score) {
    orch::store::ResultRow r;
    r.run_id = run;
    r.suite = "s";
    r.suite_hash = "h";
    r.task_id = task;
    r.task_type = "classify";
    r.target = "m";
    r.model = "m";
    r.status = "scored";
    r.score = score;
    r.passed = score >= 1;
    r.cost_usd = 0.001;
    r.latency_ms = 100;
    r.evaluations = nlohmann::json::array({{{"kind", "equals"}, {"score", score}}});
    return r;
}
} // namespace

TEST_CASE("store::Store") {
    TempDir dir;
    std::string path = dir.file("orch.db");
    SUBCASE("creates the schema at the current version") {
        orch::store::Store s(path);
        CHECK(s.schema_version() == orch::store::k_schema_version);
    }
    SUBCASE("records a run and its results, streaming them back") {
        orch::store::Store s(path);
        orch::store::RunInfo run;
        run.started_at = "2026-11-23T00:00:00Z";
        run.command = "orch bench";
        run.orch_version = "0.1.0";
        run.providers_hash = "abc";
        run.suites = {{"s", "h"}};
        auto id = s.create_run(run);
        s.add_results({row(id, "t1", 1.0), row(id, "t2", 0.0)});
        CHECK(s.count_results(id) == 2);
        std::vector<std::string> ids;
        s.for_each_result(id, [&](const orch::store::ResultRow& r) {
            ids.push_back(r.task_id);
            CHECK(r.evaluations.size() == 1);
        });
        CHECK(ids == std::vector<std::string>{"t1", "t2"});
        CHECK(s.run(id)->suites["s"] == "h");
    }
    SUBCASE("summaries: every row of the run once, in stretches read at once, other runs left out") {
        orch::store::Store s(path);
        auto a = s.create_run(orch::store::RunInfo{});
        auto b = s.create_run(orch::store::RunInfo{});
        // Interleaved runs: run b's rows sit inside run a's stretch of row ids.
        for (int i = 0; i < 50; ++i) {
            s.add_results({row(a, "a" + std::to_string(i), i % 2), row(b, "b" + std::to_string(i), 1)});
        }
        for (std::size_t parts : {1u, 3u, 8u, 200u}) {
            std::vector<std::vector<std::string>> seen(parts);
            s.for_each_result_summary(a, parts, [&](std::size_t part, const orch::store::ResultSummary& r) {
                REQUIRE(part < parts);
                seen[part].emplace_back(r.task_id);
                CHECK(r.target == "m");
                CHECK(r.latency_ms == 100);
                CHECK(r.score == (r.task_id.back() - '0') % 2);
            });
            std::vector<std::string> all;
            for (auto& v : seen) {
                all.insert(all.end(), v.begin(), v.end());
            }
            std::sort(all.begin(), all.end());
            CHECK(all.size() == 50);
            CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
            CHECK(all.front().front() == 'a');
            CHECK(all.back().front() == 'a');
        }
        auto rows = s.results_by_id({999999});
        CHECK(rows.empty());
    }
    SUBCASE("a result already recorded is never duplicated") {
        orch::store::Store s(path);
        orch::store::RunInfo run;
        auto id = s.create_run(run);
        s.add_results({row(id, "t1", 1.0)});
        s.add_results({row(id, "t1", 0.0)});
        CHECK(s.count_results(id) == 1);
        CHECK(s.done_keys(id).count(orch::store::work_key("s", "t1", "m", 0)) == 1);
    }
    SUBCASE("survives reopening: data is on disk") {
        std::int64_t id = 0;
        {
            orch::store::Store s(path);
            id = s.create_run(orch::store::RunInfo{});
            s.add_results({row(id, "t1", 1.0)});
        }
        orch::store::Store s(path);
        CHECK(s.count_results(id) == 1);
    }
    SUBCASE("refuses a file that is not a database") {
        dir.write("junk.db", std::string(4096, 'x'));
        CHECK_THROWS_AS(orch::store::Store(dir.file("junk.db")), orch::Error);
    }
}
