#include <orch/learn/answer_checks.hpp>
#include <orch/learn/features.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

namespace orch::learn {

namespace {

const std::vector<std::string> k_prompt_features = {
    "log_chars", "log_words", "log_lines",  "digit_share", "numbers",     "question_marks",
    "code",      "math",      "list_items", "negation",    "upper_share",
    // Word problems: how many steps and what kind of arithmetic they ask for.
    "sentences", "distinct_numbers", "largest_number", "decimals", "percent", "fractions", "money", "units",
};
const std::vector<std::string> k_answer_features = {
    "answer_none",    "answer_fractional", "answer_not_in_working", "answer_not_last_result",
    "calc_errors",    "calc_none",         "answer_log_chars",      "answer_hedges",
    "answer_repeats",
};

std::vector<std::string> all_names(bool answers) {
    std::vector<std::string> out = k_prompt_features;
    if (answers) {
        out.insert(out.end(), k_answer_features.begin(), k_answer_features.end());
    }
    return out;
}

class Builder {
  public:
    explicit Builder(const FeatureConfig& c)
        : m_mask((std::uint64_t{1} << c.hash_bits) - 1),
          m_dense_base(std::uint64_t{1} << c.hash_bits) {}

    void hashed(std::string_view key, double value) {
        m_pairs.emplace_back(static_cast<std::uint32_t>(util::hash64(key) & m_mask), value);
    }
    // The i-th dense feature (k_prompt_features then k_answer_features).
    void dense(std::size_t i, double value) {
        if (value != 0) {
            m_pairs.emplace_back(static_cast<std::uint32_t>(m_dense_base + i), value * k_dense_weight);
        }
    }
    SparseVector finish() {
        std::sort(m_pairs.begin(), m_pairs.end());
        SparseVector v;
        for (const auto& [index, value] : m_pairs) {
            if (!v.index.empty() && v.index.back() == index) {
                v.value.back() += value;
            } else {
                v.index.push_back(index);
                v.value.push_back(value);
            }
        }
        return v;
    }

