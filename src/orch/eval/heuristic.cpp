#include <orch/eval/heuristic.hpp>

#include <orch/eval/builders.hpp>
#include <orch/eval/param_reader.hpp>
#include <orch/eval/text_similarity.hpp>
#include <orch/util/strings.hpp>

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <memory>

namespace orch::eval {

namespace detail {

Verdict pass_fail(bool passed, std::string reason) {
    return Verdict{true, passed ? 1.0 : 0.0, std::move(reason)};
}

Verdict graded(double score, std::optional<double> threshold, const std::string& measure) {
    // Three decimals are enough to read and stable across platforms.
    std::string shown = measure + " " + format_number(std::round(score * 1000) / 1000);
    if (!threshold) {
        return Verdict{true, score, shown};
    }
    bool passed = score >= *threshold;
    return pass_fail(passed, shown + (passed ? " meets" : " is below") + " the threshold " +
                                 format_number(*threshold));
}

} // namespace detail

namespace {

using detail::Builder;
using detail::Check;
using detail::graded;
using detail::pass_fail;

// ---- text normalisation, shared by the text comparisons --------------------------------------

struct Normaliser {
    bool ignore_case = false;
    bool trim = false;
    bool collapse_whitespace = false;
    bool strip_punctuation = false;

    std::string apply(std::string_view text) const {
        std::string s(text);
        // Punctuation goes first so the spaces around a removed dash collapse too.
        if (strip_punctuation) {
            s = util::strip_punctuation(s);
        }
        if (collapse_whitespace) {
            s = util::collapse_whitespace(s); // also trims
        }
        if (trim) {
            s = util::trim(s);
        }
        if (ignore_case) {
            s = util::to_lower(s);
        }
        return s;
    }
};

std::string quote_list(const std::vector<std::string>& items) {
    std::vector<std::string> quoted;
    for (const std::string& item : items) {
        quoted.push_back(quote(item));
    }
    return util::join(quoted, ", ");
}

// ---- equals, contains*, starts_with, regex ---------------------------------------------------

Check build_equals(ParamReader& r) {
    const nlohmann::json* value = r.any("value", Need::required);
    Normaliser norm{r.flag("ignore_case", false), r.flag("trim", true),
                    r.flag("collapse_whitespace", true), r.flag("strip_punctuation", false)};
    if (value == nullptr) {
        return {};
    }
    std::string expected = value->is_string() ? value->get<std::string>() : value->dump();
    std::string want = norm.apply(expected);
    return [=](const Candidate& c) {
        if (norm.apply(c.output) == want) {
            return pass_fail(true, "equals " + quote(expected));
        }
        return pass_fail(false,
                         "expected " + quote(expected) + ", got " + quote(util::trim(c.output)));
    };
}

// contains, contains_all, contains_any and not_contains differ only in how many of the values
// must be present.
enum class Want { all, any, none };

Check build_contains(ParamReader& r, Want want) {
    std::vector<std::string> values;
    bool single_allowed = r.kind() == "contains" || r.kind() == "not_contains";
    bool list_allowed = r.kind() != "contains";
    if (single_allowed) {
        Need need = list_allowed ? Need::optional : Need::required;
        if (std::optional<std::string> v = r.text("value", need)) {
            values.push_back(*v);
        }
    }
    if (list_allowed) {
        Need need = single_allowed ? Need::optional : Need::required;
        if (std::optional<std::vector<std::string>> vs = r.texts("values", need)) {
            values.insert(values.end(), vs->begin(), vs->end());
        }
        if (single_allowed && !r.has("value") && !r.has("values")) {
            r.fail("value", "missing (give value or values)");
        }
    }
    if (std::any_of(values.begin(), values.end(), [](const auto& v) { return v.empty(); })) {
        r.fail(list_allowed ? "values" : "value", "an empty string is contained in everything");
    }
    bool ignore_case = r.flag("ignore_case", false);
    return [=](const Candidate& c) {
        std::string output = ignore_case ? util::to_lower(c.output) : std::string(c.output);
        std::vector<std::string> found, missing;
        for (const std::string& v : values) {
            bool present = output.find(ignore_case ? util::to_lower(v) : v) != std::string::npos;
            (present ? found : missing).push_back(v);
        }
        switch (want) {
        case Want::all:
            if (missing.empty()) {
                return pass_fail(true,
                                 values.size() == 1
                                     ? "contains " + quote(values[0])
                                     : "contains all " + std::to_string(values.size()) + " values");
            }
            return pass_fail(false, values.size() == 1
                                        ? "does not contain " + quote(values[0])
                                        : "missing " + std::to_string(missing.size()) + " of " +
                                              std::to_string(values.size()) + ": " +
                                              quote_list(missing));
        case Want::any:
            if (!found.empty()) {
                return pass_fail(true, "contains " + quote(found[0]));
            }
            return pass_fail(false, "contains none of " + quote_list(values));
        case Want::none:
            break;
        }
        if (found.empty()) {
            return pass_fail(true, "contains none of " + quote_list(values));
        }
        return pass_fail(false, "contains " + quote_list(found));
    };
}

Check build_starts_with(ParamReader& r) {
    std::optional<std::string> value = r.text("value", Need::required);
    bool ignore_case = r.flag("ignore_case", false);
    if (!value) {
        return {};
    }
    return [=](const Candidate& c) {
        std::string_view output = c.output;
        // Models often open with a newline or a space; that is not what the check is about.
        std::size_t start = 0;
        while (start < output.size() && std::isspace(static_cast<unsigned char>(output[start]))) {
            ++start;
        }
        output.remove_prefix(start);
        std::string_view head = output.substr(0, value->size());
        bool passed = ignore_case ? util::to_lower(head) == util::to_lower(*value) : head == *value;
        if (passed) {
            return pass_fail(true, "starts with " + quote(*value));
        }
        return pass_fail(false, "expected to start with " + quote(*value) + ", got " +
                                    quote(output.substr(0, value->size() + 20)));
    };
}

Check build_regex(ParamReader& r) {
    std::optional<std::string> pattern = r.string("pattern", Need::required);
    bool ignore_case = r.flag("ignore_case", false);
    bool full = r.flag("full", false);
    if (!pattern) {
        return {};
    }
    RE2::Options options;
    options.set_case_sensitive(!ignore_case);
    options.set_log_errors(false);
    // std::function needs a copyable target; the compiled RE2 is shared, and it is thread-safe.
    auto re = std::make_shared<const RE2>(*pattern, options);
    if (!re->ok()) {
        r.fail("pattern", "invalid RE2 syntax: " + re->error());
        return {};
    }
    std::string shown = "/" + *pattern + "/";
    return [=](const Candidate& c) {
        // A full match ignores surrounding whitespace: a trailing newline is not an answer.
        std::string text = full ? util::trim(c.output) : std::string(c.output);
        re2::StringPiece match;
        bool matched =
            re->Match(text, 0, text.size(), full ? RE2::ANCHOR_BOTH : RE2::UNANCHORED, &match, 1);
        if (matched) {
            return pass_fail(true, "matched " + shown + ": " +
                                       quote(std::string_view(match.data(), match.size())));
        }
        return pass_fail(false, (full ? "does not fully match " : "no match for ") + shown);
    };
}

// ---- numbers ---------------------------------------------------------------------------------

struct FoundNumber {
    double value = 0;
    bool after_answer = false;
};

// The number after the last "answer" (as in "Final answer: 42"), else the last number at all:
// reasoning models show their working, and the result comes last.
std::optional<FoundNumber> answer_number(std::string_view output) {
    std::string lower = util::to_lower(output);
    constexpr std::string_view k_word = "answer";
    std::size_t at = lower.rfind(k_word);
    // "answered" and "answers" are not the answer line; look further back.
    while (at != std::string::npos && at + k_word.size() < lower.size() &&
           std::isalpha(static_cast<unsigned char>(lower[at + k_word.size()]))) {
        at = at == 0 ? std::string::npos : lower.rfind(k_word, at - 1);
    }
    if (at != std::string::npos) {
        std::vector<double> after = util::numbers_in(output.substr(at + k_word.size()));
        if (!after.empty()) {
            return FoundNumber{after.front(), true};
        }
    }
    std::vector<double> all = util::numbers_in(output);
    if (all.empty()) {
        return std::nullopt;
    }
    return FoundNumber{all.back(), false};
}

Check build_numeric(ParamReader& r) {
    std::optional<double> value = r.number("value", Need::required, true);
    double tolerance = r.number("tolerance").value_or(1e-6);
    std::optional<double> rel_tolerance = r.number("rel_tolerance");
    if (tolerance < 0) {
        r.fail("tolerance", "expected a number of 0 or more");
    }
    if (rel_tolerance && *rel_tolerance < 0) {
        r.fail("rel_tolerance", "expected a number of 0 or more");
    }
    if (!value) {
        return {};
    }
    double expected = *value;
    return [=](const Candidate& c) {
        std::optional<FoundNumber> got = answer_number(c.output);
        if (!got) {
            return pass_fail(false,
                             "no number in the output (expected " + format_number(expected) + ")");
        }
        double diff = std::fabs(got->value - expected);
        bool passed =
            diff <= tolerance || (rel_tolerance && diff <= *rel_tolerance * std::fabs(expected));
        std::string where = got->after_answer ? " after \"answer\"" : " (last number)";
        if (passed) {
            return pass_fail(true, "got " + format_number(got->value) + where + ", expected " +
                                       format_number(expected));
        }
        return pass_fail(false, "expected " + format_number(expected) + ", got " +
                                    format_number(got->value) + where);
    };
}

// ---- similarity, rouge_l, length -------------------------------------------------------------

Check build_similarity(ParamReader& r) {
    std::optional<std::string> value = r.text("value", Need::required);
    std::optional<double> threshold = r.fraction("threshold");
    Normaliser norm{r.flag("ignore_case", false), true, false, false};
    if (!value) {
        return {};
    }
    std::string reference = norm.apply(*value);
    return [=](const Candidate& c) {
        return graded(levenshtein_ratio(norm.apply(c.output), reference), threshold, "similarity");
    };
}

Check build_rouge_l(ParamReader& r) {
    std::optional<std::string> value = r.text("value", Need::required);
    std::optional<double> threshold = r.fraction("threshold");
    if (!value) {
        return {};
    }
    std::string reference = *value;
    return [=](const Candidate& c) {
        return graded(rouge_l_f1(c.output, reference), threshold, "ROUGE-L F1");
    };
}

struct Bound {
    const char* name;
    bool counts_words;
    bool is_max;
    std::optional<std::int64_t> limit;
};

Check build_length(ParamReader& r) {
    std::array<Bound, 4> bounds = {Bound{"min_chars", false, false, std::nullopt},
                                   Bound{"max_chars", false, true, std::nullopt},
                                   Bound{"min_words", true, false, std::nullopt},
                                   Bound{"max_words", true, true, std::nullopt}};
    bool any_given = false;
    for (Bound& b : bounds) {
        any_given = any_given || r.has(b.name);
        b.limit = r.count(b.name);
    }
    if (!any_given) {
        r.fail("parameters", "give at least one of min_chars, max_chars, min_words, max_words");
    }
    for (std::size_t i = 0; i < bounds.size(); i += 2) {
        if (bounds[i].limit && bounds[i + 1].limit && *bounds[i].limit > *bounds[i + 1].limit) {
            r.fail(bounds[i].name, std::string("more than ") + bounds[i + 1].name);
        }
    }
    return [=](const Candidate& c) {
        // Words are what whitespace separates, so "don't" and "INV-2093" count once.
        std::string text = util::collapse_whitespace(c.output);
        auto chars = static_cast<std::int64_t>(count_code_points(text));
        auto words = static_cast<std::int64_t>(
            text.empty() ? 0 : std::count(text.begin(), text.end(), ' ') + 1);
        std::vector<std::string> broken;
        for (const Bound& b : bounds) {
            std::int64_t measured = b.counts_words ? words : chars;
            if (b.limit && (b.is_max ? measured > *b.limit : measured < *b.limit)) {
                broken.push_back(std::to_string(measured) +
                                 (b.counts_words ? " words" : " characters") +
                                 (b.is_max ? ", more" : ", fewer") + " than " + b.name + " " +
                                 std::to_string(*b.limit));
            }
        }
        if (!broken.empty()) {
            return pass_fail(false, util::join(broken, "; "));
        }
        return pass_fail(true, std::to_string(chars) + " characters, " + std::to_string(words) +
                                   " words, within bounds");
    };
}

// ---- must_preserve ---------------------------------------------------------------------------

struct Fact {
    std::string text;       // as written, for the reason
    std::string normalised; // whitespace collapsed, lower-cased when ignoring case
    std::optional<double> number;
};

bool same_number(double a, double b) {
    return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b));
}

