#include <orch/eval/json_output.hpp>

#include <orch/eval/param_reader.hpp>
#include <orch/util/strings.hpp>

#include <cctype>
#include <charconv>
#include <cmath>

namespace orch::eval {

namespace {

bool is_plain_name(std::string_view key) {
    if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) {
        return false;
    }
    for (char c : key) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; users need the rest.
std::string without_exception_prefix(std::string message) {
    if (!message.empty() && message[0] == '[') {
        std::size_t close = message.find("] ");
        if (close != std::string::npos) {
            message.erase(0, close + 2);
        }
    }
    return message;
}

std::optional<double> as_number(const nlohmann::json& value) {
    if (value.is_number()) {
        return value.get<double>();
    }
    double out = 0;
    if (value.is_string() && util::parse_number(value.get<std::string>(), out)) {
        return out;
    }
    return std::nullopt;
}

std::string normalise_string(std::string s, const MatchOptions& options) {
    if (options.trim) {
        s = util::trim(s);
    }
    if (options.ignore_case) {
        s = util::to_lower(s);
    }
    return s;
}

bool numbers_match(double expected, double actual, const MatchOptions& options) {
    if (options.tolerance) {
        return std::fabs(expected - actual) <= *options.tolerance;
    }
    return expected == actual;
}

bool scalars_match(const nlohmann::json& expected, const nlohmann::json& actual,
                   const MatchOptions& options) {
    if (expected.is_string() && actual.is_string() &&
        normalise_string(expected.get<std::string>(), options) ==
            normalise_string(actual.get<std::string>(), options)) {
        return true;
    }
    // Numbers travel as strings through templating and through some models ("42" for 42).
    if (expected.is_number() || actual.is_number() ||
        (expected.is_string() && actual.is_string())) {
        std::optional<double> e = as_number(expected);
        std::optional<double> a = as_number(actual);
        return e && a && numbers_match(*e, *a, options);
    }
    return expected == actual;
}

} // namespace

std::optional<nlohmann::json> parse_json_output(std::string_view output, std::string* error) {
    std::string body = util::strip_code_fence(output);
    try {
        return nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
        if (error != nullptr) {
            *error = body.empty() ? "the output is empty" : without_exception_prefix(e.what());
        }
        return std::nullopt;
    }
}

std::string path_with_key(std::string_view base, std::string_view key) {
    if (is_plain_name(key)) {
        return std::string(base) + "." + std::string(key);
    }
    return std::string(base) + "['" + util::replace_all(std::string(key), "'", "\\'") + "']";
}

std::string path_with_index(std::string_view base, std::size_t index) {
    return std::string(base) + "[" + std::to_string(index) + "]";
}

bool is_integral(const nlohmann::json& value) {
    if (value.is_number_integer()) {
        return true;
    }
    if (!value.is_number_float()) {
        return false;
    }
    double d = value.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
}

std::string json_type_name(const nlohmann::json& value) {
    switch (value.type()) {
    case nlohmann::json::value_t::null:
        return "null";
    case nlohmann::json::value_t::boolean:
        return "boolean";
    case nlohmann::json::value_t::string:
        return "string";
    case nlohmann::json::value_t::array:
        return "array";
    case nlohmann::json::value_t::object:
        return "object";
    default:
        return is_integral(value) ? "integer" : "number";
    }
}

util::Result<JsonPath, std::string> JsonPath::parse(std::string_view text) {
    JsonPath path;
    path.m_text = std::string(text);
    std::size_t i = 0;
    auto at = [&](std::size_t pos) { return " at character " + std::to_string(pos + 1); };
    if (text.empty()) {
        return util::unexpected(std::string("empty path (use \"$\" for the whole output)"));
    }
    bool bare_name_allowed = true;
    if (text[0] == '$') {
        ++i;
        bare_name_allowed = false;
    }
    while (i < text.size()) {
        char c = text[i];
        if (c != '[' && (c == '.' || bare_name_allowed)) {
            if (c == '.') {
                ++i;
            }
            std::size_t start = i;
            while (i < text.size() && text[i] != '.' && text[i] != '[') {
                ++i;
            }
            if (i == start) {
                return util::unexpected("expected a key" + at(start));
            }
            path.m_steps.emplace_back(std::string(text.substr(start, i - start)));
        } else if (c == '[') {
            ++i;
            if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
                char q = text[i++];
                std::string key;
                while (i < text.size() && text[i] != q) {
                    if (text[i] == '\\' && i + 1 < text.size()) {
                        ++i;
                    }
                    key += text[i++];
                }
                if (i >= text.size()) {
                    return util::unexpected("unterminated quoted key" + at(i));
                }
                ++i; // closing quote
                path.m_steps.emplace_back(std::move(key));
            } else {
                std::size_t start = i;
                while (i < text.size() && text[i] != ']') {
                    ++i;
                }
                std::string_view digits = text.substr(start, i - start);
                std::int64_t index = 0;
                auto [ptr, ec] =
                    std::from_chars(digits.data(), digits.data() + digits.size(), index);
                if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
                    return util::unexpected("expected an array index or a quoted key" + at(start));
                }
                path.m_steps.emplace_back(index);
            }
            if (i >= text.size() || text[i] != ']') {
                return util::unexpected("expected ]" + at(i));
            }
            ++i;
        } else {
            return util::unexpected("expected . or [" + at(i));
        }
        bare_name_allowed = false;
    }
    return path;
}

