#include <orch/learn/answer_checks.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace orch::learn {

namespace {

bool is_digit(char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// A comma followed by exactly three digits ("1,200"), not a list ("1,2").
bool thousands_separator(std::string_view s, size_t comma) {
    auto digit_at = [&](size_t k) { return k < s.size() && is_digit(s[k]); };
    return digit_at(comma + 1) && digit_at(comma + 2) && digit_at(comma + 3) &&
           !digit_at(comma + 4);
}

// Recursive descent over one expression; `pos` advances past what was read.
class Arithmetic {
  public:
    explicit Arithmetic(std::string_view s) : m_s(s) {}

    std::optional<double> parse() {
        auto v = expression();
        skip_spaces();
        if (!v || m_pos != m_s.size() || m_operators == 0) {
            return std::nullopt;
        }
        return v;
    }

  private:
    void skip_spaces() {
        while (m_pos < m_s.size() &&
               (m_s[m_pos] == ' ' || m_s[m_pos] == '\\' || m_s[m_pos] == '$')) {
            ++m_pos; // "\*" is markdown-escaped multiplication; "$" a currency sign
        }
    }
    // Multiplication: *, x (between numbers), × (UTF-8 C3 97); division: /, ÷ (C3 B7).
    int mul_op() {
        skip_spaces();
        if (m_pos >= m_s.size()) {
            return 0;
        }
        char c = m_s[m_pos];
        if (c == '*' || c == 'x' || c == 'X') {
            ++m_pos;
            return '*';
        }
        if (c == '/') {
            ++m_pos;
            return '/';
        }
        if (c == '\xC3' && m_pos + 1 < m_s.size() &&
            (m_s[m_pos + 1] == '\x97' || m_s[m_pos + 1] == '\xB7')) {
            int op = m_s[m_pos + 1] == '\x97' ? '*' : '/';
            m_pos += 2;
            return op;
        }
        return 0;
    }
    std::optional<double> expression() {
        auto left = term();
        while (left) {
            skip_spaces();
            if (m_pos >= m_s.size() || (m_s[m_pos] != '+' && m_s[m_pos] != '-')) {
                break;
            }
            char op = m_s[m_pos++];
            ++m_operators;
            auto right = term();
            if (!right) {
                return std::nullopt;
            }
            left = op == '+' ? *left + *right : *left - *right;
        }
        return left;
    }
    std::optional<double> term() {
        auto left = power();
        while (left) {
            size_t save = m_pos;
            int op = mul_op();
            if (op == 0) {
                m_pos = save;
                break;
            }
            ++m_operators;
            auto right = power();
            if (!right) {
                return std::nullopt;
            }
            if (op == '/') {
                if (*right == 0) {
                    return std::nullopt;
                }
                left = *left / *right;
            } else {
                left = *left * *right;
            }
        }
        return left;
    }
    std::optional<double> power() {
        auto base = factor();
        skip_spaces();
        if (base && m_pos < m_s.size() && m_s[m_pos] == '^') {
            ++m_pos;
            ++m_operators;
            auto exponent = factor();
            if (!exponent || std::abs(*exponent) > 64) {
                return std::nullopt;
            }
            return std::pow(*base, *exponent);
        }
        return base;
    }
    std::optional<double> factor() {
        skip_spaces();
        if (m_pos >= m_s.size()) {
            return std::nullopt;
        }
        char c = m_s[m_pos];
        if (c == '-' || c == '+') {
            ++m_pos;
            auto v = factor();
            return v && c == '-' ? std::optional(-*v) : v;
        }
        if (c == '(') {
            ++m_pos;
            auto v = expression();
            skip_spaces();
            if (!v || m_pos >= m_s.size() || m_s[m_pos] != ')') {
                return std::nullopt;
            }
            ++m_pos;
            return v;
        }
        return number();
    }
    std::optional<double> number() {
        std::string digits;
        bool dot = false;
        while (m_pos < m_s.size()) {
            char c = m_s[m_pos];
            if (is_digit(c)) {
                digits += c;
            } else if (c == ',' && !dot && !digits.empty() && thousands_separator(m_s, m_pos)) {
                // a thousands separator: skip it
            } else if (c == '.' && !dot && m_pos + 1 < m_s.size() && is_digit(m_s[m_pos + 1])) {
                dot = true;
                digits += c;
            } else {
                break;
            }
            ++m_pos;
        }
        double v = 0;
        if (digits.empty() || !util::parse_number(digits, v)) {
            return std::nullopt;
        }
        if (m_pos < m_s.size() && m_s[m_pos] == '%') {
            return std::nullopt; // percentages are read too many ways to check
        }
        return v;
    }

    std::string_view m_s;
    size_t m_pos = 0;
    int m_operators = 0;
};

// Decimal places written in a number's text ("2.50" → 2).
int decimals(std::string_view text) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos) {
        return 0;
    }
    int n = 0;
    for (size_t i = dot + 1; i < text.size() && is_digit(text[i]); ++i) {
        ++n;
    }
    return n;
}

// A stated result agrees with the computed one up to the precision it was written with.
bool agrees(double computed, double stated, std::string_view stated_text) {
    double tolerance = 0.5 * std::pow(10.0, -decimals(stated_text)) + 1e-9 * std::abs(computed);
    return std::abs(computed - stated) <= tolerance;
}

