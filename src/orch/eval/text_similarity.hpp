#pragma once
// Text measures used by the heuristics: lengths in characters, edit distance and ROUGE-L.
// Characters are Unicode code points of UTF-8 text; malformed bytes count as one each.
#include <cstddef>
#include <string_view>

namespace orch::eval {

// The number of code points in `text`.
std::size_t count_code_points(std::string_view text);

// The Levenshtein distance between `a` and `b`, counted in code points.
std::size_t levenshtein_distance(std::string_view a, std::string_view b);

// 1 - distance / max(length a, length b), in [0, 1]; 1 when both are empty.
double levenshtein_ratio(std::string_view a, std::string_view b);

// ROUGE-L F1 of `candidate` against `reference`: the longest common subsequence of their
// lower-cased word tokens (util::split_words). 1 when both have no words, 0 when one has none.
double rouge_l_f1(std::string_view candidate, std::string_view reference);

} // namespace orch::eval
