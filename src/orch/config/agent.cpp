#include <orch/config/agent.hpp>
#include <orch/config/suite.hpp>
#include <orch/config/toml_reader.hpp>
#include <orch/eval/json_output.hpp>
#include <orch/eval/json_schema.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>
#include <set>

namespace orch::config {

const ToolDef* AgentSpec::find(const std::string& name) const {
    for (const auto& t : tools) {
        if (t.spec.name == name) {
            return &t;
        }
    }
    return nullptr;
}

namespace {

// One response table: `match`, then `result` or `error`.
ToolResponse read_response(const toml::table& t, const std::string& file, const std::string& prefix, bool with_match,
                           Problems& problems) {
    TableReader r(t, file, prefix, problems);
    ToolResponse out;
    out.where = r.where();
    if (with_match) {
        if (const toml::table* m = r.table("match", true)) {
            out.match = toml_to_json(*m);
            for (auto it = out.match.begin(); it != out.match.end(); ++it) {
                if (!it.key().empty() && it.key()[0] == '$') {
                    auto path = eval::JsonPath::parse(it.key());
                    if (!path) {
                        problems.add(r.where("match"), r.key_path("match." + it.key()), path.error());
                    }
                }
            }
        }
    }
    const toml::node* result = r.any("result");
    out.error = r.string("error").value_or("");
    if (result != nullptr) {
        out.result = toml_to_json(*result);
    }
    if ((result != nullptr) == !out.error.empty()) {
        problems.add(r.where(), prefix, "expected one of result (what the tool returns) or error (its failure message)");
    }
    r.finish(with_match ? "match, result, error" : "result, error");
    return out;
}

ToolDef read_tool(const toml::table& t, const std::string& file, const std::string& prefix, Problems& problems) {
    TableReader r(t, file, prefix, problems);
    ToolDef d;
    d.where = r.where();
    d.key = prefix;
    d.spec.name = r.string("name", true).value_or("");
    d.spec.description = r.string("description").value_or("");
    if (const toml::table* p = r.table("parameters", true)) {
        d.spec.parameters = toml_to_json(*p);
        auto compiled = eval::JsonSchema::compile(d.spec.parameters, "parameters");
        if (!compiled) {
            for (const auto& what : compiled.error()) {
                problems.add(r.where("parameters"), prefix, what);
            }
        }
    }
    if (const toml::array* responses = r.array("responses")) {
        for (std::size_t i = 0; i < responses->size(); ++i) {
            std::string key = fmt::format("{}.responses[{}]", prefix, i);
            if (const auto* rt = responses->get(i)->as_table()) {
                d.responses.push_back(read_response(*rt, file, key, true, problems));
            } else {
                problems.add(location_of(file, responses->get(i)->source()), key, "expected a table");
            }
        }
    }
    if (const toml::table* def = r.table("default")) {
        d.fallback = read_response(*def, file, prefix + ".default", false, problems);
    }
    d.command = r.strings("command").value_or(std::vector<std::string>{});
    if (auto v = r.number("timeout_s")) {
        if (*v <= 0) {
            problems.add(r.where("timeout_s"), r.key_path("timeout_s"), "expected a number of seconds above 0");
        }
        d.timeout_s = *v;
    }
    d.error = r.string("error").value_or("");
    int kinds = (!d.responses.empty() || d.fallback ? 1 : 0) + (!d.command.empty() ? 1 : 0) + (!d.error.empty() ? 1 : 0);
    if (kinds != 1) {
        problems.add(r.where(), prefix,
                     "expected one implementation: responses (with a default), command (argv), or error (a tool that "
                     "always fails)");
    }
    if (!d.responses.empty() && !d.fallback) {
        problems.add(r.where("responses"), prefix + ".default",
                     "missing; a tool with responses needs a default for calls no response matches");
    }
    r.finish("name, description, parameters, responses, default, command, timeout_s, error");
    return d;
}

} // namespace

std::shared_ptr<const AgentSpec> read_agent(TableReader& r, const std::string& file, Problems& problems) {
    const toml::table* agent = r.table("agent");
    const toml::array* tools = r.array("tools");
    if (agent == nullptr && tools == nullptr) {
        return nullptr;
    }
    auto spec = std::make_shared<AgentSpec>();
    if (agent != nullptr) {
        TableReader ar(*agent, file, "agent", problems);
        if (auto v = ar.integer("max_turns")) {
            if (*v < 1) {
                problems.add(ar.where("max_turns"), "agent.max_turns", "expected a whole number of 1 or more");
            }
            spec->max_turns = *v;
        }
        if (auto v = ar.integer("max_tool_calls")) {
            if (*v < 0) {
                problems.add(ar.where("max_tool_calls"), "agent.max_tool_calls", "expected a whole number of 0 or more");
            }
            spec->max_tool_calls = *v;
        }
        spec->trajectory = ar.string("trajectory").value_or("");
        ar.finish("max_turns, max_tool_calls, trajectory");
    }
    if (tools == nullptr) {
        problems.add(r.where("agent"), "tools", "missing; an agent suite needs at least one [[tools]] entry");
        return spec;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < tools->size(); ++i) {
        std::string key = fmt::format("tools[{}]", i);
        const auto* t = tools->get(i)->as_table();
        if (t == nullptr) {
            problems.add(location_of(file, tools->get(i)->source()), key, "expected a table");
            continue;
        }
        ToolDef d = read_tool(*t, file, key, problems);
        if (!d.spec.name.empty() && !names.insert(d.spec.name).second) {
            problems.add(d.where, key + ".name", fmt::format("tool name \"{}\" is used twice", d.spec.name));
        }
        spec->tools.push_back(std::move(d));
    }
    return spec;
}

bool read_trajectory(const nlohmann::json& row, const std::string& field, const Location& where,
                     const std::string& suite_path, nlohmann::json& out, Problems& problems) {
    if (!row.contains(field) || !row[field].is_array()) {
        problems.add(where, field,
                     fmt::format("the trajectory field \"{}\" named by {} must be in this row, a list of calls "
                                 "{{name, arguments}} (or of turns, each a list of them)",
                                 field, suite_path));
        return false;
    }
    out = nlohmann::json::array();
    for (const auto& turn : row[field]) {
        nlohmann::json calls = turn.is_array() ? turn : nlohmann::json::array({turn});
        for (const auto& c : calls) {
            if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
                problems.add(where, field, "expected each call as {\"name\": …, \"arguments\": {…}}");
                return false;
            }
        }
        out.push_back(std::move(calls));
    }
    return true;
}

void link_step_tools(Suite& suite, Problems& problems) {
    for (auto& step : suite.steps) {
        if (step.tools.empty()) {
            if (!step.trajectory.empty()) {
                problems.add(step.where, step.key + ".trajectory", "only an agent step (one with tools) has a trajectory");
            }
            continue;
        }
        if (!suite.agent) {
            problems.add(step.where, step.key + ".tools", "names tools, but the suite has no [[tools]]");
            continue;
        }
        auto spec = std::make_shared<AgentSpec>();
        spec->max_turns = suite.agent->max_turns;
        spec->max_tool_calls = suite.agent->max_tool_calls;
        spec->trajectory = step.trajectory;
        for (const auto& name : step.tools) {
            if (const ToolDef* def = suite.agent->find(name)) {
                spec->tools.push_back(*def);
            } else {
                std::vector<std::string> names;
                for (const auto& t : suite.agent->tools) {
                    names.push_back(t.spec.name);
                }
                problems.add(step.where, step.key + ".tools",
                             fmt::format("no tool \"{}\" in the suite's [[tools]] ({})", name, util::join(names, ", ")));
            }
        }
        step.agent = std::move(spec);
    }
}

} // namespace orch::config