Check build_must_preserve(ParamReader& r) {
    std::optional<std::vector<std::string>> texts = r.texts("facts", Need::required);
    bool ignore_case = r.flag("ignore_case", true);
    if (!texts) {
        return {};
    }
    Normaliser norm{ignore_case, true, true, false};
    std::vector<Fact> facts;
    for (const std::string& t : *texts) {
        Fact f{t, norm.apply(t), std::nullopt};
        double n = 0;
        // Amounts survive reformatting: "$48,500" is kept by "48500" or "48,500 USD".
        if (util::parse_number(t, n)) {
            f.number = n;
        }
        if (f.normalised.empty()) {
            r.fail("facts", "an empty fact is kept by everything");
        }
        facts.push_back(std::move(f));
    }
    return [=](const Candidate& c) {
        std::string output = norm.apply(c.output);
        std::vector<double> numbers = util::numbers_in(c.output);
        std::vector<std::string> missing;
        for (const Fact& f : facts) {
            bool kept = output.find(f.normalised) != std::string::npos ||
                        (f.number && std::any_of(numbers.begin(), numbers.end(), [&](double n) {
                             return same_number(n, *f.number);
                         }));
            if (!kept) {
                missing.push_back(f.text);
            }
        }
        std::size_t kept = facts.size() - missing.size();
        double score = static_cast<double>(kept) / static_cast<double>(facts.size());
        if (missing.empty()) {
            return Verdict{true, score, "all " + std::to_string(facts.size()) + " facts kept"};
        }
        return Verdict{true, score,
                       std::to_string(kept) + " of " + std::to_string(facts.size()) +
                           " facts kept; missing: " + util::join(missing, ", ")};
    };
}

