#include <orch/report/text.hpp>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace orch::report {

namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD"; // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) {
        return 1;
    }
    std::size_t len = 0;
    unsigned min_second = 0x80;
    unsigned max_second = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min_second = c == 0xE0 ? 0xA0 : 0x80; // no overlong forms
        max_second = c == 0xED ? 0x9F : 0xBF; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min_second = c == 0xF0 ? 0x90 : 0x80;
        max_second = c == 0xF4 ? 0x8F : 0xBF; // nothing beyond U+10FFFF
    } else {
        return 0;
    }
    if (i + len > s.size()) {
        return 0;
    }
    if (byte(i + 1) < min_second || byte(i + 1) > max_second) {
        return 0;
    }
    for (std::size_t k = 2; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

// Calls fn(sequence) for every character of s, invalid bytes turned into U+FFFD.
template <typename Fn> void for_each_char(std::string_view s, Fn&& fn) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t len = utf8_sequence_length(s, i);
        if (len == 0) {
            fn(k_replacement);
            ++i;
            continue;
        }
        fn(s.substr(i, len));
        i += len;
    }
}

} // namespace

std::string money(double usd) {
    if (usd == 0) {
        return "$0";
    }
    if (usd < 0) {
        return "-" + money(-usd);
    }
    double magnitude = usd;
    if (magnitude >= 1) {
        return fmt::format("${:.2f}", usd);
    }
    if (magnitude >= 0.01) {
        return fmt::format("${:.4f}", usd);
    }
    // Three significant digits: cheap models differ in the fifth or sixth decimal.
    int decimals = 2 - static_cast<int>(std::floor(std::log10(magnitude)));
    return fmt::format("${:.{}f}", usd, std::min(decimals, 10));
}

std::string ms(double milliseconds) {
    if (std::abs(milliseconds) < 0.5) {
        return "0ms"; // never "-0ms"
    }
    if (std::abs(milliseconds) >= 10000) {
        return fmt::format("{:.1f}s", milliseconds / 1000);
    }
    return fmt::format("{:.0f}ms", milliseconds);
}

std::string percent(double fraction) {
    return fmt::format("{:.1f}%", fraction * 100);
}

std::string signed_fixed(double value, int decimals) {
    if (round_to(value, decimals) == 0) {
        value = 0; // never "-0.000"
    }
    return fmt::format("{:+.{}f}", value, decimals);
}

std::string signed_money(double usd) {
    if (usd == 0) {
        return "$0";
    }
    std::string m = money(std::abs(usd));
    return (usd < 0 ? "-" : "+") + m;
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for_each_char(s, [&](std::string_view c) { out += c; });
    return out;
}

std::string one_line(std::string_view s, std::size_t max_chars) {
    std::string out;
    std::size_t chars = 0;
    bool pending_space = false;
    bool cut = false;
    for_each_char(s, [&](std::string_view c) {
        if (cut) {
            return;
        }
        if (c.size() == 1 && (c[0] == ' ' || c[0] == '\n' || c[0] == '\t' || c[0] == '\r')) {
            pending_space = !out.empty();
            return;
        }
        if (c.size() == 1 && (static_cast<unsigned char>(c[0]) < 0x20 || c[0] == 0x7f)) {
            c = k_replacement; // no terminal escape sequences from model output
        }
        if (chars + (pending_space ? 1 : 0) + 1 > max_chars) {
            cut = true;
            return;
        }
        if (pending_space) {
            out += ' ';
            ++chars;
            pending_space = false;
        }
        out += c;
        ++chars;
    });
    if (cut) {
        out += "…";
    }
    return out;
}

std::string clip(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) {
        return std::string(s);
    }
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
        --cut; // do not split a UTF-8 sequence
    }
    return std::string(s.substr(0, cut)) + "…";
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for_each_char(s, [&](std::string_view c) {
        if (c.size() != 1) {
            out += c;
            return;
        }
        switch (c[0]) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        case '\0':
            out += k_replacement;
            break;
        default:
            out += c;
        }
    });
    return out;
}

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for_each_char(s, [&](std::string_view c) {
        if (c.size() != 1) {
            // U+FFFE and U+FFFF are not XML characters either.
            out += (c == "\xEF\xBF\xBE" || c == "\xEF\xBF\xBF") ? k_replacement : c;
            return;
        }
        auto ch = static_cast<unsigned char>(c[0]);
        switch (ch) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
                out += k_replacement;
            } else {
                out += c;
            }
        }
    });
    return out;
}

std::string csv_field(std::string_view s) {
    std::string v = valid_utf8(s);
    if (v.find_first_of(",\"\r\n") == std::string::npos) {
        return v;
    }
    std::string out = "\"";
    for (char c : v) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

std::string md_cell(std::string_view s, std::size_t max_chars) {
    std::string line = one_line(s, max_chars);
    std::string out;
    out.reserve(line.size() + 8);
    for (char c : line) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '|':
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '$': // GitHub renders $…$ as math
            out += '\\';
            out += c;
            break;
        default:
            out += c;
        }
    }
    return out;
}

double round_to(double x, int decimals) {
    double scale = std::pow(10.0, decimals);
    double r = std::round(x * scale) / scale;
    return r == 0 ? 0.0 : r; // no -0 in output
}

} // namespace orch::report
