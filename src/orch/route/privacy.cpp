#include <orch/route/privacy.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace orch::route {

std::string to_string(SensitiveKind kind) {
    switch (kind) {
    case SensitiveKind::email:
        return "email";
    case SensitiveKind::phone:
        return "phone";
    case SensitiveKind::card:
        return "card";
    case SensitiveKind::iban:
        return "iban";
    case SensitiveKind::national_id:
        return "national_id";
    case SensitiveKind::secret:
        return "secret";
    }
    return "unknown";
}

std::string placeholder(SensitiveKind kind) {
    std::string name = to_string(kind);
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
        return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    });
    return "[" + name + "]";
}

namespace {

// ASCII classification: UTF-8 bytes above 0x7f are never letters or digits here.
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}
bool is_alpha(char c) {
    return is_upper(c) || is_lower(c);
}
bool is_alnum(char c) {
    return is_digit(c) || is_alpha(c);
}
char upper(char c) {
    return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
}

struct Scan {
    std::string_view text;
    std::vector<SensitiveSpan> found;

    char at(std::size_t i) const { return i < text.size() ? text[i] : '\0'; }
    char before(std::size_t i) const { return i == 0 ? '\0' : text[i - 1]; }
    void add(SensitiveKind kind, std::size_t b, std::size_t e) { found.push_back({kind, b, e}); }
    bool starts_with_ci(std::size_t i, std::string_view word) const {
        if (i + word.size() > text.size()) {
            return false;
        }
        for (std::size_t k = 0; k < word.size(); ++k) {
            if (upper(text[i + k]) != upper(word[k])) {
                return false;
            }
        }
        return true;
    }
};

// ---- email --------------------------------------------------------------------------------

bool is_local_char(char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

void scan_emails(Scan& s) {
    const std::string_view t = s.text;
    for (std::size_t at = t.find('@'); at != std::string_view::npos; at = t.find('@', at + 1)) {
        std::size_t b = at;
        while (b > 0 && is_local_char(t[b - 1])) {
            --b;
        }
        while (b < at && t[b] == '.') {
            ++b;
        }
        if (b == at) {
            continue;
        }
        std::size_t e = at + 1;
        while (e < t.size() && (is_alnum(t[e]) || t[e] == '.' || t[e] == '-')) {
            ++e;
        }
        while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) {
            --e;
        }
        std::string_view domain = t.substr(at + 1, e - at - 1);
        std::size_t dot = domain.rfind('.');
        if (dot == std::string_view::npos || dot == 0 ||
            domain.find("..") != std::string_view::npos || domain.front() == '-') {
            continue;
        }
        std::string_view tld = domain.substr(dot + 1);
        if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), is_alpha)) {
            continue;
        }
        s.add(SensitiveKind::email, b, e);
    }
}

// ---- phone --------------------------------------------------------------------------------

// A character right before a number that makes it part of something else: a word, an amount
// ($1,299), a decimal, an id (#123, ABC-123), a time (10:30) or a path.
bool blocks_number_start(char c) {
    return is_alnum(c) || c == '.' || c == ',' || c == '$' || c == '_' || c == '/' || c == '-' ||
           c == ':' || c == '#' || c == '+' || c == '=' || static_cast<unsigned char>(c) >= 0x80;
}

bool phone_keyword_before(const Scan& s, std::size_t i) {
    static const std::array<std::string_view, 9> words = {
        "phone", "tel", "call", "mobile", "cell", "fax", "sms", "whatsapp", "contact"};
    std::size_t from = i > 24 ? i - 24 : 0;
    for (std::size_t k = from; k < i; ++k) {
        for (auto w : words) {
            if (s.starts_with_ci(k, w)) {
                return true;
            }
        }
    }
    return false;
}

struct NumberToken {
    std::size_t end = 0;
    std::size_t digits = 0;
    std::vector<std::size_t> groups;
    std::string digit_text;
    bool plus = false;
    bool paren = false;
    bool dot_sep = false;
    std::size_t last_digit_end = 0;
    bool other_sep = false;
};

