#include <orch/config/template.hpp>
#include <orch/config/workflow.hpp>
#include <orch/config/agent.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <set>

namespace orch::config {

namespace {

bool valid_id(const std::string& id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
}

// How one step came to depend on another: its needs, or a template.
struct Edge {
    std::size_t to = 0;
    std::string key;  // "needs" or "prompt.user"
    Location where;
};

std::string step_list(const std::vector<StepSpec>& steps) {
    std::vector<std::string> ids;
    for (const auto& s : steps) {
        ids.push_back(s.id);
    }
    return util::join(ids, ", ");
}

// Every cycle of the graph, each reported once at the edge that closes it.
void report_cycles(const std::vector<StepSpec>& steps, const std::vector<std::vector<Edge>>& edges,
                   Problems& problems) {
    enum class Mark { none, open, done };
    std::vector<Mark> mark(steps.size(), Mark::none);
    std::vector<std::size_t> path;
    std::set<std::set<std::size_t>> seen;
    auto visit = [&](auto&& self, std::size_t i) -> void {
        mark[i] = Mark::open;
        path.push_back(i);
        for (const auto& e : edges[i]) {
            if (mark[e.to] == Mark::open) {
                auto from = std::find(path.begin(), path.end(), e.to);
                std::set<std::size_t> members(from, path.end());
                if (seen.insert(members).second) {
                    std::vector<std::string> names;
                    for (auto it = from; it != path.end(); ++it) {
                        names.push_back(steps[*it].id);
                    }
                    names.push_back(steps[e.to].id);
                    problems.add(e.where, steps[i].key + "." + e.key,
                                 fmt::format("a cycle: {} (each needs the next)", util::join(names, " → ")));
                }
            } else if (mark[e.to] == Mark::none) {
                self(self, e.to);
            }
        }
        path.pop_back();
        mark[i] = Mark::done;
    };
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (mark[i] == Mark::none) {
            visit(visit, i);
        }
    }
}

} // namespace

std::optional<StepRef> parse_step_ref(const std::string& var, std::string& error) {
    if (var.rfind("steps.", 0) != 0) {
        return std::nullopt;
    }
    auto parts = util::split(var, '.');
    StepRef ref;
    if (parts.size() >= 3) {
        ref.step = parts[1];
        if (parts[2] == "output" && parts.size() == 3) {
            return ref;
        }
        if (parts[2] == "json") {
            ref.json = true;
            for (std::size_t i = 3; i < parts.size(); ++i) {
                ref.path += (i > 3 ? "." : "") + parts[i];
            }
            return ref;
        }
    }
    error = fmt::format("{{{{{}}}}}: expected {{{{steps.ID.output}}}}, {{{{steps.ID.json}}}} or "
                        "{{{{steps.ID.json.FIELD}}}}",
                        var);
    ref.step = parts.size() >= 2 ? parts[1] : "";
    return ref;
}

