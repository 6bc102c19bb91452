// Every text format of `orch report` rendered from a fixed database and compared byte for
// byte with tests/data/report/ (ORCH_UPDATE_GOLDEN=1 rewrites the files).
#include "report/fixture.hpp"
#include "report/golden.hpp"
#include "report/xml_check.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <orch/core/error.hpp>
#include <orch/report/csv_report.hpp>
#include <orch/report/json_report.hpp>
#include <orch/report/junit.hpp>
#include <orch/report/leaderboard.hpp>
#include <orch/report/markdown.hpp>
#include <sstream>

using orch::test::check_golden;
using orch::test::TempDir;

TEST_CASE("report::golden text formats") {
    TempDir dir;
    std::string db = dir.file("fixture.db");
    orch::test::write_fixture_db(db);
    orch::store::Store store(db);
    auto run1 = orch::report::build_leaderboard(store, 1);
    auto run2 = orch::report::build_leaderboard(store, 2);

    SUBCASE("table") {
        std::ostringstream out;
        orch::report::print_table(run1, out);
        check_golden("run1.table.txt", out.str());
    }
    SUBCASE("markdown") {
        std::ostringstream out;
        orch::report::print_markdown({run1}, out);
        check_golden("run1.md", out.str());
    }
    SUBCASE("json, two runs") {
        std::ostringstream out;
        orch::report::print_json({run1, run2}, out);
        check_golden("runs1-2.json", out.str());
        auto j = nlohmann::json::parse(out.str());
        CHECK(j["schema"] == "orch.report/1");
        CHECK(j["simulated"] == true);
        REQUIRE(j["runs"].size() == 2);
        CHECK(j["runs"][0]["targets"].size() == 3);
        CHECK(j["runs"][0]["by_type"].contains("classify"));
        CHECK(j["runs"][0]["worst"][0]["status"] == "scored");
    }
    SUBCASE("csv, one row per target per run") {
        std::ostringstream out;
        orch::report::print_csv({run1, run2}, out);
        check_golden("runs1-2.csv", out.str());
    }
    SUBCASE("csv, one row per result") {
        std::ostringstream out;
        orch::report::print_csv_per_task(store, {1}, out);
        check_golden("run1.per_task.csv", out.str());
    }
    SUBCASE("junit") {
        std::ostringstream out;
        orch::report::print_junit(store, {run1}, out);
        check_golden("run1.junit.xml", out.str());
    }
}

TEST_CASE("report::leaderboard") {
    TempDir dir;
    std::string db = dir.file("fixture.db");
    orch::test::write_fixture_db(db);
    orch::store::Store store(db);
    auto board = orch::report::build_leaderboard(store, 1);

    SUBCASE("counts errors and unscored apart from scored results") {
        REQUIRE(board.targets.size() == 3);
        const auto& b = *std::find_if(board.targets.begin(), board.targets.end(),
                                      [](const auto& t) { return t.target == "model-b"; });
        CHECK(b.attempted == 5);
        CHECK(b.scored == 4);
        CHECK(b.errors == 1);
        CHECK(b.cache_hits == 1);
        CHECK(b.latency_n == 4); // the error has no latency worth counting
        CHECK(b.quality.mean == doctest::Approx(0.625));
        CHECK(b.pass_rate == doctest::Approx(0.4));
    }
    SUBCASE("splits generation and judging cost") {
        const auto& a = *std::find_if(board.targets.begin(), board.targets.end(),
                                      [](const auto& t) { return t.target == "model-a"; });
        CHECK(a.cost_usd == doctest::Approx(0.0091));
        CHECK(a.judge_cost_usd == doctest::Approx(0.0004));
        CHECK(a.total_cost_usd() == doctest::Approx(0.0095));
    }
    SUBCASE("keeps the worst results, lowest score first, within the limit") {
        auto few = orch::report::build_leaderboard(store, 1, {3, 4000});
        REQUIRE(few.worst.size() == 3);
        CHECK(few.worst[0].score == 0.0);
        CHECK(few.worst[0].status == "scored");
        CHECK(few.worst[1].status == "unscored");
        CHECK(few.worst[2].status == "error");
        auto none = orch::report::build_leaderboard(store, 1, {0, 4000});
        CHECK(none.worst.empty());
    }
    SUBCASE("clips long outputs it keeps") {
        auto clipped = orch::report::build_leaderboard(store, 1, {1, 10});
        REQUIRE(clipped.worst.size() == 1);
        CHECK(clipped.worst[0].output.size() <= 10 + 3);
    }
    SUBCASE("explains results by their evaluators") {
        auto reasons = orch::report::result_reasons(board.worst[0]);
        REQUIRE(reasons.size() == 1);
        CHECK(reasons[0].find("equals: expected") == 0);
    }
    SUBCASE("an unknown run is a usage error") {
        CHECK_THROWS_AS(orch::report::build_leaderboard(store, 99), orch::Error);
    }
}

