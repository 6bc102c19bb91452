#include <orch/config/recorded.hpp>
#include <orch/core/error.hpp>
#include <orch/learn/replay_dir.hpp>

#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace orch::learn {

namespace fs = std::filesystem;

namespace {

// A TOML basic string (quoted, escaped): model names such as "mixtral-8x7b-instruct-v0.1"
// are not bare keys. JSON string escaping is valid TOML.
std::string toml_string(const std::string& s) { return nlohmann::json(s).dump(); }

class OutFile {
  public:
    explicit OutFile(std::string path) : m_path(std::move(path)), m_out(m_path, std::ios::binary | std::ios::trunc) {
        if (!m_out) {
            throw Error(ErrorKind::config, fmt::format("--replay-dir: cannot write {}: {}", m_path, std::strerror(errno)));
        }
    }
    std::ostream& out() { return m_out; }
    std::string close() {
        m_out.close();
        if (!m_out) {
            throw Error(ErrorKind::config, fmt::format("--replay-dir: writing {} failed", m_path));
        }
        return m_path;
    }

  private:
    std::string m_path;
    std::ofstream m_out;
};

std::string providers_text(const ImportBatch& batch, const ImportOutcome& imported) {
    std::string t = fmt::format("# Written by orch import (run {}): the recorded answers of each model, replayed at no\n"
                                "# cost by orch bench, orch diff and orch route.\n"
                                "[providers.recorded]\nprotocol = \"replay\"\nsource = \"recorded.jsonl\"\n"
                                "max_concurrency = 64\n",
                                imported.run_id);
    for (const auto& model : batch.models) {
        const Price& p = imported.prices.at(model);
        t += fmt::format("\n[models.{}]\nprovider = \"recorded\"\ninput_per_mtok = {}\noutput_per_mtok = {}\n"
                         "context_window = 1000000\n",
                         toml_string(model), p.input_per_mtok, p.output_per_mtok);
    }
    for (const auto& model : batch.models) {
        t += fmt::format("\n[policies.{}]\ndescription = \"Every prompt to {}\"\n[[policies.{}.rules]]\n"
                         "name = \"all\"\naction = \"fixed\"\nmodel = {}\n",
                         toml_string("only-" + model), model, toml_string("only-" + model), toml_string(model));
    }
    t += "\n[policies.split-even]\ndescription = \"Each prompt to one model, evenly at random (by request)\"\n"
         "[[policies.split-even.rules]]\nname = \"even\"\naction = \"split\"\nsplit = { ";
    for (std::size_t i = 0; i < batch.models.size(); ++i) {
        t += fmt::format("{}{} = 1", i ? ", " : "", toml_string(batch.models[i]));
    }
    t += " }\n";
    return t;
}

} // namespace

void check_replay_dir(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
        throw Error(ErrorKind::config, fmt::format("--replay-dir: cannot create {}: {}", dir, ec.message()));
    }
    OutFile probe((fs::path(dir) / ".orch-write-check").string());
    probe.close();
    fs::remove(fs::path(dir) / ".orch-write-check", ec);
}

std::vector<std::string> write_replay_dir(const ImportBatch& batch, const ImportOutcome& imported,
                                          const ImportOptions& options, const std::string& dir) {
    check_replay_dir(dir);
    std::vector<std::string> written;
    fs::path root(dir);

    OutFile recorded((root / "recorded.jsonl").string());
    for (const auto& task : batch.tasks) {
        config::RecordedPrompt p;
        p.id = task.task_id;
        p.task_type = task.task_type;
        p.prompt = task.prompt;
        for (const auto& o : task.outcomes) {
            RecordedCost cost = recorded_cost(task, o, imported.prices.at(o.model), options);
            config::RecordedOutcome r = o;
            r.input_tokens = cost.input_tokens;
            r.output_tokens = cost.output_tokens;
            r.cost_usd = cost.cost_usd;
            p.outcomes.push_back(std::move(r));
        }
        config::write_recorded_line(recorded.out(), p);
    }
    written.push_back(recorded.close());

    OutFile providers((root / "providers.toml").string());
    providers.out() << providers_text(batch, imported);
    written.push_back(providers.close());

    fs::path suites = root / "suites";
    std::error_code ec;
    fs::create_directories(suites, ec);
    for (const auto& [suite, hash] : batch.suites) {
        OutFile data((suites / (suite + ".jsonl")).string());
        for (const auto& task : batch.tasks) {
            if (task.suite == suite) {
                nlohmann::json row = {{"id", task.task_id}, {"prompt", task.prompt},
                                      {"override", {{"type", task.task_type}}}};
                data.out() << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
            }
        }
        written.push_back(data.close());
        OutFile toml((suites / (suite + ".toml")).string());
        toml.out() << fmt::format("# Written by orch import (run {}): replays the recorded answers of {} (@{}).\n"
                                  "name = {}\ntype = \"chat\"\ndataset = {}\nthreshold = 1.0\n\n"
                                  "[prompt]\nuser = \"{{{{prompt}}}}\"\n\n[[evaluators]]\nkind = \"recorded\"\n",
                                  imported.run_id, suite, hash.substr(0, 12), toml_string(suite),
                                  toml_string(suite + ".jsonl"));
        written.push_back(toml.close());
    }
    return written;
}

} // namespace orch::learn