void read_steps(const toml::array& array, TableReader& suite_reader, Suite& suite, Problems& problems) {
    const std::string& file = suite_reader.file();
    std::vector<StepSpec>& steps = suite.steps;
    std::vector<std::map<std::string, Location>> template_where(array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
        const toml::node& n = *array.get(i);
        std::string prefix = fmt::format("steps[{}]", i);
        const auto* t = n.as_table();
        if (t == nullptr) {
            problems.add(location_of(file, n.source()), prefix, fmt::format("expected a table, got {}", toml_type_name(n)));
            continue;
        }
        TableReader r(*t, file, prefix, problems);
        StepSpec s;
        s.key = prefix;
        s.where = r.where();
        s.id = r.string("id", true).value_or("");
        if (t->contains("id") && !valid_id(s.id)) {
            problems.add(r.where("id"), r.key_path("id"), "expected an id of letters, digits, '_' and '-'");
        }
        s.type = r.string("type").value_or(suite.type);
        s.tags = r.strings("tags").value_or(suite.tags);
        s.needs = r.strings("needs").value_or(std::vector<std::string>{});
        s.reference = r.string("reference").value_or("");
        if (const toml::node* c = r.any("choices")) {
            s.choices = toml_to_json(*c);
            if (!s.choices.is_array()) {
                problems.add(r.where("choices"), r.key_path("choices"), "expected an array");
                s.choices = nlohmann::json::array();
            }
        }
        if (auto v = r.number("threshold")) {
            if (*v < 0 || *v > 1) {
                problems.add(r.where("threshold"), r.key_path("threshold"), "expected a number from 0 to 1");
            }
            s.threshold = *v;
        }
        s.sensitive = r.boolean("sensitive");
        s.model = r.string("model").value_or("");
        s.policy = r.string("policy").value_or("");
        s.key_where["model"] = r.where("model");
        s.key_where["policy"] = r.where("policy");
        s.key_where["needs"] = r.where("needs");
        s.tools = r.strings("tools").value_or(std::vector<std::string>{});
        s.trajectory = r.string("trajectory").value_or("");
        if (!s.model.empty() && !s.policy.empty()) {
            problems.add(r.where("policy"), r.key_path("policy"), "a step names a model or a policy, not both");
        }
        if (const toml::table* p = r.table("prompt")) {
            TableReader pr(*p, file, prefix + ".prompt", problems);
            s.prompt.system = pr.string("system").value_or("");
            s.prompt.user = pr.string("user").value_or("");
            template_where[i]["system"] = pr.where("system");
            template_where[i]["user"] = pr.where("user");
            if (util::trim(s.prompt.user).empty() && util::trim(s.prompt.system).empty()) {
                problems.add(pr.where(), prefix + ".prompt", "expected a user (or system) template; this step would send nothing");
            }
            pr.finish("system, user");
        } else if (!t->contains("prompt")) {
            problems.add(r.where(), prefix + ".prompt", "missing; every step needs a [steps.prompt] with a user template");
        }
        s.params = suite.params;
        if (const toml::table* p = r.table("params")) {
            TableReader pr(*p, file, prefix + ".params", problems);
            read_params(pr, s.params);
        }
        if (const toml::array* evs = r.array("evaluators")) {
            for (std::size_t j = 0; j < evs->size(); ++j) {
                const toml::node& en = *evs->get(j);
                std::string ekey = fmt::format("{}.evaluators[{}]", prefix, j);
                if (const auto* et = en.as_table()) {
                    s.evaluators.push_back(read_evaluator(*et, file, ekey, problems));
                } else {
                    problems.add(location_of(file, en.source()), ekey, fmt::format("expected a table, got {}", toml_type_name(en)));
                }
            }
        }
        r.finish("id, type, tags, needs, prompt, params, evaluators, threshold, reference, choices, model, "
                 "policy, sensitive, tools, trajectory");
        steps.push_back(std::move(s));
    }
    if (steps.empty()) {
        problems.add(suite_reader.where("steps"), "steps", "expected at least one [[steps]] table");
        return;
    }

    std::map<std::string, std::size_t> by_id;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].id.empty()) {
            continue;
        }
        auto [it, fresh] = by_id.emplace(steps[i].id, i);
        if (!fresh) {
            problems.add(steps[i].where, steps[i].key + ".id",
                         fmt::format("duplicate step id \"{}\" (also {} at {})", steps[i].id, steps[it->second].key,
                                     format_location(steps[it->second].where)));
        }
    }

    // The graph: needs as written, and every step a template names.
    std::vector<std::vector<Edge>> edges(steps.size());
    for (std::size_t i = 0; i < steps.size(); ++i) {
        StepSpec& s = steps[i];
        auto add_edge = [&](std::size_t to, const std::string& key, const Location& at) {
            for (const auto& e : edges[i]) {
                if (e.to == to) {
                    return;
                }
            }
            edges[i].push_back(Edge{to, key, at});
            s.upstream.push_back(to);
        };
        Location needs_at = s.key_where["needs"];
        for (const auto& need : s.needs) {
            auto it = by_id.find(need);
            if (it == by_id.end()) {
                problems.add(needs_at, s.key + ".needs",
                             fmt::format("no step \"{}\" (the steps are: {})", need, step_list(steps)));
            } else if (it->second == i) {
                problems.add(needs_at, s.key + ".needs", fmt::format("step \"{}\" needs itself", need));
            } else {
                add_edge(it->second, "needs", needs_at);
            }
        }
        for (const char* part : {"system", "user"}) {
            const std::string& text = std::string(part) == "system" ? s.prompt.system : s.prompt.user;
            const Location& at = template_where[i][part];
            std::string key = std::string("prompt.") + part;
            for (const auto& var : variables_in(text)) {
                std::string error;
                auto ref = parse_step_ref(var, error);
                if (!ref) {
                    continue;
                }
                if (!error.empty()) {
                    problems.add(at, s.key + "." + key, error);
                    continue;
                }
                auto it = by_id.find(ref->step);
                if (it == by_id.end()) {
                    problems.add(at, s.key + "." + key,
                                 fmt::format("{{{{{}}}}} names no step (the steps are: {})", var, step_list(steps)));
                } else if (it->second == i) {
                    problems.add(at, s.key + "." + key,
                                 fmt::format("{{{{{}}}}} names this step itself: a step reads only the steps upstream of it", var));
                } else {
                    add_edge(it->second, key, at);
                }
            }
        }
    }
    report_cycles(steps, edges, problems);

    // The final step: named, or the last one no other step needs.
    std::vector<bool> needed(steps.size(), false);
    for (const auto& s : steps) {
        for (auto u : s.upstream) {
            needed[u] = true;
        }
    }
    suite.final_step = steps.size() - 1;
    for (std::size_t i = steps.size(); i-- > 0;) {
        if (!needed[i]) {
            suite.final_step = i;
            break;
        }
    }
    if (auto name = suite_reader.string("final_step")) {
        auto it = by_id.find(*name);
        if (it == by_id.end()) {
            problems.add(suite_reader.where("final_step"), "final_step",
                         fmt::format("no step \"{}\" (the steps are: {})", *name, step_list(steps)));
        } else {
            suite.final_step = it->second;
        }
    }
}

