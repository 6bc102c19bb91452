#include <orch/eval/json_schema.hpp>

#include "eval/heuristic_support.hpp"

#include <doctest/doctest.h>

using nlohmann::json;
using orch::eval::JsonSchema;

namespace {

JsonSchema compiled(const json& schema) {
    auto s = JsonSchema::compile(schema);
    REQUIRE_MESSAGE(s.has_value(), (s.has_value() ? "" : s.error().front()));
    return s.value();
}

std::vector<std::string> problems(const json& schema) {
    auto s = JsonSchema::compile(schema);
    return s.has_value() ? std::vector<std::string>{} : s.error();
}

} // namespace

TEST_CASE("eval::json_schema_compile") {
    SUBCASE("accepts the supported keywords and ignores annotations") {
        json schema = R"({
            "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "t",
            "description": "d", "type": "object", "required": ["a"],
            "properties": {"a": {"type": "array", "items": {"type": "number"}, "minItems": 1,
                                 "maxItems": 3, "default": []},
                           "b": {"type": "string", "minLength": 1, "maxLength": 9,
                                 "pattern": "^x", "enum": ["xa", "xb"]},
                           "c": {"const": 3, "minimum": 0, "maximum": 9,
                                 "exclusiveMinimum": 0, "exclusiveMaximum": 10}},
            "additionalProperties": {"type": "boolean"}})"_json;
        CHECK(problems(schema).empty());
    }
    SUBCASE("reports every problem, each with its path") {
        json schema = R"({"type": ["string", "decimal"], "oneOf": [],
                          "properties": {"x": {"minLength": -1}, "y": {"pattern": "(a"}},
                          "required": "x"})"_json;
        std::vector<std::string> p = problems(schema);
        REQUIRE(p.size() == 5);
        CHECK(p[0] == "schema.oneOf: unsupported keyword (supported: type, properties, required, "
                      "enum, const, items, minimum, maximum, exclusiveMinimum, exclusiveMaximum, "
                      "minLength, maxLength, minItems, maxItems, pattern, additionalProperties)");
        CHECK(p[1] ==
              "schema.properties.x.minLength: expected a whole number of 0 or more, got -1");
        CHECK(p[2] == "schema.properties.y.pattern: invalid RE2 syntax: missing ): (a");
        CHECK(p[3] == "schema.required: expected an array of property names");
        CHECK(p[4] == "schema.type: expected one of string, number, integer, boolean, object, "
                      "array, null");
    }
    SUBCASE("rejects a schema that is not an object, and items given as a list") {
        CHECK(
            problems(json("object")) ==
            std::vector<std::string>{"schema: expected a schema (a JSON object), got \"object\""});
        CHECK(problems(R"({"items": [{"type": "string"}]})"_json).front() ==
              "schema.items: expected a schema (a JSON object), got [{\"type\":\"string\"}]");
    }
}

TEST_CASE("eval::json_schema_validate") {
    SUBCASE("counts a number with no fractional part as an integer") {
        JsonSchema s = compiled(R"({"type": "integer"})"_json);
        CHECK(s.validate(json(3)).empty());
        CHECK(s.validate(json(3.0)).empty());
        CHECK(s.validate(json(3.5)) == std::vector<std::string>{"$: expected integer, got number"});
        CHECK(compiled(R"({"type": "number"})"_json).validate(json(3)).empty());
    }
    SUBCASE("checks numeric bounds") {
        JsonSchema s = compiled(R"({"minimum": 1, "exclusiveMaximum": 10})"_json);
        CHECK(s.validate(json(0)) == std::vector<std::string>{"$: 0 is less than the minimum 1"});
        CHECK(s.validate(json(10)) ==
              std::vector<std::string>{"$: 10 is not less than the exclusive maximum 10"});
        CHECK(s.validate(json(9.5)).empty());
    }
    SUBCASE("checks string length in characters, pattern and enum") {
        JsonSchema s = compiled(R"({"type": "string", "maxLength": 3, "pattern": "^[a-zé]+$",
                                    "enum": ["abc", "éé", "abcd"]})"_json);
        CHECK(s.validate(json("éé")).empty());
        CHECK(s.validate(json("abcd")) ==
              std::vector<std::string>{"$: length 4 is more than maxLength 3"});
        std::vector<std::string> v = s.validate(json("AB"));
        REQUIRE(v.size() == 2);
        CHECK(v[0] == "$: expected one of \"abc\", \"éé\", \"abcd\", got \"AB\"");
        CHECK(v[1] == "$: \"AB\" does not match /^[a-zé]+$/");
    }
    SUBCASE("checks arrays and their items with indexed paths") {
        JsonSchema s = compiled(R"({"type": "object", "properties": {"tags": {
            "type": "array", "minItems": 1, "items": {"type": "string", "const": "x"}}}})"_json);
        CHECK(s.validate(R"({"tags": []})"_json) ==
              std::vector<std::string>{"$.tags: 0 items, fewer than minItems 1"});
        CHECK(s.validate(R"({"tags": ["x", "y"]})"_json) ==
              std::vector<std::string>{"$.tags[1]: expected \"x\", got \"y\""});
    }
    SUBCASE("checks required and additional properties, quoting keys that are not names") {
        JsonSchema s = compiled(R"({"required": ["first name"], "properties": {"a": {}},
                                    "additionalProperties": {"type": "integer"}})"_json);
        CHECK(s.validate(R"({"a": "any", "b": "two"})"_json) ==
              std::vector<std::string>{"$['first name']: missing (required)",
                                       "$.b: expected integer, got string"});
    }
    SUBCASE("stops descending into a value of the wrong type") {
        JsonSchema s = compiled(R"({"type": "object", "required": ["a"]})"_json);
        CHECK(s.validate(json::array()) ==
              std::vector<std::string>{"$: expected object, got array"});
    }
    SUBCASE("stops at the violation limit") {
        JsonSchema s = compiled(R"({"items": {"type": "string"}})"_json);
        CHECK(s.validate(json::array({1, 2, 3, 4, 5}), 2).size() == 2);
    }
}