// Digits in groups separated by single spaces, dashes or dots, with an optional leading '+'
// and one parenthesised group: "+1 (555) 123-4567", "020 7946 0958".
NumberToken read_phone_token(const Scan& s, std::size_t i) {
    NumberToken tok;
    std::size_t j = i;
    std::size_t cur = 0;
    auto close_group = [&] {
        if (cur > 0) {
            tok.groups.push_back(cur);
            cur = 0;
        }
    };
    if (s.at(j) == '+') {
        tok.plus = true;
        ++j;
    }
    while (j < s.text.size()) {
        char c = s.text[j];
        if (is_digit(c)) {
            ++cur;
            ++tok.digits;
            tok.digit_text += c;
            ++j;
            tok.last_digit_end = j;
        } else if (c == '(' && cur == 0 && !tok.paren) {
            std::size_t k = j + 1;
            std::size_t n = 0;
            while (is_digit(s.at(k))) {
                ++k;
                ++n;
            }
            if (n == 0 || n > 4 || s.at(k) != ')') {
                break;
            }
            for (std::size_t d = j + 1; d < k; ++d) {
                tok.digit_text += s.text[d];
            }
            tok.groups.push_back(n);
            tok.digits += n;
            tok.paren = true;
            j = k + 1;
            tok.last_digit_end = j;
            if ((s.at(j) == ' ' || s.at(j) == '-') && is_digit(s.at(j + 1))) {
                ++j;
            }
        } else if ((c == ' ' || c == '-' || c == '.') && cur > 0 &&
                   (is_digit(s.at(j + 1)) || s.at(j + 1) == '(')) {
            close_group();
            (c == '.' ? tok.dot_sep : tok.other_sep) = true;
            ++j;
        } else {
            break;
        }
    }
    close_group();
    tok.end = tok.digits > 0 ? tok.last_digit_end : j; // never a trailing separator
    return tok;
}

bool phone_shaped(const Scan& s, std::size_t start, const NumberToken& tok) {
    std::size_t d = tok.digits;
    char next = s.at(tok.end);
    if (is_alnum(next) || ((next == ',' || next == '.') && is_digit(s.at(tok.end + 1)))) {
        return false;
    }
    // An IPv4 address or a dotted version is not a phone.
    if (tok.dot_sep && !tok.other_sep && !tok.plus && tok.groups.size() == 4 &&
        std::all_of(tok.groups.begin(), tok.groups.end(), [](std::size_t g) { return g <= 3; })) {
        return false;
    }
    bool separated = tok.groups.size() > 1 || tok.paren;
    if (tok.plus) {
        return d >= 9 && d <= 15;
    }
    if (tok.digit_text.rfind("00", 0) == 0 && d >= 11 && d <= 17) {
        return true; // 00 + country code: the international prefix written out
    }
    if (separated) {
        std::vector<std::size_t> g = tok.groups;
        if (g.size() == 4 && g[0] == 1 && tok.digit_text[0] == '1') {
            g.erase(g.begin());
        }
        if (g == std::vector<std::size_t>{3, 3, 4}) {
            return true; // North American layout
        }
        if (tok.digit_text[0] == '0' && d >= 10 && d <= 11 &&
            std::all_of(tok.groups.begin(), tok.groups.end(),
                        [](std::size_t x) { return x >= 2; })) {
            return true; // a national number with its trunk prefix: 020 7946 0958, 06 12 34 56 78
        }
    }
    // Anything else needs the word "phone" (or similar) just before it.
    if (d >= 9 && d <= 15 && phone_keyword_before(s, start)) {
        return separated || d <= 11;
    }
    return false;
}

void scan_phones(Scan& s) {
    const std::string_view t = s.text;
    std::size_t i = 0;
    while (i < t.size()) {
        char c = t[i];
        bool can_start = c == '+' ? is_digit(s.at(i + 1)) : (c == '(' || is_digit(c));
        if (!can_start || blocks_number_start(s.before(i))) {
            ++i;
            continue;
        }
        NumberToken tok = read_phone_token(s, i);
        if (tok.end <= i) {
            ++i;
            continue;
        }
        if (tok.digits > 0 && phone_shaped(s, i, tok)) {
            s.add(SensitiveKind::phone, i, tok.end);
        }
        i = tok.end;
        while (i < t.size() && is_digit(t[i])) { // the rest of a number glued to a rejected token
            ++i;
        }
    }
}

