#pragma once
// Small string helpers (ASCII semantics; UTF-8 bytes pass through untouched).
#include <string>
#include <string_view>
#include <vector>

namespace orch::util {

std::string trim(std::string_view s);
std::string to_lower(std::string_view s);
std::string collapse_whitespace(std::string_view s);
std::string strip_punctuation(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
std::vector<std::string> split_words(std::string_view s);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string replace_all(std::string s, std::string_view from, std::string_view to);
bool starts_with_ci(std::string_view s, std::string_view prefix);
std::string truncate(std::string_view s, size_t max_chars);
// The text with one surrounding markdown code fence (```json ... ```) removed, if present.
std::string strip_code_fence(std::string_view s);
// Parse a number such as "1,234.50", "$12", "-3e2"; nullopt if not a number.
bool parse_number(std::string_view s, double& out);
// Every number that appears in text, in order ("$1,200.50" counts as 1200.5).
std::vector<double> numbers_in(std::string_view text);

} // namespace orch::util
