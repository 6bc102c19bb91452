// The heuristics that read the output as JSON: is_json, json_schema, json_path, tool_call.
#include <orch/eval/heuristic.hpp>

#include "eval/heuristic_support.hpp"

#include <doctest/doctest.h>

using nlohmann::json;
using namespace orch::eval;
using namespace orch::eval::testing;

namespace {

const json k_lead_schema = R"({
    "type": "object",
    "required": ["company", "seats"],
    "additionalProperties": false,
    "properties": {
        "company": {"type": "string", "minLength": 1},
        "seats": {"type": ["integer", "null"], "minimum": 1}
    }
})"_json;

} // namespace

TEST_CASE("eval::is_json") {
    SUBCASE("passes on plain JSON and names its type") {
        Verdict v = run("is_json", json::object(), R"({"a": 1})");
        CHECK(v.score == 1);
        CHECK(v.reason == "valid JSON (object)");
    }
    SUBCASE("passes on JSON inside one markdown code fence") {
        Verdict v = run("is_json", json::object(), "```json\n[1, 2]\n```\n");
        CHECK(v.score == 1);
        CHECK(v.reason == "valid JSON (array)");
    }
    SUBCASE("fails on prose, saying why") {
        Verdict v = run("is_json", json::object(), "Sure! {\"a\": 1}");
        CHECK(v.score == 0);
        CHECK_HAS(v.reason, "not valid JSON: parse error at line 1, column 1");
        CHECK(run("is_json", json::object(), "").reason == "not valid JSON: the output is empty");
    }
    SUBCASE("is an error with any parameter") {
        CHECK(error_of("is_json", R"({"strict": true})"_json) ==
              "is_json: unknown parameter \"strict\"");
    }
    SUBCASE("negated, passes on non-JSON") {
        Verdict v = run("is_json", json::object(), "plain words", true);
        CHECK(v.score == 1);
        CHECK_HAS(v.reason, "not: not valid JSON");
    }
}

