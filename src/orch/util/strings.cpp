#include <orch/util/strings.hpp>

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace orch::util {

namespace {
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
} // namespace

std::string trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && is_space(s[b])) {
        ++b;
    }
    while (e > b && is_space(s[e - 1])) {
        --e;
    }
    return std::string(s.substr(b, e - b));
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string collapse_whitespace(std::string_view s) {
    std::string out;
    bool in_space = false;
    for (char c : s) {
        if (is_space(c)) {
            in_space = true;
            continue;
        }
        if (in_space && !out.empty()) {
            out += ' ';
        }
        in_space = false;
        out += c;
    }
    return out;
}

std::string strip_punctuation(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (!std::ispunct(static_cast<unsigned char>(c))) {
            out += c;
        }
    }
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            out.emplace_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    return out;
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80)) {
            cur += c;
        } else if (!cur.empty()) {
            out.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) {
        out.push_back(std::move(cur));
    }
    return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) {
            out += sep;
        }
        out += parts[i];
    }
    return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    if (from.empty()) {
        return s;
    }
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
    return s;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) {
        return false;
    }
    return to_lower(s.substr(0, prefix.size())) == to_lower(prefix);
}

std::string truncate(std::string_view s, size_t max_chars) {
    if (s.size() <= max_chars) {
        return std::string(s);
    }
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
        --cut; // do not split a UTF-8 sequence
    }
    return std::string(s.substr(0, cut)) + "…";
}

std::string strip_code_fence(std::string_view s) {
    std::string t = trim(s);
    if (t.rfind("```", 0) != 0) {
        return t;
    }
    size_t first_nl = t.find('\n');
    size_t last = t.rfind("```");
    if (first_nl == std::string::npos || last == std::string::npos || last <= first_nl) {
        return t;
    }
    return trim(std::string_view(t).substr(first_nl + 1, last - first_nl - 1));
}

bool parse_number(std::string_view s, double& out) {
    std::string clean;
    std::string t = trim(s);
    for (size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (c == ',' || c == '$' || c == '_') {
            continue;
        }
        clean += c;
    }
    if (clean.empty()) {
        return false;
    }
    const char* begin = clean.data();
    const char* end = begin + clean.size();
    if (*begin == '+') {
        ++begin;
    }
    auto [ptr, ec] = std::from_chars(begin, end, out);
    return ec == std::errc() && ptr == end;
}

std::vector<double> numbers_in(std::string_view text) {
    std::vector<double> out;
    size_t i = 0;
    auto digit = [&](size_t k) {
        return k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]));
    };
    while (i < text.size()) {
        bool neg = text[i] == '-' && digit(i + 1) && (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1])));
        if (!digit(i) && !neg) {
            ++i;
            continue;
        }
        size_t start = i;
        if (neg) {
            ++i;
        }
        std::string num = neg ? "-" : "";
        while (i < text.size()) {
            char c = text[i];
            if (std::isdigit(static_cast<unsigned char>(c))) {
                num += c;
            } else if (c == ',' && digit(i + 1) && digit(i + 2) && digit(i + 3) && !digit(i + 4)) {
                // thousands separator
            } else if (c == '.' && digit(i + 1) && num.find('.') == std::string::npos) {
                num += c;
            } else {
                break;
            }
            ++i;
        }
        double v = 0;
        if (parse_number(num, v)) {
            out.push_back(v);
        }
        if (i == start) {
            ++i;
        }
    }
    return out;
}

} // namespace orch::util