// ---- card ---------------------------------------------------------------------------------

bool luhn_ok(const std::string& digits) {
    int sum = 0;
    bool twice = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        int v = *it - '0';
        if (twice) {
            v *= 2;
            if (v > 9) {
                v -= 9;
            }
        }
        sum += v;
        twice = !twice;
    }
    return sum % 10 == 0;
}

// The issuer prefix fixes the length: an 18-digit number starting 37 is no American Express.
bool card_network_ok(const std::string& n) {
    auto prefix = [&](int digits) {
        return std::stoi(n.substr(0, static_cast<std::size_t>(digits)));
    };
    std::size_t len = n.size();
    int p2 = prefix(2);
    int p4 = prefix(4);
    if (n[0] == '4') {
        return len == 13 || len == 16 || len == 19; // Visa
    }
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) {
        return len == 16; // Mastercard
    }
    if (p2 == 34 || p2 == 37) {
        return len == 15; // American Express
    }
    if (p2 == 35 || p2 == 36 || p2 == 38 || p2 == 30 || p2 == 39) {
        return len >= 14 && len <= 19; // JCB, Diners Club
    }
    if (n[0] == '6' || p2 == 50 || (p2 >= 56 && p2 <= 58)) {
        return len >= 13 && len <= 19; // Discover, UnionPay, Maestro
    }
    return false;
}

void scan_cards(Scan& s) {
    const std::string_view t = s.text;
    std::size_t i = 0;
    while (i < t.size()) {
        if (!is_digit(t[i]) || blocks_number_start(s.before(i))) {
            ++i;
            continue;
        }
        // Digits with single spaces or dashes between them; each group end is a candidate end.
        std::string digits;
        std::vector<std::pair<std::size_t, std::size_t>> ends; // (position, digit count)
        std::size_t j = i;
        while (j < t.size()) {
            if (is_digit(t[j])) {
                digits += t[j];
                ++j;
            } else if ((t[j] == ' ' || t[j] == '-') && is_digit(s.at(j + 1))) {
                ends.emplace_back(j, digits.size());
                ++j;
            } else {
                break;
            }
        }
        ends.emplace_back(j, digits.size());
        bool glued =
            is_alpha(s.at(j)) || ((s.at(j) == '.' || s.at(j) == ',') && is_digit(s.at(j + 1)));
        // The longest Luhn-valid prefix ending at a group boundary: "4111 1111 1111 1111 2026".
        for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
            auto [end, n] = *it;
            if (n < 13 || n > 19 || (end == j && glued)) {
                continue;
            }
            std::string number = digits.substr(0, n);
            if (card_network_ok(number) && luhn_ok(number)) {
                s.add(SensitiveKind::card, i, end);
                break;
            }
        }
        i = j;
    }
}

// ---- iban ---------------------------------------------------------------------------------