TEST_CASE("eval::json_schema") {
    json params = {{"schema", k_lead_schema}};
    SUBCASE("passes on conforming JSON in a code fence") {
        Verdict v =
            run("json_schema", params, "```json\n{\"company\": \"Acme\", \"seats\": 35.0}\n```");
        CHECK(v.score == 1);
        CHECK(v.reason == "matches the schema");
    }
    SUBCASE("fails listing violations with their paths") {
        Verdict v = run("json_schema", params, R"({"seats": "35", "extra": 1})");
        CHECK(v.score == 0);
        CHECK(v.reason == "3 violations: $.company: missing (required); "
                          "$.seats: expected integer or null, got string; "
                          "$.extra: not allowed (additionalProperties is false)");
    }
    SUBCASE("shows the first three violations and counts the rest") {
        json schema = R"({"type": "array", "items": {"type": "string"}})"_json;
        Verdict v = run("json_schema", {{"schema", schema}}, "[1, 2, 3, 4, 5]");
        CHECK(v.score == 0);
        CHECK_HAS(v.reason, "5 violations: $[0]: expected string, got integer;");
        CHECK_HAS(v.reason, "$[2]: expected string, got integer; and 2 more");
    }
    SUBCASE("scores 0 when the output is not JSON") {
        Verdict v = run("json_schema", params, "company: Acme");
        CHECK(v.score == 0);
        CHECK_HAS(v.reason, "not valid JSON");
    }
    SUBCASE("is an error with an unsupported keyword, naming its path") {
        json schema = R"({"type": "object", "properties": {"x": {"format": "email"}}})"_json;
        CHECK_HAS(error_of("json_schema", {{"schema", schema}}),
                  "json_schema: schema.properties.x.format: unsupported keyword");
    }
    SUBCASE("is an error with an unknown type name") {
        json schema = R"({"properties": {"x": {"type": "int"}}})"_json;
        CHECK(error_of("json_schema", {{"schema", schema}}) ==
              "json_schema: schema.properties.x.type: expected one of string, number, integer, "
              "boolean, object, array, null");
    }
    SUBCASE("is an error with an invalid pattern") {
        json schema = R"({"properties": {"code": {"type": "string", "pattern": "[A-Z"}}})"_json;
        CHECK(error_of("json_schema", {{"schema", schema}}) ==
              "json_schema: schema.properties.code.pattern: invalid RE2 syntax: missing ]: [A-Z");
    }
    SUBCASE("is an error without a schema, or with a schema that is not an object") {
        CHECK(error_of("json_schema", json::object()) == "json_schema: schema: missing");
        CHECK(error_of("json_schema", R"({"schema": "object"})"_json) ==
              "json_schema: schema: expected a table (JSON object), got \"object\"");
    }
}

TEST_CASE("eval::json_path") {
    SUBCASE("passes when the value at the path matches") {
        Verdict v = run("json_path", R"({"path": "$.items[0].sku", "value": "A-1"})"_json,
                        R"({"items": [{"sku": "A-1"}]})");
        CHECK(v.score == 1);
        CHECK(v.reason == "$.items[0].sku is \"A-1\"");
    }
    SUBCASE("compares numbers numerically and numeric strings as numbers") {
        CHECK(run("json_path", R"({"path": "$.seats", "value": 42})"_json, R"({"seats": 42.0})")
                  .score == 1);
        CHECK(run("json_path", R"({"path": "$.seats", "value": "42"})"_json, R"({"seats": 42})")
                  .score == 1);
        CHECK(run("json_path", R"({"path": "$.total", "value": 10, "tolerance": 0.5})"_json,
                  R"({"total": 10.4})")
                  .score == 1);
    }
    SUBCASE("fails with expected and got") {
        Verdict v =
            run("json_path", R"({"path": "$.seats", "value": 35})"_json, R"({"seats": 30})");
        CHECK(v.score == 0);
        CHECK(v.reason == "$.seats: expected 35, got 30");
    }
    SUBCASE("compares strings case-insensitively only when ignore_case is set") {
        json p = R"({"path": "$['company name']", "value": "Pinewood Outfitters"})"_json;
        CHECK(run("json_path", p, R"({"company name": "pinewood outfitters"})").score == 0);
        p["ignore_case"] = true;
        CHECK(run("json_path", p, R"({"company name": "pinewood outfitters"})").score == 1);
    }
    SUBCASE("matches null, and a missing path is a failure") {
        CHECK(run("json_path", R"({"path": "$.budget_usd", "value": null})"_json,
                  R"({"budget_usd": null})")
                  .score == 1);
        Verdict v = run("json_path", R"({"path": "$.budget_usd", "value": null})"_json, "{}");
        CHECK(v.score == 0);
        CHECK(v.reason == "$.budget_usd: not found (expected null)");
    }
    SUBCASE("scores 0 when the output is not JSON") {
        Verdict v = run("json_path", R"({"path": "$", "value": 1})"_json, "one");
        CHECK(v.score == 0);
        CHECK_HAS(v.reason, "not valid JSON");
    }
    SUBCASE("is an error with a malformed path or no value") {
        CHECK(error_of("json_path", R"({"path": "$.items[x", "value": 1})"_json) ==
              "json_path: path: expected an array index or a quoted key at character 9");
        CHECK(error_of("json_path", R"({"path": "$.a"})"_json) == "json_path: value: missing");
    }
}

TEST_CASE("eval::tool_call") {
    json params = R"({"name": "create_refund",
                      "arguments": {"order_id": "ORD-1", "amount_usd": 42.5}})"_json;
    SUBCASE("passes on a plain call whose arguments match loosely") {
        Verdict v = run("tool_call", params,
                        R"({"name": "create_refund",
                            "arguments": {"order_id": " ord-1 ", "amount_usd": "42.50",
                                          "reason": "damaged"}})");
        CHECK(v.score == 1);
        CHECK(v.reason == "called create_refund with the expected arguments");
    }
    SUBCASE("passes on an OpenAI tool_calls message with string arguments, in a code fence") {
        std::string output = "```json\n"
                             R"({"tool_calls": [{"type": "function", "function": {)"
                             R"("name": "create_refund", )"
                             R"("arguments": "{\"order_id\": \"ORD-1\", \"amount_usd\": 42.5}"}}]})"
                             "\n```";
        CHECK(run("tool_call", params, output).score == 1);
    }
    SUBCASE("passes on a {\"function\": ...} object and on Anthropic's tool_use block") {
        CHECK(run("tool_call", R"({"name": "get_weather"})"_json,
                  R"({"function": {"name": "get_weather", "arguments": {}}})")
                  .score == 1);
        CHECK(run("tool_call", R"({"name": "get_weather", "arguments": {"city": "Oslo"}})"_json,
                  R"({"content": [{"type": "text", "text": "ok"},
                                  {"type": "tool_use", "name": "get_weather",
                                   "input": {"city": "Oslo"}}]})")
                  .score == 1);
    }
    SUBCASE("fails naming the first argument that differs") {
        Verdict v = run(
            "tool_call", params,
            R"({"name": "create_refund", "arguments": {"order_id": "ORD-1", "amount_usd": 45}})");
        CHECK(v.score == 0);
        CHECK(v.reason == "arguments.amount_usd: expected 42.5, got 45");
    }
    SUBCASE("fails on a missing argument and on the wrong tool") {
        CHECK(run("tool_call", params,
                  R"({"name": "create_refund", "arguments": {"order_id": "ORD-1"}})")
                  .reason == "arguments.amount_usd: missing");
        Verdict v = run("tool_call", params, R"({"name": "search_orders", "arguments": {}})");
        CHECK(v.score == 0);
        CHECK(v.reason == "expected a call to create_refund, got search_orders");
    }
    SUBCASE("with exact set, fails on an extra argument") {
        json exact = params;
        exact["exact"] = true;
        Verdict v = run("tool_call", exact,
                        R"({"name": "create_refund",
                            "arguments": {"order_id": "ORD-1", "amount_usd": 42.5, "note": "x"}})");
        CHECK(v.score == 0);
        CHECK(v.reason == "arguments.note: not expected");
    }
    SUBCASE("scores 0 without a call or without JSON") {
        CHECK(run("tool_call", params, R"({"answer": 1})").reason ==
              "no tool call in the output (expected create_refund)");
        CHECK_HAS(run("tool_call", params, "I will call create_refund").reason, "not valid JSON");
    }
    SUBCASE("accepts arguments templated into a JSON string") {
        json p = {{"name", "get_weather"}, {"arguments", R"({"city": "Oslo"})"}};
        CHECK(run("tool_call", p, R"({"name": "get_weather", "arguments": {"city": "oslo"}})")
                  .score == 1);
    }
    SUBCASE("is an error without a name or with arguments that are not an object") {
        CHECK(error_of("tool_call", R"({"arguments": {}})"_json) == "tool_call: name: missing");
        CHECK(error_of("tool_call", R"({"name": "f", "arguments": [1]})"_json) ==
              "tool_call: arguments: expected a table (JSON object), got [1]");
    }
}
