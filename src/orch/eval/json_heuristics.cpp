// The heuristics that read the output as JSON: is_json, json_schema, json_path, tool_call.
#include <orch/eval/builders.hpp>
#include <orch/eval/json_output.hpp>
#include <orch/eval/json_schema.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <memory>

namespace orch::eval::detail {

namespace {

constexpr std::size_t k_violations_shown = 3;

// Every JSON kind starts the same way; `error` is the verdict for output that is not JSON.
std::optional<nlohmann::json> output_json(const Candidate& c, Verdict& error) {
    std::string why;
    std::optional<nlohmann::json> j = parse_json_output(c.output, &why);
    if (!j) {
        error = pass_fail(false, "not valid JSON: " + why);
    }
    return j;
}

struct ToolCall {
    std::string name;
    nlohmann::json arguments; // an object, or null when the call's arguments were unreadable
};

// Arguments come as an object, or (OpenAI) as a string holding a JSON object.
nlohmann::json call_arguments(const nlohmann::json& call) {
    for (const char* key : {"arguments", "parameters", "input"}) {
        auto it = call.find(key);
        if (it == call.end()) {
            continue;
        }
        if (it->is_string()) {
            std::optional<nlohmann::json> parsed = parse_json_output(it->get<std::string>());
            return parsed ? *parsed : nlohmann::json();
        }
        return *it;
    }
    return nlohmann::json::object();
}

// The calls in the shapes models and SDKs write them: {"name", "arguments"} (also
// "parameters", or Anthropic's "input"), {"function": {...}}, {"tool_calls": [...]},
// Anthropic's {"content": [{"type": "tool_use", ...}]}, or an array of any of these.
void collect_calls(const nlohmann::json& j, std::vector<ToolCall>& out) {
    if (j.is_array()) {
        for (const nlohmann::json& item : j) {
            collect_calls(item, out);
        }
        return;
    }
    if (!j.is_object()) {
        return;
    }
    if (auto it = j.find("tool_calls"); it != j.end()) {
        collect_calls(*it, out);
    } else if (auto content = j.find("content"); content != j.end() && content->is_array()) {
        collect_calls(*content, out);
    } else if (auto fn = j.find("function"); fn != j.end() && fn->is_object()) {
        collect_calls(*fn, out);
    } else if (auto name = j.find("name"); name != j.end() && name->is_string()) {
        out.push_back(ToolCall{name->get<std::string>(), call_arguments(j)});
    }
}

} // namespace

// nullopt when the call's arguments match; otherwise the first difference.
std::optional<std::string> arguments_mismatch(const nlohmann::json& expected,
                                              const nlohmann::json& actual, bool exact) {
    // Tool arguments are free text a model fills in: case and surrounding spaces do not matter.
    MatchOptions options{true, true, std::nullopt};
    if (!actual.is_object()) {
        return "arguments: expected an object, got " + describe_json(actual);
    }
    if (exact) {
        return json_mismatch(expected, actual, options, "arguments");
    }
    for (auto it = expected.begin(); it != expected.end(); ++it) {
        std::string path = path_with_key("arguments", it.key());
        auto found = actual.find(it.key());
        if (found == actual.end()) {
            return path + ": missing";
        }
        if (auto diff = json_mismatch(*it, *found, options, path)) {
            return diff;
        }
    }
    return std::nullopt;
}

Check build_is_json(ParamReader& /*r*/) {
    return [](const Candidate& c) {
        Verdict error;
        std::optional<nlohmann::json> j = output_json(c, error);
        if (!j) {
            return error;
        }
        return pass_fail(true, "valid JSON (" + json_type_name(*j) + ")");
    };
}

Check build_json_schema(ParamReader& r) {
    std::optional<nlohmann::json> schema_json = r.object("schema", Need::required);
    if (!schema_json) {
        return {};
    }
    auto compiled = JsonSchema::compile(*schema_json, "schema");
    if (!compiled) {
        for (std::string& problem : compiled.error()) {
            r.fail(std::move(problem));
        }
        return {};
    }
    JsonSchema schema = std::move(compiled.value());
    return [schema](const Candidate& c) {
        Verdict error;
        std::optional<nlohmann::json> j = output_json(c, error);
        if (!j) {
            return error;
        }
        std::vector<std::string> violations = schema.validate(*j);
        if (violations.empty()) {
            return pass_fail(true, "matches the schema");
        }
        std::size_t total = violations.size();
        if (total > k_violations_shown) {
            violations.resize(k_violations_shown);
            violations.push_back("and " + std::to_string(total - k_violations_shown) + " more");
        }
        return pass_fail(false, std::to_string(total) +
                                    (total == 1 ? " violation: " : " violations: ") +
                                    util::join(violations, "; "));
    };
}

Check build_json_path(ParamReader& r) {
    std::optional<std::string> path_text = r.string("path", Need::required);
    const nlohmann::json* value = r.any("value", Need::required);
    bool ignore_case = r.flag("ignore_case", false);
    std::optional<double> tolerance = r.number("tolerance");
    if (tolerance && *tolerance < 0) {
        r.fail("tolerance", "expected a number of 0 or more");
    }
    if (!path_text || value == nullptr) {
        return {};
    }
    auto path = JsonPath::parse(*path_text);
    if (!path) {
        r.fail("path", path.error());
        return {};
    }
    nlohmann::json expected = *value;
    // Surrounding spaces in a string value are never what a check is about.
    MatchOptions options{ignore_case, true, tolerance};
    return [path = std::move(path.value()), expected, options](const Candidate& c) {
        Verdict error;
        std::optional<nlohmann::json> j = output_json(c, error);
        if (!j) {
            return error;
        }
        const nlohmann::json* actual = path.find(*j);
        if (actual == nullptr) {
            return pass_fail(false, path.text() + ": not found (expected " +
                                        describe_json(expected) + ")");
        }
        if (auto diff = json_mismatch(expected, *actual, options, path.text())) {
            return pass_fail(false, *diff);
        }
        return pass_fail(true, path.text() + " is " + describe_json(*actual));
    };
}

Check build_tool_call(ParamReader& r) {
    std::optional<std::string> name = r.string("name", Need::required);
    nlohmann::json arguments = nlohmann::json::object();
    if (const nlohmann::json* a = r.any("arguments")) {
        // Templating a JSON dataset field can leave the object as a JSON string.
        std::optional<nlohmann::json> parsed =
            a->is_string() ? parse_json_output(a->get<std::string>()) : *a;
        if (parsed && parsed->is_object()) {
            arguments = *parsed;
        } else {
            r.fail("arguments", "expected a table (JSON object), got " + describe_json(*a));
        }
    }
    bool exact = r.flag("exact", false);
    if (!name) {
        return {};
    }
    return [want = *name, arguments, exact](const Candidate& c) {
        Verdict error;
        std::optional<nlohmann::json> j = output_json(c, error);
        if (!j) {
            return error;
        }
        std::vector<ToolCall> calls;
        collect_calls(*j, calls);
        if (calls.empty()) {
            return pass_fail(false, "no tool call in the output (expected " + want + ")");
        }
        auto call = std::find_if(calls.begin(), calls.end(),
                                 [&](const ToolCall& tc) { return tc.name == want; });
        if (call == calls.end()) {
            std::vector<std::string> names;
            for (const ToolCall& tc : calls) {
                names.push_back(tc.name);
            }
            return pass_fail(false,
                             "expected a call to " + want + ", got " + util::join(names, ", "));
        }
        if (call->arguments.is_null()) {
            return pass_fail(false, "arguments: not valid JSON");
        }
        if (auto diff = arguments_mismatch(arguments, call->arguments, exact)) {
            return pass_fail(false, *diff);
        }
        return pass_fail(true, "called " + want +
                                   (arguments.empty() ? "" : " with the expected arguments"));
    };
}

} // namespace orch::eval::detail