bool resolve_steps(const Suite& suite, const nlohmann::json& row, const nlohmann::json& overrides,
                   const Location& where, Task& task, Problems& problems) {
    std::size_t before = problems.size();
    task.final_step = suite.final_step;
    std::set<std::string> overridden;
    for (const auto& spec : suite.steps) {
        StepTask st;
        st.id = spec.id;
        st.type = spec.type;
        st.tags = spec.tags;
        st.sensitive = spec.sensitive.value_or(task.sensitive);
        st.threshold = spec.threshold.value_or(task.threshold);
        st.prompt = spec.prompt;
        st.params = spec.params;
        st.evaluators = spec.evaluators;
        st.choices = spec.choices;
        st.model = spec.model;
        st.policy = spec.policy;
        st.upstream = spec.upstream;
        st.agent = spec.agent;
        if (spec.agent && !spec.trajectory.empty()) {
            read_trajectory(row, spec.trajectory, where, suite.path, st.trajectory, problems);
        }
        std::string okey = "override.steps." + spec.id;
        if (overrides.is_object() && overrides.contains(spec.id)) {
            overridden.insert(spec.id);
            const auto& ov = overrides[spec.id];
            if (!ov.is_object()) {
                problems.add(where, okey, "expected an object");
            } else {
                for (auto it = ov.begin(); it != ov.end(); ++it) {
                    const std::string& k = it.key();
                    const auto& v = *it;
                    if (k == "type" && v.is_string()) {
                        st.type = v.get<std::string>();
                    } else if (k == "tags" && v.is_array()) {
                        st.tags = v.get<std::vector<std::string>>();
                    } else if (k == "threshold" && v.is_number()) {
                        st.threshold = v.get<double>();
                    } else if (k == "sensitive" && v.is_boolean()) {
                        st.sensitive = v.get<bool>();
                    } else if (k == "model" && v.is_string()) {
                        st.model = v.get<std::string>();
                        st.policy.clear();
                    } else if (k == "policy" && v.is_string()) {
                        st.policy = v.get<std::string>();
                        st.model.clear();
                    } else if (k == "prompt" && v.is_object()) {
                        // A row may reword a step, not rewire the workflow: its templates may
                        // name only the steps the suite's own prompt already reads.
                        for (const char* part : {"system", "user"}) {
                            if (!v.contains(part)) {
                                continue;
                            }
                            if (!v[part].is_string()) {
                                problems.add(where, okey + ".prompt." + part, "expected a string");
                                continue;
                            }
                            std::string text = v[part].get<std::string>();
                            for (const auto& var : variables_in(text)) {
                                std::string error;
                                auto ref = parse_step_ref(var, error);
                                if (ref && (!error.empty() || std::none_of(st.upstream.begin(), st.upstream.end(), [&](std::size_t u) {
                                                return suite.steps[u].id == ref->step;
                                            }))) {
                                    problems.add(where, okey + ".prompt." + part,
                                                 error.empty() ? fmt::format("{{{{{}}}}} names a step that is not upstream of "
                                                                             "\"{}\" in the suite",
                                                                             var, spec.id)
                                                               : error);
                                }
                            }
                            (std::string(part) == "system" ? st.prompt.system : st.prompt.user) = std::move(text);
                        }
                    } else if (k == "params" && v.is_object()) {
                        if (v.contains("temperature") && v["temperature"].is_number()) {
                            st.params.temperature = v["temperature"].get<double>();
                        }
                        if (v.contains("max_tokens") && v["max_tokens"].is_number_integer()) {
                            st.params.max_tokens = v["max_tokens"].get<std::int64_t>();
                        }
                    } else if (k == "evaluators" && v.is_array()) {
                        st.evaluators.clear();
                        for (std::size_t i = 0; i < v.size(); ++i) {
                            EvaluatorSpec e;
                            if (evaluator_from_json(v[i], where, fmt::format("{}.evaluators[{}]", okey, i), e, problems)) {
                                st.evaluators.push_back(std::move(e));
                            }
                        }
                    } else {
                        problems.add(where, okey + "." + k,
                                     "unknown or mistyped override (expected type, tags, threshold, sensitive, "
                                     "model, policy, prompt, params or evaluators)");
                    }
                }
            }
        }
        // The row's own variables must be there now; the steps' outputs come at run time.
        std::vector<std::string> missing;
        for (const std::string* text : {&st.prompt.system, &st.prompt.user}) {
            render(*text, row, missing);
        }
        for (const auto& name : missing) {
            if (name.rfind("steps.", 0) != 0) {
                problems.add(where, fmt::format("{}.prompt", spec.key),
                             fmt::format("template variable {{{{{}}}}} is not in this row ({})", name, suite.path));
            }
        }
        missing.clear();
        for (auto& e : st.evaluators) {
            e.params = render_json(e.params, row, missing);
            for (const auto& name : missing) {
                problems.add(where, fmt::format("{}.{}", spec.key, e.kind),
                             fmt::format("template variable {{{{{}}}}} used by the evaluator at {} is not in this row{}",
                                         name, format_location(e.where),
                                         name.rfind("steps.", 0) == 0 ? " (evaluators read the row; they score the step's own output)" : ""));
            }
            missing.clear();
        }
        if (!spec.reference.empty()) {
            if (row.contains(spec.reference)) {
                st.reference = row[spec.reference];
            } else {
                problems.add(where, spec.reference,
                             fmt::format("the reference field \"{}\" named by {} ({}) is not in this row", spec.reference,
                                         spec.key, suite.path));
            }
        }
        task.steps.push_back(std::move(st));
    }
    if (overrides.is_object()) {
        for (auto it = overrides.begin(); it != overrides.end(); ++it) {
            if (overridden.count(it.key()) == 0) {
                problems.add(where, "override.steps." + it.key(),
                             fmt::format("no step \"{}\" (the steps are: {})", it.key(), step_list(suite.steps)));
            }
        }
    }
    return problems.size() == before;
}