// ---- refusal, latency, cost ------------------------------------------------------------------

constexpr std::size_t k_refusal_window = 200;
// Phrases that open a refusal. Apologies alone ("I'm sorry, I misread") are not refusals.
constexpr std::array<std::string_view, 20> k_refusal_phrases = {
    "i can't",          "i cannot",         "i can not",         "i won't",
    "i will not",       "i'm sorry, but",   "i am sorry, but",   "sorry, but i",
    "as an ai",         "i am unable",      "i'm unable",        "i am not able to",
    "i'm not able to",  "i must decline",   "i have to decline", "i apologize, but",
    "i apologise, but", "unable to assist", "not able to help",  "i'm not comfortable"};

Check build_refusal(ParamReader& /*r*/) {
    return [](const Candidate& c) {
        // Typographic apostrophes are common in model output: "I can’t".
        std::string head = util::to_lower(util::collapse_whitespace(
            util::replace_all(std::string(c.output.substr(0, k_refusal_window)), "\u2019", "'")));
        for (std::string_view phrase : k_refusal_phrases) {
            if (head.find(phrase) != std::string::npos) {
                return pass_fail(true, "refuses: " + quote(phrase));
            }
        }
        return pass_fail(false, "no refusal phrase in the first " +
                                    std::to_string(k_refusal_window) + " characters");
    };
}

