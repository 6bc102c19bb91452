#include <orch/eval/text_similarity.hpp>

#include <orch/util/strings.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace orch::eval {

namespace {

bool is_continuation_byte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Splits UTF-8 into code points, each kept as its byte sequence; comparing sequences is
// enough for edit distance, so there is no need to decode the scalar values.
std::vector<std::string_view> code_points(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = i + 1;
        while (end < text.size() && is_continuation_byte(text[end]) && end - i < 4) {
            ++end;
        }
        out.push_back(text.substr(i, end - i));
        i = end;
    }
    return out;
}

template <class T> std::size_t edit_distance(const std::vector<T>& a, const std::vector<T>& b) {
    // Two rows are enough: each cell needs only the row above and the cell to its left.
    std::vector<std::size_t> prev(b.size() + 1);
    std::vector<std::size_t> cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        prev[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t substitution = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitution});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::size_t longest_common_subsequence(const std::vector<std::string>& a,
                                       const std::vector<std::string>& b) {
    std::vector<std::size_t> prev(b.size() + 1, 0);
    std::vector<std::size_t> cur(b.size() + 1, 0);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

} // namespace

std::size_t count_code_points(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation_byte(c); }));
}

std::size_t levenshtein_distance(std::string_view a, std::string_view b) {
    return edit_distance(code_points(a), code_points(b));
}

double levenshtein_ratio(std::string_view a, std::string_view b) {
    std::vector<std::string_view> ca = code_points(a);
    std::vector<std::string_view> cb = code_points(b);
    std::size_t longest = std::max(ca.size(), cb.size());
    if (longest == 0) {
        return 1.0;
    }
    return 1.0 - static_cast<double>(edit_distance(ca, cb)) / static_cast<double>(longest);
}

double rouge_l_f1(std::string_view candidate, std::string_view reference) {
    std::vector<std::string> cand = util::split_words(util::to_lower(candidate));
    std::vector<std::string> ref = util::split_words(util::to_lower(reference));
    if (cand.empty() && ref.empty()) {
        return 1.0;
    }
    if (cand.empty() || ref.empty()) {
        return 0.0;
    }
    auto lcs = static_cast<double>(longest_common_subsequence(cand, ref));
    if (lcs == 0) {
        return 0.0;
    }
    double precision = lcs / static_cast<double>(cand.size());
    double recall = lcs / static_cast<double>(ref.size());
    return 2 * precision * recall / (precision + recall);
}

} // namespace orch::eval
