#pragma once
// Internal to config/: a workflow suite's [[steps]] (read, linked into a graph and checked)
// and each row's steps (overrides applied, evaluators rendered over the row).
#include <orch/config/suite.hpp>
#include <orch/config/toml_reader.hpp>

namespace orch::config {

// Shared with suite.cpp: one [[evaluators]] table, one [params] table, an evaluator in JSON.
EvaluatorSpec read_evaluator(const toml::table& t, const std::string& file, const std::string& prefix,
                             Problems& problems);
void read_params(TableReader& r, GenParams& params);
bool evaluator_from_json(const nlohmann::json& j, const Location& where, const std::string& key,
                         EvaluatorSpec& e, Problems& problems);

// Reads `steps` and `final_step` into the suite and checks the graph: duplicate or malformed
// ids, a step without a prompt, needs naming no step, templates naming no step (or their own),
// and every cycle, each once. Everything found goes to `problems`.
void read_steps(const toml::array& steps, TableReader& suite_reader, Suite& suite, Problems& problems);

// The row's steps: the suite's steps with the row's `override.steps` applied (`overrides` is
// null or an object of step id -> changes), row variables checked, evaluators rendered.
// Returns false when it added a problem.
bool resolve_steps(const Suite& suite, const nlohmann::json& row, const nlohmann::json& overrides,
                   const Location& where, Task& task, Problems& problems);

} // namespace orch::config