bool iban_mod97_ok(const std::string& compact) {
    std::string moved = compact.substr(4) + compact.substr(0, 4);
    int rem = 0;
    for (char c : moved) {
        if (is_digit(c)) {
            rem = (rem * 10 + (c - '0')) % 97;
        } else {
            int v = upper(c) - 'A' + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    return rem == 1;
}

void scan_ibans(Scan& s) {
    const std::string_view t = s.text;
    for (std::size_t i = 0; i + 4 < t.size(); ++i) {
        if (!is_upper(t[i]) || !is_upper(t[i + 1]) || !is_digit(t[i + 2]) || !is_digit(t[i + 3]) ||
            is_alnum(s.before(i))) {
            continue;
        }
        std::string compact;
        std::vector<std::pair<std::size_t, std::size_t>> ends; // (position, length)
        std::size_t j = i;
        while (j < t.size() && compact.size() < 40) {
            if (is_alnum(t[j])) {
                compact += upper(t[j]);
                ++j;
            } else if (t[j] == ' ' && is_alnum(s.at(j + 1)) && j > i + 3) {
                ends.emplace_back(j, compact.size());
                ++j;
            } else {
                break;
            }
        }
        if (!is_alnum(s.at(j))) {
            ends.emplace_back(j, compact.size());
        }
        for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
            auto [end, n] = *it;
            if (n < 15 || n > 34) {
                continue;
            }
            if (iban_mod97_ok(compact.substr(0, n))) {
                s.add(SensitiveKind::iban, i, end);
                i = end;
                break;
            }
        }
    }
}

// ---- national ids -------------------------------------------------------------------------

void scan_ssns(Scan& s) {
    const std::string_view t = s.text;
    for (std::size_t i = 0; i + 11 <= t.size(); ++i) {
        char b = s.before(i);
        if (is_alnum(b) || b == '-' || b == '.' || b == '/') {
            continue;
        }
        static constexpr std::string_view shape = "ddd-dd-dddd";
        bool ok = true;
        for (std::size_t k = 0; k < shape.size() && ok; ++k) {
            ok = shape[k] == 'd' ? is_digit(t[i + k]) : t[i + k] == '-';
        }
        char after = s.at(i + 11);
        if (!ok || is_alnum(after) || after == '-' ||
            ((after == '.' || after == '/') && is_digit(s.at(i + 12)))) {
            continue;
        }
        std::string_view area = t.substr(i, 3);
        if (area == "000" || area == "666" || area[0] == '9' || t.substr(i + 4, 2) == "00" ||
            t.substr(i + 7, 4) == "0000") {
            continue;
        }
        s.add(SensitiveKind::national_id, i, i + 11);
        i += 10;
    }
}

// UK National Insurance number: two letters, six digits (optionally in pairs), A-D.
void scan_ninos(Scan& s) {
    const std::string_view t = s.text;
    static constexpr std::string_view bad_first = "DFIQUV";
    static constexpr std::string_view bad_second = "DFIOQUV";
    static const std::array<std::string_view, 7> bad_prefix = {"BG", "GB", "NK", "KN",
                                                               "TN", "NT", "ZZ"};
    for (std::size_t i = 0; i + 9 <= t.size(); ++i) {
        if (!is_upper(t[i]) || !is_upper(t[i + 1]) || is_alnum(s.before(i))) {
            continue;
        }
        // QQ is never issued but is the format's published example: people paste it.
        bool example = t.substr(i, 2) == "QQ";
        if ((!example && (bad_first.find(t[i]) != std::string_view::npos ||
                          bad_second.find(t[i + 1]) != std::string_view::npos)) ||
            std::find(bad_prefix.begin(), bad_prefix.end(), t.substr(i, 2)) != bad_prefix.end()) {
            continue;
        }
        std::size_t j = i + 2;
        std::size_t digits = 0;
        while (digits < 6) {
            if (digits % 2 == 0 && s.at(j) == ' ' && is_digit(s.at(j + 1))) {
                ++j;
            }
            if (!is_digit(s.at(j))) {
                break;
            }
            ++digits;
            ++j;
        }
        if (digits != 6) {
            continue;
        }
        if (s.at(j) == ' ' && s.at(j + 1) >= 'A' && s.at(j + 1) <= 'D') {
            ++j;
        }
        char suffix = s.at(j);
        if (suffix < 'A' || suffix > 'D' || is_alnum(s.at(j + 1))) {
            continue;
        }
        s.add(SensitiveKind::national_id, i, j + 1);
        i = j;
    }
}

// ---- secrets ------------------------------------------------------------------------------

bool is_token_char(char c) {
    return is_alnum(c) || c == '_' || c == '-';
}

double entropy_bits_per_char(std::string_view v) {
    std::array<int, 256> counts{};
    for (char c : v) {
        ++counts[static_cast<unsigned char>(c)];
    }
    double h = 0;
    for (int n : counts) {
        if (n > 0) {
            double p = static_cast<double>(n) / static_cast<double>(v.size());
            h -= p * std::log2(p);
        }
    }
    return h;
}

// Length of a run of chars satisfying pred from i.
template <class Pred> std::size_t run_length(const Scan& s, std::size_t i, Pred pred) {
    std::size_t j = i;
    while (j < s.text.size() && pred(s.text[j])) {
        ++j;
    }
    return j - i;
}

// Vendor key formats: a fixed prefix, then enough key characters.
void scan_prefixed_keys(Scan& s) {
    struct Prefix {
        std::string_view text;
        std::size_t min_len; // of the part after the prefix
        bool upper_alnum_exact16;
    };
    static const std::array<Prefix, 14> prefixes = {{
        {"sk-", 20, false},
        {"AKIA", 16, true},
        {"ASIA", 16, true},
        {"ghp_", 20, false},
        {"gho_", 20, false},
        {"ghu_", 20, false},
        {"ghs_", 20, false},
        {"ghr_", 20, false},
        {"github_pat_", 20, false},
        {"xoxb-", 10, false},
        {"xoxp-", 10, false},
        {"xoxa-", 10, false},
        {"xoxr-", 10, false},
        {"xoxs-", 10, false},
    }};
    const std::string_view t = s.text;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (is_token_char(s.before(i))) {
            continue;
        }
        for (const auto& p : prefixes) {
            if (t.substr(i, p.text.size()) != p.text) {
                continue;
            }
            std::size_t from = i + p.text.size();
            if (p.upper_alnum_exact16) {
                std::size_t n =
                    run_length(s, from, [](char c) { return is_upper(c) || is_digit(c); });
                if (n == 16 && !is_alnum(s.at(from + n))) {
                    s.add(SensitiveKind::secret, i, from + n);
                }
            } else {
                std::size_t n = run_length(s, from, is_token_char);
                if (n >= p.min_len) {
                    s.add(SensitiveKind::secret, i, from + n);
                    i = from + n;
                }
            }
            break;
        }
    }
}

