#include <orch/eval/json_output.hpp>

#include <doctest/doctest.h>

using nlohmann::json;
using namespace orch::eval;

TEST_CASE("eval::parse_json_output") {
    SUBCASE("parses plain JSON and JSON in one code fence") {
        CHECK(parse_json_output(" {\"a\": 1} ") == R"({"a": 1})"_json);
        CHECK(parse_json_output("```json\n{\"a\": [1]}\n```") == R"({"a": [1]})"_json);
        CHECK(parse_json_output("```\n42\n```") == json(42));
    }
    SUBCASE("returns nothing for prose and explains why without the exception prefix") {
        std::string why;
        CHECK_FALSE(parse_json_output("{\"a\": }", &why).has_value());
        CHECK(why.rfind("parse error at line 1, column 7", 0) == 0);
    }
}

TEST_CASE("eval::json_path_parse") {
    json doc = R"({"a": {"b": 2}, "items": [{"sku": "A"}, {"sku": "B"}], "key with space": 1,
                   "it's": true})"_json;
    auto find = [&](const std::string& path) -> const json* {
        auto p = JsonPath::parse(path);
        REQUIRE_MESSAGE(p.has_value(), (p.has_value() ? "" : p.error()));
        return p.value().find(doc);
    };
    SUBCASE("walks keys, indexes and quoted keys") {
        CHECK(*find("$") == doc);
        CHECK(*find("$.a.b") == json(2));
        CHECK(*find("$.items[1].sku") == json("B"));
        CHECK(*find("$.items[-1].sku") == json("B"));
        CHECK(*find("$['key with space']") == json(1));
        CHECK(*find(R"($["it's"])") == json(true));
        CHECK(*find("a.b") == json(2));
        CHECK(*find("items[0].sku") == json("A"));
    }
    SUBCASE("finds nothing for a missing key, an index out of range or the wrong type") {
        CHECK(find("$.a.c") == nullptr);
        CHECK(find("$.items[2]") == nullptr);
        CHECK(find("$.a[0]") == nullptr);
        CHECK(find("$.items.sku") == nullptr);
    }
    SUBCASE("rejects malformed paths, saying where") {
        CHECK(JsonPath::parse("").error() == "empty path (use \"$\" for the whole output)");
        CHECK(JsonPath::parse("$.").error() == "expected a key at character 3");
        CHECK(JsonPath::parse("$.a[1").error() == "expected ] at character 6");
        CHECK(JsonPath::parse("$['a").error() == "unterminated quoted key at character 5");
        CHECK(JsonPath::parse("$a").error() == "expected . or [ at character 2");
    }
}

TEST_CASE("eval::json_mismatch") {
    MatchOptions loose{true, true, std::nullopt};
    SUBCASE("matches numbers numerically and numeric strings as numbers") {
        CHECK_FALSE(json_mismatch(json(42), json(42.0), {}, "$"));
        CHECK_FALSE(json_mismatch(json("42"), json(42), {}, "$"));
        CHECK_FALSE(json_mismatch(json(42.5), json("$42.50"), {}, "$"));
        CHECK(json_mismatch(json(1), json(true), {}, "$") == "$: expected 1, got true");
    }
    SUBCASE("applies tolerance, case and trimming only when asked") {
        CHECK(json_mismatch(json(1.0), json(1.05), {}, "$") == "$: expected 1.0, got 1.05");
        CHECK_FALSE(json_mismatch(json(1.0), json(1.05), {false, false, 0.1}, "$"));
        CHECK(json_mismatch(json("Oslo"), json(" oslo"), {}, "$") ==
              "$: expected \"Oslo\", got \" oslo\"");
        CHECK_FALSE(json_mismatch(json("Oslo"), json(" oslo"), loose, "$"));
    }
    SUBCASE("compares arrays and objects element by element, naming the first difference") {
        json expected = R"({"to": ["a@x.io", "b@x.io"], "n": 2})"_json;
        CHECK_FALSE(json_mismatch(expected, R"({"n": 2.0, "to": ["A@x.io", "b@x.io"]})"_json, loose,
                                  "args"));
        CHECK(json_mismatch(expected, R"({"n": 2, "to": ["b@x.io", "a@x.io"]})"_json, loose,
                            "args") == "args.to[0]: expected \"a@x.io\", got \"b@x.io\"");
        CHECK(json_mismatch(expected, R"({"n": 2, "to": ["a@x.io"]})"_json, loose, "args") ==
              "args.to: expected 2 items, got 1");
        CHECK(json_mismatch(expected, R"({"to": ["a@x.io", "b@x.io"]})"_json, loose, "args") ==
              "args.n: missing");
        CHECK(json_mismatch(json::object(), R"({"x": 1})"_json, loose, "args") ==
              "args.x: not expected");
    }
}
