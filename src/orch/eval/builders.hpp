#pragma once
// Internal to eval/: the pieces make_heuristic assembles. A builder reads and checks its
// parameters through a ParamReader and returns the check to run; when the reader reports a
// problem the returned check is never used (and may be empty).
#include <orch/eval/heuristic.hpp>
#include <orch/eval/param_reader.hpp>

#include <functional>
#include <optional>
#include <string>

namespace orch::eval::detail {

using Check = std::function<Verdict(const Candidate&)>;
using Builder = Check (*)(ParamReader&);

// A binary verdict: score 1 when `passed`, else 0.
Verdict pass_fail(bool passed, std::string reason);
// A graded verdict; with a threshold, score 1 when `score` meets it, else 0.
Verdict graded(double score, std::optional<double> threshold, const std::string& measure);

// The JSON kinds (json_heuristics.cpp).
Check build_is_json(ParamReader& r);
Check build_json_schema(ParamReader& r);
Check build_json_path(ParamReader& r);
Check build_tool_call(ParamReader& r);

// nullopt when a call's arguments match the expected ones (every expected key, or with
// `exact` exactly these keys; strings without regard to case and surrounding spaces);
// otherwise the first difference.
std::optional<std::string> arguments_mismatch(const nlohmann::json& expected, const nlohmann::json& actual, bool exact);

// The trajectory kinds (trajectory.cpp): they read an agent task's calls and turns.
Check build_tool_sequence(ParamReader& r);
Check build_tool_called(ParamReader& r);
Check build_max_turns(ParamReader& r);
Check build_max_tool_calls(ParamReader& r);

} // namespace orch::eval::detail