// A JSON Web Token: three base64url parts, the first one a JSON header ("eyJ").
void scan_jwts(Scan& s) {
    const std::string_view t = s.text;
    auto b64 = [](char c) { return is_alnum(c) || c == '_' || c == '-'; };
    for (std::size_t i = t.find("eyJ"); i != std::string_view::npos; i = t.find("eyJ", i + 1)) {
        if (is_token_char(s.before(i))) {
            continue;
        }
        std::size_t a = run_length(s, i, b64);
        if (a < 10 || s.at(i + a) != '.') {
            continue;
        }
        std::size_t b = run_length(s, i + a + 1, b64);
        if (b < 10 || s.at(i + a + 1 + b) != '.') {
            continue;
        }
        std::size_t c = run_length(s, i + a + b + 2, b64);
        if (c < 8) {
            continue;
        }
        std::size_t end = i + a + b + c + 2;
        s.add(SensitiveKind::secret, i, end);
        i = end;
    }
}

// -----BEGIN RSA PRIVATE KEY----- … -----END RSA PRIVATE KEY----- (to the end if unterminated).
void scan_private_keys(Scan& s) {
    const std::string_view t = s.text;
    for (std::size_t i = t.find("-----BEGIN "); i != std::string_view::npos;
         i = t.find("-----BEGIN ", i + 1)) {
        std::size_t line_end = t.find('\n', i);
        std::string_view header =
            t.substr(i, line_end == std::string_view::npos ? t.size() - i : line_end - i);
        std::size_t close = header.find("-----", 11);
        if (close == std::string_view::npos ||
            header.substr(0, close).find("PRIVATE KEY") == std::string_view::npos) {
            continue;
        }
        std::size_t end = t.size();
        std::size_t footer = t.find("-----END ", i + close);
        if (footer != std::string_view::npos) {
            std::size_t footer_close = t.find("-----", footer + 9);
            end = footer_close == std::string_view::npos ? t.size() : footer_close + 5;
        }
        s.add(SensitiveKind::secret, i, end);
        i = end - 1;
    }
}