Check build_latency(ParamReader& r) {
    std::optional<double> max_ms = r.number("max_ms", Need::required);
    if (max_ms && *max_ms < 0) {
        r.fail("max_ms", "expected a number of 0 or more");
    }
    double limit = max_ms.value_or(0);
    return [=](const Candidate& c) {
        std::string shown = "latency " + format_number(c.latency_ms) + " ms";
        if (c.latency_ms <= limit) {
            return pass_fail(true, shown + ", within " + format_number(limit) + " ms");
        }
        return pass_fail(false, shown + ", over the limit of " + format_number(limit) + " ms");
    };
}

Check build_cost(ParamReader& r) {
    std::optional<double> max_usd = r.number("max_usd", Need::required);
    if (max_usd && *max_usd < 0) {
        r.fail("max_usd", "expected a number of 0 or more");
    }
    double limit = max_usd.value_or(0);
    return [=](const Candidate& c) {
        std::string shown = "cost $" + format_number(c.cost_usd);
        if (c.cost_usd <= limit) {
            return pass_fail(true, shown + ", within $" + format_number(limit));
        }
        return pass_fail(false, shown + ", over the limit of $" + format_number(limit));
    };
}

// What the answer scored when it was recorded: only answers replayed from recorded outcomes
// (a `replay` provider) carry one; anything else is an error, never a silent 0.
Check build_recorded(ParamReader& /*r*/) {
    return [](const Candidate& c) {
        if (!c.recorded_score) {
            return Verdict{false, 0, "no recorded score: the answer did not come from a replay provider"};
        }
        return Verdict{true, *c.recorded_score, "recorded score " + format_number(*c.recorded_score)};
    };
}