namespace {

// The values a rendered input must carry: a scalar as text, an object or list by its leaves, so
// a JSON output counts as right however it was laid out (fenced, indented, keys reordered).
void add_leaves(const nlohmann::json& v, std::vector<std::string>& out) {
    if (v.is_object() || v.is_array()) {
        for (const auto& item : v) {
            add_leaves(item, out);
        }
    } else if (v.is_string()) {
        out.push_back(v.get<std::string>());
    } else if (!v.is_null()) {
        out.push_back(v.dump());
    }
}

} // namespace

std::vector<std::string> expected_step_inputs(const Task& task, const StepTask& step) {
    std::vector<std::string> out;
    for (const std::string* text : {&step.prompt.system, &step.prompt.user}) {
        for (const auto& var : variables_in(*text)) {
            std::string error;
            auto ref = parse_step_ref(var, error);
            if (!ref || !error.empty()) {
                continue;
            }
            for (const auto& up : task.steps) {
                if (up.id != ref->step || up.reference.is_null()) {
                    continue;
                }
                const nlohmann::json* v = &up.reference;
                if (ref->json && !ref->path.empty()) {
                    for (const auto& part : util::split(ref->path, '.')) {
                        v = v->is_object() && v->contains(part) ? &(*v)[part] : nullptr;
                        if (v == nullptr) {
                            break;
                        }
                    }
                }
                if (v != nullptr) {
                    add_leaves(*v, out);
                }
            }
        }
    }
    return out;
}

std::vector<Message> render_step(const Task& task, const StepTask& step, const nlohmann::json& outputs,
                                 std::vector<std::string>& missing) {
    nlohmann::json vars = task.vars;
    vars["steps"] = outputs;
    std::vector<Message> messages;
    if (!step.prompt.system.empty()) {
        messages.push_back(Message{"system", render(step.prompt.system, vars, missing)});
    }
    messages.push_back(Message{"user", render(step.prompt.user, vars, missing)});
    return messages;
}

} // namespace orch::config
