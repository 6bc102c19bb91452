#include <orch/eval/param_reader.hpp>

#include <orch/eval/text_similarity.hpp>
#include <orch/util/strings.hpp>

#include <cmath>
#include <cstdio>

namespace orch::eval {

namespace {

constexpr std::size_t k_max_quoted_chars = 80;
constexpr std::size_t k_max_suggestion_distance = 2;

std::string dump(const nlohmann::json& value) {
    // Model output may hold invalid UTF-8; replacing it beats throwing from a reason string.
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The known name closest to an unknown one, when it looks like a typo of it.
std::optional<std::string> closest_name(const std::string& unknown,
                                        const std::set<std::string, std::less<>>& known) {
    std::optional<std::string> best;
    std::size_t best_distance = k_max_suggestion_distance + 1;
    for (const std::string& name : known) {
        std::size_t d = levenshtein_distance(unknown, name);
        if (d < best_distance && d < name.size()) {
            best = name;
            best_distance = d;
        }
    }
    return best;
}

} // namespace

ParamReader::ParamReader(std::string kind, const nlohmann::json& params)
    : m_kind(std::move(kind)), m_params(params.is_null() ? nlohmann::json::object() : params) {
    if (!m_params.is_object()) {
        m_problems.push_back("parameters: expected a table of parameters, got " +
                             describe_json(params));
        m_params = nlohmann::json::object();
    }
}

const nlohmann::json* ParamReader::lookup(std::string_view key, Need need) {
    m_known.emplace(key);
    auto it = m_params.find(key);
    if (it == m_params.end()) {
        if (need == Need::required) {
            fail(key, "missing");
        }
        return nullptr;
    }
    return &*it;
}

void ParamReader::wrong_type(std::string_view key, std::string_view expected,
                             const nlohmann::json& got) {
    fail(key, "expected " + std::string(expected) + ", got " + describe_json(got));
}

bool ParamReader::has(std::string_view key) const {
    return m_params.contains(key);
}

void ParamReader::fail(std::string_view key, std::string_view what) {
    m_problems.push_back(std::string(key) + ": " + std::string(what));
}

void ParamReader::fail(std::string problem) {
    m_problems.push_back(std::move(problem));
}

std::optional<std::string> ParamReader::string(std::string_view key, Need need) {
    const nlohmann::json* v = lookup(key, need);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        wrong_type(key, "a string", *v);
        return std::nullopt;
    }
    return v->get<std::string>();
}

std::optional<std::string> ParamReader::text(std::string_view key, Need need) {
    const nlohmann::json* v = lookup(key, need);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_string()) {
        return v->get<std::string>();
    }
    if (v->is_number() || v->is_boolean()) {
        return dump(*v);
    }
    wrong_type(key, "a string", *v);
    return std::nullopt;
}

std::optional<double> ParamReader::number(std::string_view key, Need need,
                                          bool allow_numeric_string) {
    const nlohmann::json* v = lookup(key, need);
    if (v == nullptr) {
        return std::nullopt;
    }
    double out = 0;
    if (v->is_number()) {
        out = v->get<double>();
    } else if (!(allow_numeric_string && v->is_string() &&
                 util::parse_number(v->get<std::string>(), out))) {
        wrong_type(key, "a number", *v);
        return std::nullopt;
    }
    if (!std::isfinite(out)) {
        wrong_type(key, "a finite number", *v);
        return std::nullopt;
    }
    return out;
}

std::optional<std::int64_t> ParamReader::count(std::string_view key, Need need) {
    const nlohmann::json* v = lookup(key, need);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_number_unsigned()) {
        return static_cast<std::int64_t>(v->get<std::uint64_t>());
    }
    if (v->is_number_integer() && v->get<std::int64_t>() >= 0) {
        return v->get<std::int64_t>();
    }
    // TOML and JSON writers sometimes render 10 as 10.0; accept a float that is a whole number.
    if (v->is_number_float()) {
        double d = v->get<double>();
        if (d >= 0 && d < 9e15 && std::floor(d) == d) {
            return static_cast<std::int64_t>(d);
        }
    }
    wrong_type(key, "a whole number of 0 or more", *v);
    return std::nullopt;
}

std::optional<double> ParamReader::fraction(std::string_view key, Need need) {
    const nlohmann::json* v = lookup(key, need);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_number() || v->get<double>() < 0 || v->get<double>() > 1) {
        wrong_type(key, "a number from 0 to 1", *v);
        return std::nullopt;
    }
    return v->get<double>();
}

bool ParamReader::flag(std::string_view key, bool fallback) {
    const nlohmann::json* v = lookup(key, Need::optional);
    if (v == nullptr) {
        return fallback;
    }
    if (!v->is_boolean()) {
        wrong_type(key, "true or false", *v);
        return fallback;
    }
    return v->get<bool>();
}

std::optional<std::vector<std::string>> ParamReader::texts(std::string_view key, Need need) {
    const nlohmann::json* v = lookup(key, need);
    if (v == nullptr) {
        return std::nullopt;
    }
    std::vector<std::string> out;
    if (v->is_array()) {
        for (const nlohmann::json& item : *v) {
            if (item.is_string()) {
                out.push_back(item.get<std::string>());
            } else if (item.is_number() || item.is_boolean()) {
                out.push_back(dump(item));
            } else {
                out.clear();
                break;
            }
        }
    }
    if (out.empty() || out.size() != v->size()) {
        wrong_type(key, "a non-empty array of strings", *v);
        return std::nullopt;
    }
    return out;
}

std::optional<nlohmann::json> ParamReader::object(std::string_view key, Need need) {
    const nlohmann::json* v = lookup(key, need);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_object()) {
        wrong_type(key, "a table (JSON object)", *v);
        return std::nullopt;
    }
    return *v;
}

const nlohmann::json* ParamReader::any(std::string_view key, Need need) {
    return lookup(key, need);
}

std::optional<std::string> ParamReader::finish() const {
    std::vector<std::string> problems = m_problems;
    for (auto it = m_params.begin(); it != m_params.end(); ++it) {
        if (m_known.count(it.key()) != 0) {
            continue;
        }
        std::string problem = "unknown parameter " + quote(it.key());
        if (std::optional<std::string> near = closest_name(it.key(), m_known)) {
            problem += " (did you mean " + quote(*near) + "?)";
        }
        problems.push_back(std::move(problem));
    }
    if (problems.empty()) {
        return std::nullopt;
    }
    return m_kind + ": " + util::join(problems, "; ");
}

std::string describe_json(const nlohmann::json& value) {
    if (value.is_string()) {
        return quote(value.get<std::string>());
    }
    return util::truncate(dump(value), k_max_quoted_chars);
}

std::string quote(std::string_view text) {
    return dump(nlohmann::json(util::truncate(text, k_max_quoted_chars)));
}

std::string format_number(double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", value);
    return buf;
}

} // namespace orch::eval
