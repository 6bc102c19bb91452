#include <orch/tools/toolbox.hpp>
#include <orch/util/clock.hpp>
#include <orch/util/process.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>

namespace orch::tools {

namespace {

std::string as_content(const nlohmann::json& result) {
    return result.is_string() ? result.get<std::string>() : result.dump();
}

ToolOutcome failure(std::string message, bool valid) {
    ToolOutcome o;
    o.is_error = true;
    o.valid = valid;
    o.error = message;
    o.content = "error: " + message;
    return o;
}

} // namespace

ToolBox::ToolBox(const config::AgentSpec& spec) {
    for (const auto& def : spec.tools) {
        m_specs.push_back(def.spec);
        Compiled c;
        c.def = &def;
        auto schema = eval::JsonSchema::compile(def.spec.parameters, "parameters");
        if (schema) {
            c.schema = std::move(schema.value());
        }
        for (const auto& r : def.responses) {
            std::vector<std::tuple<std::string, std::optional<eval::JsonPath>, nlohmann::json>> m;
            for (auto it = r.match.begin(); it != r.match.end(); ++it) {
                std::optional<eval::JsonPath> path;
                if (!it.key().empty() && it.key()[0] == '$') {
                    auto parsed = eval::JsonPath::parse(it.key());
                    if (parsed) {
                        path = std::move(parsed.value());
                    }
                }
                m.emplace_back(it.key(), std::move(path), it.value());
            }
            c.matches.push_back(std::move(m));
        }
        m_tools.emplace(def.spec.name, std::move(c));
    }
}

std::optional<ToolOutcome> ToolBox::check(const ToolCall& call) const {
    auto it = m_tools.find(call.name);
    if (it == m_tools.end()) {
        std::vector<std::string> names;
        for (const auto& s : m_specs) {
            names.push_back(s.name);
        }
        return failure(fmt::format("unknown tool \"{}\"; the tools are {}", call.name, util::join(names, ", ")), false);
    }
    nlohmann::json args = nlohmann::json::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, false);
    if (args.is_discarded() || !args.is_object()) {
        return failure(fmt::format("{}: arguments are not a JSON object: {}", call.name, util::truncate(call.arguments, 80)),
                       false);
    }
    if (it->second.schema) {
        auto violations = it->second.schema->validate(args, 3);
        if (!violations.empty()) {
            return failure(fmt::format("{}: arguments do not match the tool's schema: {}", call.name,
                                       util::join(violations, "; ")),
                           false);
        }
    }
    return std::nullopt;
}

bool ToolBox::runs_program(const ToolCall& call) const {
    auto it = m_tools.find(call.name);
    return it != m_tools.end() && !it->second.def->command.empty();
}

ToolOutcome ToolBox::run(const ToolCall& call) const {
    if (auto bad = check(call)) {
        return *bad;
    }
    const Compiled& tool = m_tools.at(call.name);
    // A fixture answers in no time, the same on every run; a program takes what it takes.
    double t0 = util::monotonic_ms();
    ToolOutcome o = answer(tool, nlohmann::json::parse(call.arguments.empty() ? "{}" : call.arguments), call);
    o.latency_ms = tool.def->command.empty() ? 0 : util::monotonic_ms() - t0;
    return o;
}

ToolOutcome ToolBox::answer(const Compiled& tool, const nlohmann::json& arguments, const ToolCall& call) const {
    const config::ToolDef& def = *tool.def;
    if (!def.error.empty()) {
        return failure(def.error, true);
    }
    if (!def.command.empty()) {
        util::RunResult r = util::run_program(def.command, call.arguments, def.timeout_s);
        if (!r.started) {
            return failure(fmt::format("{}: cannot run {}: {}", def.spec.name, def.command[0], r.spawn_error), true);
        }
        if (r.timed_out) {
            return failure(fmt::format("{}: the tool did not answer within {}s", def.spec.name, def.timeout_s), true);
        }
        if (r.exit_status != 0) {
            return failure(fmt::format("{}: the tool exited with status {}: {}", def.spec.name, r.exit_status,
                                       util::truncate(util::trim(r.err), 200)),
                           true);
        }
        ToolOutcome o;
        o.content = util::trim(r.out);
        return o;
    }
    // Exact values, compared as tool_call compares arguments (case and spaces aside).
    eval::MatchOptions options{true, true, std::nullopt};
    for (std::size_t i = 0; i < def.responses.size(); ++i) {
        bool all = true;
        for (const auto& [key, path, want] : tool.matches[i]) {
            const nlohmann::json* got = nullptr;
            if (path) {
                got = path->find(arguments);
            } else if (arguments.contains(key)) {
                got = &arguments[key];
            }
            if (got == nullptr || eval::json_mismatch(want, *got, options, key)) {
                all = false;
                break;
            }
        }
        if (all) {
            const auto& r = def.responses[i];
            if (!r.error.empty()) {
                return failure(r.error, true);
            }
            ToolOutcome o;
            o.content = as_content(r.result);
            return o;
        }
    }
    const auto& d = *def.fallback;
    if (!d.error.empty()) {
        return failure(d.error, true);
    }
    ToolOutcome o;
    o.content = as_content(d.result);
    return o;
}

} // namespace orch::tools
