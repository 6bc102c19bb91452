#pragma once
// Reads a heuristic's parameters (a JSON object from TOML or JSON) and collects every problem:
// a missing required parameter, a value of the wrong type, and any parameter nobody asked for.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace orch::eval {

enum class Need { optional, required };

class ParamReader {
  public:
    // `params` may be null (no parameters); anything else but an object is an error.
    ParamReader(std::string kind, const nlohmann::json& params);

    // Every getter marks `key` as known. An absent optional key yields nullopt (or the
    // fallback); an absent required key or a value of the wrong type is recorded as a problem
    // and also yields nullopt, so a builder can read all its parameters before giving up.

    // A JSON string.
    std::optional<std::string> string(std::string_view key, Need need = Need::optional);
    // A string, or a number or boolean rendered as JSON text (42 -> "42").
    std::optional<std::string> text(std::string_view key, Need need = Need::optional);
    // A JSON number, or (with `allow_numeric_string`) a string such as "1,234.50".
    std::optional<double> number(std::string_view key, Need need = Need::optional,
                                 bool allow_numeric_string = false);
    // A whole number of 0 or more.
    std::optional<std::int64_t> count(std::string_view key, Need need = Need::optional);
    // A fraction in [0, 1].
    std::optional<double> fraction(std::string_view key, Need need = Need::optional);
    bool flag(std::string_view key, bool fallback);
    // A non-empty array of strings (numbers and booleans are rendered as JSON text).
    std::optional<std::vector<std::string>> texts(std::string_view key, Need need = Need::optional);
    // A JSON object.
    std::optional<nlohmann::json> object(std::string_view key, Need need = Need::optional);
    // Any JSON value, null included; nullptr when absent.
    const nlohmann::json* any(std::string_view key, Need need = Need::optional);

    bool has(std::string_view key) const;
    // Records "<key>: <what>"; use for checks a getter cannot make (min above max, bad regex).
    void fail(std::string_view key, std::string_view what);
    // Records a problem that already names its place ("schema.items.type: ...").
    void fail(std::string problem);

    // nullopt when every parameter was fine; otherwise "<kind>: <problem>; <problem>...",
    // naming unknown parameters (with a close known name when there is one).
    std::optional<std::string> finish() const;
    const std::string& kind() const { return m_kind; }

  private:
    const nlohmann::json* lookup(std::string_view key, Need need);
    void wrong_type(std::string_view key, std::string_view expected, const nlohmann::json& got);

    std::string m_kind;
    nlohmann::json m_params;
    std::set<std::string, std::less<>> m_known;
    std::vector<std::string> m_problems;
};

// A JSON value as a short piece of text for reasons and errors: strings quoted and escaped,
// long values cut with "…".
std::string describe_json(const nlohmann::json& value);
// `text` quoted and escaped like a JSON string, cut at 80 characters.
std::string quote(std::string_view text);
// A number without trailing zeros: 42, 42.5, 0.001.
std::string format_number(double value);

} // namespace orch::eval
