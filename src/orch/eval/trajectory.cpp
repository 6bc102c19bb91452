// The heuristics that read an agent task's trajectory (Candidate::trajectory): tool_sequence,
// tool_called, max_turns, max_tool_calls. The final answer is scored by the other kinds.
#include <orch/eval/builders.hpp>
#include <orch/eval/json_output.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>

namespace orch::eval::detail {

namespace {

struct Expected {
    std::string name;
    nlohmann::json arguments = nlohmann::json::object();
};

Verdict no_trajectory() {
    Verdict v;
    v.ok = false;
    v.reason = "needs an agent task's trajectory (a suite with [[tools]])";
    return v;
}

// The calls that reached a tool: valid and run (a call refused for its arguments, or one past
// max_tool_calls, was never made).
std::vector<const nlohmann::json*> made_calls(const nlohmann::json& trajectory) {
    std::vector<const nlohmann::json*> out;
    auto calls = trajectory.find("calls");
    if (calls == trajectory.end() || !calls->is_array()) {
        return out;
    }
    for (const auto& c : *calls) {
        if (c.value("valid", true) && c.value("ran", true)) {
            out.push_back(&c);
        }
    }
    return out;
}

bool matches(const Expected& want, const nlohmann::json& call, bool exact) {
    return call.value("name", "") == want.name &&
           !arguments_mismatch(want.arguments, call.contains("arguments") ? call["arguments"] : nlohmann::json(), exact);
}

std::string describe(const Expected& e) {
    return e.arguments.empty() ? e.name : e.name + e.arguments.dump();
}

// `calls`: a list of {name, arguments} (or of turns, each a list of them), or that list as a
// JSON string (what templating a dataset field leaves).
std::optional<std::vector<Expected>> read_calls(ParamReader& r) {
    const nlohmann::json* raw = r.any("calls", Need::required);
    if (raw == nullptr) {
        return std::nullopt;
    }
    std::optional<nlohmann::json> list = raw->is_string() ? parse_json_output(raw->get<std::string>()) : *raw;
    if (!list || !list->is_array()) {
        r.fail("calls", "expected a list of calls {name, arguments}, got " + describe_json(*raw));
        return std::nullopt;
    }
    std::vector<Expected> out;
    auto add = [&](const nlohmann::json& c) {
        if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
            r.fail("calls", "expected each call as {name, arguments}, got " + describe_json(c));
            return false;
        }
        Expected e{c["name"].get<std::string>()};
        if (c.contains("arguments")) {
            if (!c["arguments"].is_object()) {
                r.fail("calls", "arguments of " + e.name + ": expected an object");
                return false;
            }
            e.arguments = c["arguments"];
        }
        out.push_back(std::move(e));
        return true;
    };
    for (const auto& item : *list) {
        for (const auto& c : item.is_array() ? item : nlohmann::json::array({item})) {
            if (!add(c)) {
                return std::nullopt;
            }
        }
    }
    return out;
}

} // namespace

Check build_tool_sequence(ParamReader& r) {
    auto calls = read_calls(r);
    std::string order = r.string("order").value_or("in_order");
    if (order != "in_order" && order != "exact" && order != "any_order") {
        r.fail("order", "expected in_order (these calls in this order, others allowed between), exact (these calls "
                        "and no others, in order) or any_order (each of these, in any order)");
    }
    bool exact_arguments = r.flag("exact_arguments", false);
    if (!calls) {
        return {};
    }
    return [want = *calls, order, exact_arguments](const Candidate& c) -> Verdict {
        if (c.trajectory == nullptr) {
            return no_trajectory();
        }
        auto made = made_calls(*c.trajectory);
        std::size_t matched = 0;
        std::string missing;
        if (order == "any_order") {
            std::vector<bool> used(made.size(), false);
            for (const auto& w : want) {
                bool found = false;
                for (std::size_t i = 0; i < made.size() && !found; ++i) {
                    if (!used[i] && matches(w, *made[i], exact_arguments)) {
                        used[i] = found = true;
                    }
                }
                matched += found ? 1 : 0;
                if (!found && missing.empty()) {
                    missing = describe(w);
                }
            }
        } else {
            std::size_t at = 0;
            for (const auto& w : want) {
                while (at < made.size() && !matches(w, *made[at], exact_arguments)) {
                    if (order == "exact") {
                        break;
                    }
                    ++at;
                }
                if (at >= made.size() || !matches(w, *made[at], exact_arguments)) {
                    missing = describe(w);
                    break;
                }
                ++matched;
                ++at;
            }
        }
        std::vector<std::string> names;
        for (const auto* m : made) {
            names.push_back(m->value("name", ""));
        }
        std::string got = names.empty() ? "no calls" : util::join(names, ", ");
        if (matched == want.size() && (order != "exact" || made.size() == want.size())) {
            return pass_fail(true, fmt::format("made the {} expected call{} ({})", want.size(),
                                               want.size() == 1 ? "" : "s", got));
        }
        if (matched == want.size()) {
            return pass_fail(false, fmt::format("made {} calls where exactly {} were expected ({})", made.size(),
                                                want.size(), got));
        }
        return pass_fail(false, fmt::format("{} of {} expected calls made; missing {} (made: {})", matched, want.size(),
                                            missing, got));
    };
}

Check build_tool_called(ParamReader& r) {
    std::optional<std::string> name = r.string("name", Need::required);
    nlohmann::json arguments = nlohmann::json::object();
    if (auto a = r.object("arguments")) {
        arguments = *a;
    }
    if (!name) {
        return {};
    }
    Expected want{*name, arguments};
    return [want](const Candidate& c) -> Verdict {
        if (c.trajectory == nullptr) {
            return no_trajectory();
        }
        std::size_t n = 0;
        for (const auto* m : made_calls(*c.trajectory)) {
            n += matches(want, *m, false) ? 1 : 0;
        }
        return pass_fail(n > 0, n > 0 ? fmt::format("called {} ({}×)", describe(want), n)
                                      : fmt::format("never called {}", describe(want)));
    };
}

namespace {

// A limit on one count of the trajectory; `check` gives the verdict for the count.
Check build_limit(ParamReader& r, std::function<Verdict(const nlohmann::json&, std::int64_t)> check) {
    std::optional<std::int64_t> max = r.count("max", Need::required);
    if (!max) {
        return {};
    }
    return [max = *max, check = std::move(check)](const Candidate& c) -> Verdict {
        return c.trajectory == nullptr ? no_trajectory() : check(*c.trajectory, max);
    };
}

} // namespace

Check build_max_turns(ParamReader& r) {
    return build_limit(r, [](const nlohmann::json& trajectory, std::int64_t max) {
        auto turns = trajectory.value("turns", std::int64_t{0});
        std::string stop = trajectory.value("stop", "");
        if (stop != "answer") {
            return pass_fail(false, fmt::format("no answer: stopped at {} after {} turns", stop, turns));
        }
        return pass_fail(turns <= max, fmt::format("answered in {} turn{} (at most {})", turns, turns == 1 ? "" : "s", max));
    });
}

Check build_max_tool_calls(ParamReader& r) {
    return build_limit(r, [](const nlohmann::json& trajectory, std::int64_t max) {
        auto calls = trajectory.value("tool_calls", std::int64_t{0});
        return pass_fail(calls <= max, fmt::format("{} tool call{} (at most {})", calls, calls == 1 ? "" : "s", max));
    });
}

} // namespace orch::eval::detail