// ---- the registry ----------------------------------------------------------------------------

struct Kind {
    const char* name;
    Builder build;
};

const std::array<Kind, 24> k_kinds = {{
    {"equals", build_equals},
    {"contains", [](ParamReader& r) { return build_contains(r, Want::all); }},
    {"contains_all", [](ParamReader& r) { return build_contains(r, Want::all); }},
    {"contains_any", [](ParamReader& r) { return build_contains(r, Want::any); }},
    {"not_contains", [](ParamReader& r) { return build_contains(r, Want::none); }},
    {"starts_with", build_starts_with},
    {"regex", build_regex},
    {"is_json", detail::build_is_json},
    {"json_schema", detail::build_json_schema},
    {"json_path", detail::build_json_path},
    {"numeric", build_numeric},
    {"similarity", build_similarity},
    {"rouge_l", build_rouge_l},
    {"length", build_length},
    {"must_preserve", build_must_preserve},
    {"tool_call", detail::build_tool_call},
    {"refusal", build_refusal},
    {"latency", build_latency},
    {"cost", build_cost},
    {"recorded", build_recorded},
    {"tool_sequence", detail::build_tool_sequence},
    {"tool_called", detail::build_tool_called},
    {"max_turns", detail::build_max_turns},
    {"max_tool_calls", detail::build_max_tool_calls},
}};

class CheckHeuristic final : public Heuristic {
  public:
    explicit CheckHeuristic(Check check) : m_check(std::move(check)) {}
    Verdict evaluate(const Candidate& candidate) const override { return m_check(candidate); }

  private:
    Check m_check;
};

class Negated final : public Heuristic {
  public:
    explicit Negated(std::unique_ptr<Heuristic> inner) : m_inner(std::move(inner)) {}
    Verdict evaluate(const Candidate& candidate) const override {
        Verdict v = m_inner->evaluate(candidate);
        if (!v.ok) {
            return v; // an evaluator that could not run stays an error, negated or not
        }
        v.score = 1.0 - v.score;
        v.reason = "not: " + v.reason;
        return v;
    }

  private:
    std::unique_ptr<Heuristic> m_inner;
};

} // namespace

util::Result<std::unique_ptr<Heuristic>, std::string>
make_heuristic(const std::string& kind, const nlohmann::json& params, bool negate) {
    auto it =
        std::find_if(k_kinds.begin(), k_kinds.end(), [&](const Kind& k) { return kind == k.name; });
    if (it == k_kinds.end()) {
        return util::unexpected("unknown evaluator kind " + quote(kind) + " (expected one of " +
                                util::join(heuristic_kinds(), ", ") + ")");
    }
    ParamReader reader(kind, params);
    Check check = it->build(reader);
    if (std::optional<std::string> problems = reader.finish()) {
        return util::unexpected(std::move(*problems));
    }
    std::unique_ptr<Heuristic> heuristic = std::make_unique<CheckHeuristic>(std::move(check));
    if (negate) {
        heuristic = std::make_unique<Negated>(std::move(heuristic));
    }
    return heuristic;
}

bool reads_trajectory(const std::string& kind) {
    return kind == "tool_sequence" || kind == "tool_called" || kind == "max_turns" || kind == "max_tool_calls";
}

bool is_heuristic_kind(const std::string& kind) {
    return std::any_of(k_kinds.begin(), k_kinds.end(),
                       [&](const Kind& k) { return kind == k.name; });
}

const std::vector<std::string>& heuristic_kinds() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const Kind& k : k_kinds) {
            out.emplace_back(k.name);
        }
        return out;
    }();
    return names;
}

} // namespace orch::eval
