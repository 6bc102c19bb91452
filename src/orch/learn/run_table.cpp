#include <orch/core/error.hpp>
#include <orch/learn/imported_prompts.hpp>
#include <orch/learn/run_table.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <set>

namespace orch::learn {

RunTable load_run_table(store::Store& store, std::int64_t run_id, const std::string& db_path) {
    auto run = store.run(run_id);
    if (!run) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: no run {} (see 'orch runs list')", db_path, run_id));
    }
    RunTable table;
    table.run_id = run_id;

    std::map<std::pair<std::string, std::string>, Example> rows;
    std::set<std::string> models;
    store.for_each_result(run_id, [&](const store::ResultRow& r) {
        if (r.status != "scored" || !r.score) {
            return;
        }
        auto& e = rows[{r.suite, r.task_id}];
        e.suite = r.suite;
        e.task_id = r.task_id;
        e.task_type = r.task_type;
        std::string model = r.model.empty() ? r.target : r.model;
        models.insert(model);
        auto& o = e.outcomes[model];
        // Running means over repeats.
        o.repeats += 1;
        o.score += (*r.score - o.score) / o.repeats;
        o.cost_usd += (r.cost_usd - o.cost_usd) / o.repeats;
        if (o.repeats == 1) {
            o.output = r.output;
        }
    });
    table.models.assign(models.begin(), models.end());

    // The prompts: <db>.imports/<run>.jsonl beside this database, else the recorded file.
    std::string path = imported_prompts_path(db_path, run_id);
    if (!std::filesystem::exists(path)) {
        path.clear();
        if (run->suites.is_object() && run->suites.contains(k_prompts_key) &&
            run->suites[k_prompts_key].is_string() &&
            std::filesystem::exists(run->suites[k_prompts_key].get<std::string>())) {
            path = run->suites[k_prompts_key].get<std::string>();
        }
    }
    if (!path.empty()) {
        table.prompts_path = path;
        // Files without a suite column match on the task id alone.
        std::map<std::string, Example*> by_task;
        for (auto& [key, e] : rows) {
            by_task.emplace(key.second, &e);
        }
        for (auto& p : read_imported_prompts(path)) {
            Example* e = nullptr;
            if (auto it = rows.find({p.suite, p.task_id}); it != rows.end()) {
                e = &it->second;
            } else if (auto t = by_task.find(p.task_id); p.suite.empty() && t != by_task.end()) {
                e = t->second;
            }
            if (e != nullptr) {
                e->prompt = std::move(p.prompt);
            }
        }
    }
    table.examples.reserve(rows.size());
    for (auto& [key, e] : rows) {
        table.examples.push_back(std::move(e));
    }
    return table;
}

} // namespace orch::learn