TEST_CASE("report::junit is well-formed XML") {
    TempDir dir;
    std::string db = dir.file("fixture.db");
    orch::test::write_fixture_db(db);
    orch::store::Store store(db);
    std::ostringstream out;
    orch::report::print_junit(
        store,
        {orch::report::build_leaderboard(store, 1), orch::report::build_leaderboard(store, 2)},
        out);
    std::string xml = out.str();

    SUBCASE("by our own check") {
        CHECK(orch::test::xml_problem(xml) == "");
        CHECK(xml.find("<script>") == std::string::npos);
        CHECK(xml.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
        CHECK(xml.find("message=\"score 0.00 &lt; 1.00\"") != std::string::npos);
        CHECK(xml.find("<error message=\"provider error (timeout)") != std::string::npos);
        CHECK(xml.find("type=\"unscored\"") != std::string::npos);
        CHECK(xml.find("name=\"run 2 / model-b / triage\"") != std::string::npos);
        CHECK(xml.find("<property name=\"simulated\" value=\"true\"/>") != std::string::npos);
    }
    SUBCASE("the checker itself rejects broken XML") {
        CHECK(orch::test::xml_problem("<a><b></a></b>") != "");
        CHECK(orch::test::xml_problem("<a x=\"1 & 2\"/>") != "");
        CHECK(orch::test::xml_problem("<a>1 < 2</a>") != "");
        CHECK(orch::test::xml_problem("<a/><b/>") != "");
        CHECK(orch::test::xml_problem("<a x=\"1\" x=\"2\"/>") != "");
        CHECK(orch::test::xml_problem("<a>&amp;&#39;&#x41;</a>") == "");
    }
    SUBCASE("by xmllint, where installed") {
        if (orch::test::run_shell("command -v xmllint").exit_code != 0) {
            MESSAGE("SKIPPED: xmllint is not installed (Debian package libxml2-utils)");
            return;
        }
        std::string path = dir.write("junit.xml", xml);
        auto r =
            orch::test::run_shell("xmllint --noout " + orch::test::shell_quote(path) + " 2>&1");
        INFO(r.out);
        CHECK(r.exit_code == 0);
    }
    SUBCASE("with control characters and broken UTF-8 in the output") {
        orch::store::Store s2(dir.file("bad.db"));
        auto id = s2.create_run(orch::store::RunInfo{});
        auto row = orch::test::fixture_row(id, "m", "triage", "t1", 0, 0.001, 100);
        row.output = std::string("bell\x07 esc\x1b[31m bad\xff\xfe utf8 \xe2\x82");
        s2.add_results({row});
        std::ostringstream o2;
        orch::report::print_junit(s2, {orch::report::build_leaderboard(s2, id)}, o2);
        CHECK(orch::test::xml_problem(o2.str()) == "");
        if (orch::test::run_shell("command -v xmllint").exit_code == 0) {
            std::string path = dir.write("bad.xml", o2.str());
            CHECK(orch::test::run_shell("xmllint --noout " + orch::test::shell_quote(path))
                      .exit_code == 0);
        }
    }
}
