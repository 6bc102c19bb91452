#pragma once
// An agent suite's tools ([[tools]]) and loop limits ([agent]): the fixtures a tool answers
// with, read and checked with located errors. The loop itself is bench/agent.cpp.
#include <orch/config/problems.hpp>
#include <orch/core/types.hpp>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace orch::config {

// One fixture answer: when every `match` entry holds for the call's arguments (an argument
// name or a JSON path such as "$.items[0].sku", mapped to the value it must equal), the tool
// answers `result` (a string, or JSON sent as its text), or fails with `error`.
struct ToolResponse {
    nlohmann::json match = nlohmann::json::object();
    nlohmann::json result;
    std::string error;
    Location where;
};

struct ToolDef {
    ToolSpec spec;
    std::vector<ToolResponse> responses;
    std::optional<ToolResponse> fallback; // `default`: when no response matches
    std::vector<std::string> command;     // a program: arguments as JSON on stdin, result on stdout
    double timeout_s = 10;
    std::string error; // a tool that always fails with this message
    Location where;
    std::string key; // "tools[1]"
};

struct AgentSpec {
    std::vector<ToolDef> tools;
    std::int64_t max_turns = 8;
    std::int64_t max_tool_calls = 16;
    // Dataset field holding the golden trajectory: a list of turns, each a list of
    // {name, arguments} made together (a single call may stand for a turn of one). The
    // simulated fleet plays it; evaluators template it ({{calls}}).
    std::string trajectory;
    const ToolDef* find(const std::string& name) const;
};

class TableReader;
struct Suite;

// A row's golden calls (`value`, the row's `field`) as turns: a list of turns, each a list of
// {name, arguments}; a call on its own is a turn of one. Returns false when it added a problem.
bool read_trajectory(const nlohmann::json& row, const std::string& field, const Location& where,
                     const std::string& suite_path, nlohmann::json& out, Problems& problems);

// A workflow's agent steps: each step's `tools` resolved against the suite's [[tools]] into a
// spec of its own (those tools, the suite's limits). Every problem goes to `problems`.
void link_step_tools(Suite& suite, Problems& problems);

// Reads `[agent]` and `[[tools]]` of a suite (either makes it an agent suite); null when the
// suite has neither. Every problem goes to `problems`.
std::shared_ptr<const AgentSpec> read_agent(TableReader& suite_reader, const std::string& file, Problems& problems);

} // namespace orch::config
