#pragma once
// Reading JSON out of a model's output: parsing it, addressing into it with a small JSONPath
// subset, and comparing values the lenient way graders want (42 == 42.0 == "42").
#include <orch/util/result.hpp>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace orch::eval {

// The output parsed as JSON, after removing one surrounding markdown code fence (```json).
// nullopt when it is not JSON; `error` (when given) then says why, without nlohmann's prefix.
std::optional<nlohmann::json> parse_json_output(std::string_view output,
                                                std::string* error = nullptr);

// Paths for messages: "$" + ".key", or "['key with space']" when the key is not a plain name.
std::string path_with_key(std::string_view base, std::string_view key);
std::string path_with_index(std::string_view base, std::size_t index);

// The JSON type of a value in JSON Schema's words; a number with no fractional part is an
// "integer", any other number a "number".
std::string json_type_name(const nlohmann::json& value);
bool is_integral(const nlohmann::json& value);

// A JSONPath subset: "$", "$.a.b", "$.items[0].sku", "$.items[-1]" (from the end),
// "$['key with space']", '$["k"]'. The leading "$" may be left out ("a.b", "items[0]").
class JsonPath {
  public:
    // The error says where the path went wrong: "expected ] at character 9".
    static util::Result<JsonPath, std::string> parse(std::string_view text);

    // The value at this path in `root`, or nullptr when a step is missing.
    const nlohmann::json* find(const nlohmann::json& root) const;
    const std::string& text() const { return m_text; }

  private:
    using Step = std::variant<std::string, std::int64_t>;
    std::string m_text;
    std::vector<Step> m_steps;
};

struct MatchOptions {
    bool ignore_case = false;        // strings
    bool trim = false;               // strings
    std::optional<double> tolerance; // numbers: absolute; exact when absent
};

// nullopt when `actual` matches `expected`, else the first difference as
// "<path>: expected 42.5, got 45". Numbers compare numerically, and a numeric string matches
// the number it spells; objects need the same keys, arrays the same length, element by element.
std::optional<std::string> json_mismatch(const nlohmann::json& expected,
                                         const nlohmann::json& actual, const MatchOptions& options,
                                         const std::string& path);

} // namespace orch::eval