const nlohmann::json* JsonPath::find(const nlohmann::json& root) const {
    const nlohmann::json* cur = &root;
    for (const Step& step : m_steps) {
        if (const std::string* key = std::get_if<std::string>(&step)) {
            if (!cur->is_object()) {
                return nullptr;
            }
            auto it = cur->find(*key);
            if (it == cur->end()) {
                return nullptr;
            }
            cur = &*it;
        } else {
            std::int64_t index = std::get<std::int64_t>(step);
            if (!cur->is_array()) {
                return nullptr;
            }
            auto size = static_cast<std::int64_t>(cur->size());
            if (index < 0) {
                index += size;
            }
            if (index < 0 || index >= size) {
                return nullptr;
            }
            cur = &(*cur)[static_cast<std::size_t>(index)];
        }
    }
    return cur;
}

std::optional<std::string> json_mismatch(const nlohmann::json& expected,
                                         const nlohmann::json& actual, const MatchOptions& options,
                                         const std::string& path) {
    auto differ = [&] {
        return path + ": expected " + describe_json(expected) + ", got " + describe_json(actual);
    };
    if (expected.is_object()) {
        if (!actual.is_object()) {
            return differ();
        }
        for (auto it = expected.begin(); it != expected.end(); ++it) {
            std::string child = path_with_key(path, it.key());
            auto found = actual.find(it.key());
            if (found == actual.end()) {
                return child + ": missing";
            }
            if (auto diff = json_mismatch(*it, *found, options, child)) {
                return diff;
            }
        }
        for (auto it = actual.begin(); it != actual.end(); ++it) {
            if (!expected.contains(it.key())) {
                return path_with_key(path, it.key()) + ": not expected";
            }
        }
        return std::nullopt;
    }
    if (expected.is_array()) {
        if (!actual.is_array()) {
            return differ();
        }
        if (expected.size() != actual.size()) {
            return path + ": expected " + std::to_string(expected.size()) + " items, got " +
                   std::to_string(actual.size());
        }
        for (std::size_t i = 0; i < expected.size(); ++i) {
            if (auto diff =
                    json_mismatch(expected[i], actual[i], options, path_with_index(path, i))) {
                return diff;
            }
        }
        return std::nullopt;
    }
    if (!scalars_match(expected, actual, options)) {
        return differ();
    }
    return std::nullopt;
}

} // namespace orch::eval
