// The HTML report: self-contained, every value escaped, every chart present.
#include "report/fixture.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <orch/core/error.hpp>
#include <orch/report/charts.hpp>
#include <orch/report/html_report.hpp>
#include <orch/report/pareto.hpp>
#include <sstream>

using orch::test::TempDir;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("report::html") {
    TempDir dir;
    std::string db = dir.file("fixture.db");
    orch::test::write_fixture_db(db);
    orch::store::Store store(db);
    orch::report::LeaderboardOptions options;
    options.worst = 200;
    auto board = orch::report::build_leaderboard(store, 1, options);
    // A target name and a suite name with markup too: nothing from the database is trusted.
    board.run.command = "orch bench <img src=x onerror=alert(2)>";
    orch::report::HtmlOptions html;
    html.curve =
        orch::report::Curve{{0, 0.5, 1}, {{"learned", {0, 0.8, 1}}, {"random", {0, 0.5, 1}}}, std::nullopt};
    std::ostringstream out;
    orch::report::print_html({board}, html, out);
    std::string page = out.str();

    SUBCASE("escapes model output and evaluator reasons everywhere") {
        CHECK(page.find("<script>alert(1)</script>") == std::string::npos);
        CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
        CHECK(page.find("<b onclick") == std::string::npos);
        CHECK(page.find("&lt;b onclick=&quot;x()&quot;&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;") !=
              std::string::npos);
        // The reason of the same result, escaped too.
        CHECK(page.find("got &lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
        CHECK(page.find("<img src=x") == std::string::npos);
        CHECK(page.find("&lt;img src=x onerror=alert(2)&gt;") != std::string::npos);
        CHECK(page.find("café — naïve output") != std::string::npos);
    }
    SUBCASE("is self-contained: no script, no external resource") {
        CHECK(count(page, "<script") == 0);
        CHECK(count(page, "<link") == 0);
        CHECK(count(page, "src=\"") == 0);
        CHECK(count(page, "url(") == 0);
        CHECK(count(page, "@import") == 0);
        // The only URL is the SVG namespace name, which is never fetched.
        CHECK(count(page, "https://") == 0);
        CHECK(count(page, "http://") == count(page, "xmlns=\"http://www.w3.org/2000/svg\""));
        CHECK(page.find("Content-Security-Policy") != std::string::npos);
    }
    SUBCASE("labels the run as simulated") {
        CHECK(page.find("SIMULATED") != std::string::npos);
        CHECK(page.find("these results come from orch&#39;s built-in simulated fleet") !=
              std::string::npos);
    }
    SUBCASE("draws the leaderboard, scatter with frontier, latency, heat map, curve and outputs") {
        CHECK(count(page, "<svg") == 4);
        CHECK(page.find("class=\"leaderboard\"") != std::string::npos);
        CHECK(page.find("class=\"frontier\"") != std::string::npos);
        CHECK(page.find("Pareto frontier") != std::string::npos);
        CHECK(page.find("Latency per target") != std::string::npos);
        CHECK(page.find("Mean quality by task type") != std::string::npos);
        CHECK(page.find("learned (APGR 0.65)") != std::string::npos);
        CHECK(page.find("class=\"results\"") != std::string::npos);
        CHECK(page.find("judge unreachable") != std::string::npos);
        CHECK(page.find("rule extract-strong") != std::string::npos);
    }
    SUBCASE("is balanced: every element opened is closed") {
        for (const char* tag : {"table", "section", "svg", "figure", "tr", "td", "pre", "ul"}) {
            INFO(tag);
            CHECK(count(page, std::string("<") + tag + ">") +
                      count(page, std::string("<") + tag + " ") ==
                  count(page, std::string("</") + tag + ">"));
        }
    }
}

TEST_CASE("report::pareto_frontier") {
    using orch::report::pareto_frontier;
    SUBCASE("keeps the points no other point beats on both counts, cheapest first") {
        // cost, quality: c dominates d (cheaper and better); a, b, c trade off.
        auto f = pareto_frontier({{0.010, 0.95}, {0.001, 0.85}, {0.0001, 0.80}, {0.002, 0.70}});
        CHECK(f == std::vector<std::size_t>{2, 1, 0});
    }
    SUBCASE("a free model can be on the frontier") {
        auto f = pareto_frontier({{0, 0.6}, {0.001, 0.9}, {0.001, 0.5}});
        CHECK(f == std::vector<std::size_t>{0, 1});
    }
    SUBCASE("equal points are both kept; an empty input gives an empty frontier") {
        CHECK(pareto_frontier({{0.1, 0.5}, {0.1, 0.5}}).size() == 2);
        CHECK(pareto_frontier({}).empty());
    }
}

TEST_CASE("report::load_curve_file") {
    TempDir dir;
    SUBCASE("reads the series in a fixed order") {
        auto path = dir.write("c.json",
                              R"({"oracle": [0, 1, 1], "share": [0, 0.5, 1], "random": [0, 0.5, 1],
                                            "learned": [0, 0.7, 1], "mine": [0, 0.6, 1]})");
        auto curve = orch::report::load_curve_file(path);
        REQUIRE(curve.series.size() == 4);
        CHECK(curve.series[0].first == "learned");
        CHECK(curve.series[1].first == "random");
        CHECK(curve.series[2].first == "oracle");
        CHECK(curve.series[3].first == "mine");
    }
    SUBCASE("names the file and the problem") {
        auto path = dir.write("bad.json", R"({"share": [0, 1], "learned": [0]})");
        try {
            orch::report::load_curve_file(path);
            FAIL("expected an error");
        } catch (const orch::Error& e) {
            CHECK(std::string(e.what()).find("bad.json: learned: expected 2 numbers") !=
                  std::string::npos);
            CHECK(e.exit_code() == 2);
        }
        CHECK_THROWS_AS(orch::report::load_curve_file(dir.write("x.json", "[1, 2]")), orch::Error);
        CHECK_THROWS_AS(orch::report::load_curve_file(dir.file("missing.json")), orch::Error);
    }
    SUBCASE("many models: the quality-cost curves, plotted with the models as points") {
        auto path = dir.write(
            "cq.json",
            R"({"cost_quality": {"models": [{"model": "big", "cost": 0.01, "quality": 0.9},
                                             {"model": "<small>", "cost": 0.001, "quality": 0.7}],
                                 "learned": [[0.001, 0.7], [0.004, 0.88], [0.01, 0.9]],
                                 "oracle": [[0.0005, 0.95], [0.002, 0.99]]}})");
        auto curve = orch::report::load_curve_file(path);
        CHECK(curve.series.empty());
        REQUIRE(curve.cost_quality.has_value());
        CHECK(curve.cost_quality->models.size() == 2);
        REQUIRE(curve.cost_quality->series.size() == 2);
        CHECK(curve.cost_quality->series[0].first == "learned");
        std::string svg = orch::report::cost_quality_chart(*curve.cost_quality);
        CHECK(svg.find("&lt;small&gt;") != std::string::npos);
        CHECK(svg.find("<small>") == std::string::npos);
        CHECK(count(svg, "<circle") == 2);
        CHECK(count(svg, "class=\"curve\"") == 4); // two paths, two legend lines
        auto bad = dir.write("cqbad.json", R"({"cost_quality": {"learned": [[0.1]]}})");
        CHECK_THROWS_WITH(orch::report::load_curve_file(bad),
                          doctest::Contains("cqbad.json: cost_quality.learned: expected an array "
                                            "of [cost, quality] points"));
    }
}
