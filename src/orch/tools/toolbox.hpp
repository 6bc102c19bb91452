#pragma once
// The tools of an agent suite at run time: a call checked against its tool (known by name,
// arguments that are JSON and fit the tool's schema), then answered by its fixture (the first
// response whose matches hold, else the default), its program (arguments on stdin, result on
// stdout, killed at its timeout) or its fixed error. Fixtures are pure functions of the call,
// so runs are comparable and cacheable.
#include <orch/config/agent.hpp>
#include <orch/core/types.hpp>
#include <orch/eval/json_output.hpp>
#include <orch/eval/json_schema.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orch::tools {

struct ToolOutcome {
    std::string content;   // what the model is told
    bool is_error = false; // the call failed (the model is told so)
    bool valid = true;     // false: the call broke the tool's contract and was not run
    std::string error;     // why it failed, for the records
    double latency_ms = 0;
};

class ToolBox {
  public:
    // Compiles each tool's schema and match paths (config::read_agent has checked them).
    explicit ToolBox(const config::AgentSpec& spec);

    // A call that cannot run: an unknown tool, arguments that are not a JSON object or break
    // the schema. nullopt when the call is valid.
    std::optional<ToolOutcome> check(const ToolCall& call) const;
    // Whether answering the call runs a program (and so may take until its timeout).
    bool runs_program(const ToolCall& call) const;
    // Checks and answers the call; blocks while a program runs.
    ToolOutcome run(const ToolCall& call) const;
    const std::vector<ToolSpec>& specs() const { return m_specs; }

  private:
    struct Compiled {
        const config::ToolDef* def = nullptr;
        std::optional<eval::JsonSchema> schema;
        // per response: (argument name or path, the path compiled when it is one, expected value)
        std::vector<std::vector<std::tuple<std::string, std::optional<eval::JsonPath>, nlohmann::json>>> matches;
    };
    ToolOutcome answer(const Compiled& tool, const nlohmann::json& arguments, const ToolCall& call) const;

    std::vector<ToolSpec> m_specs;
    std::map<std::string, Compiled> m_tools;
};

} // namespace orch::tools