// The number text starting at `pos` (digits, thousands commas, one dot), or "".
std::string_view number_at(std::string_view s, size_t pos) {
    size_t end = pos;
    bool dot = false;
    while (end < s.size()) {
        char c = s[end];
        if (is_digit(c)) {
            ++end;
        } else if (c == ',' && !dot && end > pos && thousands_separator(s, end)) {
            ++end;
        } else if (c == '.' && !dot && end + 1 < s.size() && is_digit(s[end + 1])) {
            dot = true;
            ++end;
        } else {
            break;
        }
    }
    return s.substr(pos, end - pos);
}

std::optional<double> to_number(std::string_view text) {
    double v = 0;
    if (text.empty() || !util::parse_number(text, v)) {
        return std::nullopt;
    }
    return v;
}

bool same_number(double a, double b) {
    return std::abs(a - b) <= 1e-6 * std::max(1.0, std::abs(a));
}

constexpr std::string_view k_markers[] = {"####", "answer is", "answer:", "\\boxed{"};
constexpr std::string_view k_hedges[] = {
    "however",      "but ",          "cannot",   "can't",
    "not possible", "approximately", "round",    "assum",
    "unclear",      "not enough",    "actually", "mistake",
    "instead",      "impossible",    "not sure", "doesn't make sense"};

} // namespace

std::optional<double> evaluate_arithmetic(std::string_view expression) {
    return Arithmetic(expression).parse();
}

AnswerChecks check_answer(std::string_view response) {
    AnswerChecks c;
    c.length = response.size();
    std::string lower = util::to_lower(response);

    // The final answer: the first number after the last marker.
    size_t marker_at = std::string::npos;
    size_t marker_len = 0;
    for (auto m : k_markers) {
        size_t at = lower.rfind(m);
        if (at != std::string::npos && (marker_at == std::string::npos || at > marker_at)) {
            marker_at = at;
            marker_len = m.size();
        }
    }
    size_t working_end = marker_at == std::string::npos ? response.size() : marker_at;
    if (marker_at != std::string::npos) {
        size_t limit = std::min(response.size(), marker_at + marker_len + 80);
        for (size_t i = marker_at + marker_len; i < limit; ++i) {
            if (is_digit(response[i])) {
                bool negative = i > 0 && response[i - 1] == '-';
                auto v = to_number(number_at(response, i));
                if (v) {
                    c.final_answer = negative ? -*v : *v;
                }
                break;
            }
        }
    }
    if (c.final_answer) {
        c.final_is_integer = std::abs(*c.final_answer - std::round(*c.final_answer)) < 1e-9;
    }

    // The working: check each stated calculation, and collect the results and numbers.
    std::string_view working = response.substr(0, working_end);
    std::vector<double> results;
    std::vector<double> numbers = util::numbers_in(working);
    for (size_t eq = working.find('='); eq != std::string_view::npos;
         eq = working.find('=', eq + 1)) {
        bool in_annotation = false;
        size_t open = working.rfind("<<", eq);
        if (open != std::string_view::npos) {
            size_t close = working.find(">>", open);
            in_annotation = close == std::string_view::npos || close > eq;
        }
        // The left side: the arithmetic run just before '=' (annotations: from "<<").
        size_t begin = eq;
        if (in_annotation) {
            begin = open + 2;
        } else {
            while (begin > 0) {
                char ch = working[begin - 1];
                if (is_digit(ch) ||
                    std::string_view(" .,+-*/()$^\\xX").find(ch) != std::string_view::npos ||
                    ch == '\xC3' || ch == '\x97' || ch == '\xB7') {
                    --begin;
                } else {
                    break;
                }
            }
        }
        std::string left = util::trim(working.substr(begin, eq - begin));
        while (!left.empty() &&
               (left.front() == ',' || left.front() == '.' || left.front() == 'x' ||
                left.front() == 'X' || left.front() == ')')) {
            left.erase(0, 1);
        }
        // The right side: the number after '=' ("$" and spaces skipped).
        size_t r = eq + 1;
        while (r < working.size() && (working[r] == ' ' || working[r] == '$')) {
            ++r;
        }
        if (r >= working.size() || working[r] == '<') {
            continue; // "= <<…>>": the annotation is checked on its own
        }
        bool negative = working[r] == '-';
        std::string_view stated_text = number_at(working, negative ? r + 1 : r);
        auto stated = to_number(stated_text);
        if (!stated) {
            continue;
        }
        double value = negative ? -*stated : *stated;
        results.push_back(value);
        // "<<80/120=2/3>>": the stated result may itself be an expression.
        if (in_annotation) {
            size_t close = working.find(">>", eq);
            std::string right(working.substr(
                eq + 1, close == std::string_view::npos ? std::string_view::npos : close - eq - 1));
            if (auto v = evaluate_arithmetic(right)) {
                value = *v;
                stated_text = "0.00";
            }
        }
        if (auto computed = evaluate_arithmetic(left)) {
            ++c.calculations;
            if (!agrees(*computed, value, stated_text)) {
                ++c.calculation_errors;
            }
        }
    }
    if (c.final_answer) {
        double f = *c.final_answer;
        c.final_is_last_result = !results.empty() && same_number(results.back(), f);
        c.final_in_working = std::any_of(numbers.begin(), numbers.end(),
                                         [&](double n) { return same_number(n, f); });
    }

    for (auto h : k_hedges) {
        for (size_t at = lower.find(h); at != std::string::npos;
             at = lower.find(h, at + h.size())) {
            ++c.hedges;
        }
    }
    std::set<std::string> lines;
    for (const auto& line : util::split(response, '\n')) {
        std::string t = util::trim(line);
        if (t.size() >= 20 && !lines.insert(t).second) {
            c.repeats = true;
        }
    }
    return c;
}

} // namespace orch::learn