// `api_key = "…"`, `token: …`, `Authorization: Bearer …`, `password=…`: the value is the secret.
void scan_assigned_secrets(Scan& s) {
    struct Keyword {
        std::string_view word;
        bool password; // passwords are short and not random: any 6+ chars not all lowercase letters
    };
    static const std::array<Keyword, 13> keywords = {{
        {"api_key", false},
        {"apikey", false},
        {"api-key", false},
        {"access_token", false},
        {"auth_token", false},
        {"client_secret", false},
        {"secret_key", false},
        {"secret", false},
        {"token", false},
        {"bearer", false},
        {"password", true},
        {"passwd", true},
        {"pwd", true},
    }};
    auto value_char = [](char c) {
        return is_alnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == '+' ||
               c == '=' || c == '~';
    };
    const std::string_view t = s.text;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (is_alnum(s.before(i))) {
            continue;
        }
        for (const auto& kw : keywords) {
            if (!s.starts_with_ci(i, kw.word) || is_alnum(s.at(i + kw.word.size()))) {
                continue;
            }
            // keyword ["'] [spaces] (':' | '=' | a space for Bearer) [spaces] ["']
            std::size_t j = i + kw.word.size();
            if (s.at(j) == '"' || s.at(j) == '\'') {
                ++j;
            }
            while (s.at(j) == ' ') {
                ++j;
            }
            bool bearer = kw.word == "bearer";
            if (s.at(j) == ':' || s.at(j) == '=') {
                ++j;
            } else if (!bearer || j == i + kw.word.size()) {
                break;
            }
            while (s.at(j) == ' ') {
                ++j;
            }
            if (s.at(j) == '"' || s.at(j) == '\'') {
                ++j;
            }
            auto password_char = [](char c) {
                return c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '"' && c != '\'' &&
                       c != ',' && c != ';';
            };
            std::size_t n =
                kw.password ? run_length(s, j, password_char) : run_length(s, j, value_char);
            std::string_view v = t.substr(j, n);
            while (!v.empty() && (v.back() == '.' || v.back() == ',')) {
                v.remove_suffix(1);
            }
            bool secret = false;
            if (kw.password) {
                secret = v.size() >= 6 && !std::all_of(v.begin(), v.end(), is_lower);
            } else {
                bool has_digit = std::any_of(v.begin(), v.end(), is_digit);
                bool has_alpha = std::any_of(v.begin(), v.end(), is_alpha);
                secret =
                    v.size() >= 16 && has_digit && has_alpha && entropy_bits_per_char(v) >= 3.0;
            }
            if (secret) {
                s.add(SensitiveKind::secret, j, j + v.size());
                i = j + v.size();
            }
            break;
        }
    }
}

int priority(SensitiveKind kind) {
    switch (kind) {
    case SensitiveKind::secret:
        return 0;
    case SensitiveKind::iban:
        return 1;
    case SensitiveKind::card:
        return 2;
    case SensitiveKind::national_id:
        return 3;
    case SensitiveKind::email:
        return 4;
    case SensitiveKind::phone:
        return 5;
    }
    return 6;
}

} // namespace

std::vector<SensitiveSpan> detect_sensitive(std::string_view text) {
    Scan s{text, {}};
    scan_private_keys(s);
    scan_prefixed_keys(s);
    scan_jwts(s);
    scan_assigned_secrets(s);
    scan_ibans(s);
    scan_cards(s);
    scan_ssns(s);
    scan_ninos(s);
    scan_emails(s);
    scan_phones(s);

    // Keep the more specific claim where two overlap, then put them in text order.
    std::stable_sort(
        s.found.begin(), s.found.end(), [](const SensitiveSpan& a, const SensitiveSpan& b) {
            return priority(a.kind) != priority(b.kind) ? priority(a.kind) < priority(b.kind)
                                                        : a.begin < b.begin;
        });
    std::vector<SensitiveSpan> kept;
    for (const auto& span : s.found) {
        bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const SensitiveSpan& k) {
            return span.begin < k.end && k.begin < span.end;
        });
        if (!overlaps && span.end > span.begin) {
            kept.push_back(span);
        }
    }
    std::sort(kept.begin(), kept.end(),
              [](const SensitiveSpan& a, const SensitiveSpan& b) { return a.begin < b.begin; });
    return kept;
}

std::string redact(std::string_view text, const std::vector<SensitiveSpan>& spans) {
    std::string out;
    out.reserve(text.size());
    std::size_t at = 0;
    for (const auto& span : spans) {
        if (span.begin < at || span.end > text.size()) {
            continue; // not as detect_sensitive returns them; never emit a partial value
        }
        out.append(text.substr(at, span.begin - at));
        out += placeholder(span.kind);
        at = span.end;
    }
    out.append(text.substr(at));
    return out;
}

std::string redact(std::string_view text) {
    return redact(text, detect_sensitive(text));
}

} // namespace orch::route