  private:
    std::uint64_t m_mask;
    std::uint64_t m_dense_base;
    std::vector<std::pair<std::uint32_t, double>> m_pairs;
};

double squash(double x, double scale) {
    return std::min(x / scale, 1.0);
}

bool has_code(std::string_view p) {
    for (std::string_view marker :
         {"```", "def ", "#include", "return ", "function ", "};", "){", "print("}) {
        if (p.find(marker) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

// Words a question uses to turn its meaning around ("Which is NOT …", "… EXCEPT").
// Counts words of `lower` (lower-case words) that are in `set`.
double count_words(const std::vector<std::string>& lower, std::initializer_list<std::string_view> set) {
    double n = 0;
    for (const auto& w : lower) {
        for (std::string_view s : set) {
            n += w == s ? 1 : 0;
        }
    }
    return n;
}

bool has_negation(std::string_view p) {
    for (const auto& w : util::split_words(p)) {
        if (w == "NOT" || w == "EXCEPT" || w == "LEAST" || w == "FALSE") {
            return true;
        }
    }
    return false;
}

} // namespace

const std::vector<std::string>& dense_feature_names(const FeatureConfig& config) {
    static const std::vector<std::string> plain = all_names(false);
    static const std::vector<std::string> answers = all_names(true);
    return config.answer_checks ? answers : plain;
}

std::size_t feature_dim(const FeatureConfig& config) {
    return (std::size_t{1} << config.hash_bits) + dense_feature_names(config).size();
}

SparseVector extract_features(const FeatureConfig& config, std::string_view prompt,
                              std::string_view task_type,
                              std::optional<std::string_view> response) {
    Builder b(config);
    b.hashed("type=" + std::string(task_type), 1.0);

    // Words: the presence of each, scaled so that every prompt's words weigh the same.
    std::vector<std::string> words = util::split_words(util::to_lower(prompt));
    std::vector<std::string> grams;
    grams.reserve(words.size() * 2);
    for (size_t i = 0; i < words.size(); ++i) {
        grams.push_back("w:" + words[i]);
        if (config.bigrams && i + 1 < words.size()) {
            grams.push_back("b:" + words[i] + " " + words[i + 1]);
        }
    }
    std::sort(grams.begin(), grams.end());
    grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
    double word_weight = grams.empty() ? 0 : 1.0 / std::sqrt(static_cast<double>(grams.size()));
    for (const auto& g : grams) {
        b.hashed(g, word_weight);
    }

    // Shape: each scaled to about [0, 1].
    double chars = static_cast<double>(prompt.size());
    double digits = 0, upper = 0, letters = 0, questions = 0, math = 0, lines = 1, list_items = 0;
    bool line_start = true;
    for (size_t i = 0; i < prompt.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(prompt[i]);
        digits += std::isdigit(c) ? 1 : 0;
        letters += std::isalpha(c) ? 1 : 0;
        upper += std::isupper(c) ? 1 : 0;
        questions += c == '?' ? 1 : 0;
        math += std::string_view("=+*/^<>%\\").find(static_cast<char>(c)) != std::string_view::npos
                    ? 1
                    : 0;
        if (c == '\n') {
            ++lines;
            line_start = true;
            continue;
        }
        if (line_start && !std::isspace(c)) {
            line_start = false;
            std::string_view rest = prompt.substr(i, 4);
            bool bullet = (c == '-' || c == '*') && rest.size() > 1 && rest[1] == ' ';
            bool numbered = (std::isalnum(c) != 0) && rest.size() > 2 &&
                            (rest[1] == '.' || rest[1] == ')') && rest[2] == ' ';
            list_items += (bullet || numbered) ? 1 : 0;
        }
    }
    std::size_t k = 0;
    b.dense(k++, std::log1p(chars) / 8);
    b.dense(k++, std::log1p(static_cast<double>(words.size())) / 6);
    b.dense(k++, std::log1p(lines) / 3);
    b.dense(k++, chars > 0 ? std::min(digits / chars * 5, 1.0) : 0);
    b.dense(k++, squash(static_cast<double>(util::numbers_in(prompt).size()), 10));
    b.dense(k++, squash(questions, 3));
    b.dense(k++, has_code(prompt) ? 1 : 0);
    b.dense(k++, squash(math, 5));
    b.dense(k++, squash(list_items, 4));
    b.dense(k++, has_negation(prompt) ? 1 : 0);
    b.dense(k++, letters > 0 ? upper / letters : 0);

    double sentences = 0;
    for (size_t i = 0; i < prompt.size(); ++i) {
        char c = prompt[i];
        bool end = i + 1 == prompt.size() || std::isspace(static_cast<unsigned char>(prompt[i + 1])) != 0;
        sentences += (c == '.' || c == '?' || c == '!') && end ? 1 : 0;
    }
    std::vector<double> numbers = util::numbers_in(prompt);
    std::vector<double> distinct = numbers;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    double largest = 0, decimals = 0;
    for (double n : numbers) {
        largest = std::max(largest, std::abs(n));
        decimals += n != std::floor(n) ? 1 : 0;
    }
    b.dense(k++, squash(sentences, 6));
    b.dense(k++, squash(static_cast<double>(distinct.size()), 6));
    b.dense(k++, std::log10(1 + largest) / 6);
    b.dense(k++, squash(decimals, 2));
    b.dense(k++, squash(count_words(words, {"percent", "%"}) +
                            static_cast<double>(std::count(prompt.begin(), prompt.end(), '%')), 2));
    b.dense(k++, squash(count_words(words, {"half", "third", "thirds", "quarter", "quarters", "fifth", "twice",
                                            "double", "triple", "fraction"}),
                        2));
    b.dense(k++, squash(static_cast<double>(std::count(prompt.begin(), prompt.end(), '$')) +
                            count_words(words, {"dollars", "cents", "price", "cost", "costs", "profit"}),
                        3));
    b.dense(k++, squash(count_words(words, {"hour", "hours", "minute", "minutes", "day", "days", "week", "weeks",
                                            "month", "months", "year", "years", "mile", "miles", "km", "pounds"}),
                        3));

    if (config.answer_checks && response) {
        AnswerChecks a = check_answer(*response);
        bool has = a.final_answer.has_value();
        b.dense(k++, has ? 0 : 1);
        b.dense(k++, has && !a.final_is_integer ? 1 : 0);
        b.dense(k++, has && !a.final_in_working ? 1 : 0);
        b.dense(k++, has && !a.final_is_last_result ? 1 : 0);
        b.dense(k++, squash(a.calculation_errors, 2));
        b.dense(k++, a.calculations == 0 ? 1 : 0);
        b.dense(k++, std::log1p(static_cast<double>(a.length)) / 8);
        b.dense(k++, squash(a.hedges, 3));
        b.dense(k++, a.repeats ? 1 : 0);
    }
    return b.finish();
}

} // namespace orch::learn
