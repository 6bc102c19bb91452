// Money, times and the escapes every report format relies on.
#include <doctest/doctest.h>
#include <orch/report/leaderboard.hpp>
#include <orch/report/text.hpp>

using namespace orch::report;

TEST_CASE("report::text") {
    SUBCASE("money keeps three significant digits below a cent") {
        CHECK(money(0) == "$0");
        CHECK(money(0.0000405) == "$0.0000405");
        CHECK(money(0.00130) == "$0.00130");
        CHECK(money(0.013) == "$0.0130");
        CHECK(money(12.5) == "$12.50");
        CHECK(money(-0.00126) == "-$0.00126");
        CHECK(signed_money(0.00126) == "+$0.00126");
    }
    SUBCASE("times and signs") {
        CHECK(ms(850.4) == "850ms");
        CHECK(ms(12345) == "12.3s");
        CHECK(ms(-0.2) == "0ms");
        CHECK(signed_fixed(0.0411, 3) == "+0.041");
        CHECK(signed_fixed(-0.0001, 3) == "+0.000");
        CHECK(percent(0.957) == "95.7%");
    }
    SUBCASE("html_escape escapes the five characters and repairs UTF-8") {
        CHECK(html_escape("<a href=\"x\">'&'</a>") ==
              "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        CHECK(html_escape("café") == "café");
        CHECK(html_escape("bad\xff") == "bad\xEF\xBF\xBD");
    }
    SUBCASE("xml_escape also drops characters XML 1.0 forbids") {
        CHECK(xml_escape("a\x01"
                         "b\tc\n") == "a\xEF\xBF\xBD"
                                      "b\tc\n");
        CHECK(xml_escape("'\"") == "&apos;&quot;");
        CHECK(xml_escape("\xed\xa0\x80") ==
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate is invalid UTF-8
    }
    SUBCASE("csv_field quotes only when needed") {
        CHECK(csv_field("plain") == "plain");
        CHECK(csv_field("a,b") == "\"a,b\"");
        CHECK(csv_field("say \"hi\"\nbye") == "\"say \"\"hi\"\"\nbye\"");
    }
    SUBCASE("md_cell keeps a table intact") {
        CHECK(md_cell("a | b\nc") == "a \\| b c");
        CHECK(md_cell("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;");
        CHECK(md_cell("tool_call *x* $5") == "tool\\_call \\*x\\* \\$5");
    }
    SUBCASE("one_line and clip cut on character boundaries") {
        CHECK(one_line("  a\n\n b\tc  ", 100) == "a b c");
        CHECK(one_line("ééééé", 3) == "ééé…");
        CHECK(one_line("x\x1b[31my", 100) == "x\xEF\xBF\xBD[31my");
        CHECK(clip("éé", 3) == "é…");
        CHECK(clip("abc", 3) == "abc");
    }
}

TEST_CASE("report::policy verdicts compare each policy with the strongest model, at a share of its cost") {
    orch::report::Leaderboard board;
    auto target = [](const std::string& name, double quality, double cost_per_task, double pass) {
        orch::report::TargetStats t;
        t.target = name;
        t.attempted = 10;
        t.scored = 10;
        t.quality.mean = quality;
        t.cost_per_task = cost_per_task;
        t.pass_rate = pass;
        return t;
    };
    CHECK(orch::report::policy_verdicts(board).empty());
    board.targets = {target("sim-frontier", 0.923, 0.01, 0.947), target("policy:default", 0.899, 0.0031, 0.913),
                     target("sim-mid", 0.873, 0.002, 0.889)};
    auto v = orch::report::policy_verdicts(board);
    REQUIRE(v.size() == 1);
    CHECK(v[0] == "policy:default: quality 0.899 vs 0.923 for sim-frontier at 31% of its cost (pass 91.3% vs 94.7%)");
    SUBCASE("no model target: no verdict") {
        board.targets = {target("policy:default", 0.9, 0.01, 0.9)};
        CHECK(orch::report::policy_verdicts(board).empty());
    }
    SUBCASE("a strongest model that costs nothing: both costs, no ratio") {
        board.targets[0].cost_per_task = 0;
        v = orch::report::policy_verdicts(board);
        REQUIRE(v.size() == 1);
        CHECK(v[0].find("for sim-frontier at $") != std::string::npos);
    }
}
