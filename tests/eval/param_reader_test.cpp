#include <orch/eval/param_reader.hpp>

#include <doctest/doctest.h>

using nlohmann::json;
using namespace orch::eval;

TEST_CASE("eval::param_reader") {
    SUBCASE("reads typed values and falls back for absent options") {
        ParamReader r("k", R"({"s": "x", "n": 2.5, "c": 10.0, "b": true, "t": 7})"_json);
        CHECK(r.string("s") == "x");
        CHECK(r.number("n") == 2.5);
        CHECK(r.count("c") == 10);
        CHECK(r.flag("b", false));
        CHECK_FALSE(r.flag("absent", false));
        CHECK(r.text("t") == "7");
        CHECK_FALSE(r.finish().has_value());
    }
    SUBCASE("accepts a numeric string only where asked to") {
        ParamReader r("k", R"({"a": "1,234.50", "b": "12"})"_json);
        CHECK(r.number("a", Need::required, true) == 1234.5);
        CHECK_FALSE(r.number("b").has_value());
        CHECK(r.finish() == "k: b: expected a number, got \"12\"");
    }
    SUBCASE("records every problem in order, then the unknown parameters") {
        ParamReader r("k", R"({"count": 1.5, "zzz": 1, "flg": 1})"_json);
        CHECK_FALSE(r.count("count").has_value());
        CHECK_FALSE(r.string("name", Need::required).has_value());
        r.flag("flag", false);
        CHECK(r.finish() == "k: count: expected a whole number of 0 or more, got 1.5; "
                            "name: missing; unknown parameter \"flg\" (did you mean \"flag\"?); "
                            "unknown parameter \"zzz\"");
    }
    SUBCASE("treats an explicit null as present for any()") {
        ParamReader r("k", R"({"v": null})"_json);
        const json* v = r.any("v", Need::required);
        REQUIRE(v != nullptr);
        CHECK(v->is_null());
        CHECK_FALSE(r.finish().has_value());
    }
}

TEST_CASE("eval::quote") {
    SUBCASE("escapes like JSON and cuts long text") {
        CHECK(quote("a\"b\n") == "\"a\\\"b\\n\"");
        CHECK(quote(std::string(100, 'x')) == "\"" + std::string(80, 'x') + "…\"");
    }
    SUBCASE("formats numbers without trailing zeros") {
        CHECK(format_number(42.0) == "42");
        CHECK(format_number(0.0042) == "0.0042");
        CHECK(format_number(1234.5) == "1234.5");
    }
}
