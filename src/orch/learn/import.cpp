#include <orch/config/problems.hpp>
#include <orch/config/recorded.hpp>
#include <orch/core/error.hpp>
#include <orch/core/types.hpp>
#include <orch/learn/csv.hpp>
#include <orch/learn/import.hpp>
#include <orch/learn/imported_prompts.hpp>
#include <orch/util/clock.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

#ifndef ORCH_VERSION
#define ORCH_VERSION "0.0.0"
#endif
#ifndef ORCH_GIT_REV
#define ORCH_GIT_REV ""
#endif

namespace orch::learn {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_problems = 20; // stop reading after this many: the input is wrong

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot open the file", path));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

// "True"/"False", "1"/"0" or a number in [0, 1]; nullopt for an empty cell.
std::optional<double> parse_score(const std::string& text, bool& ok) {
    ok = true;
    std::string t = util::to_lower(util::trim(text));
    if (t.empty()) {
        return std::nullopt;
    }
    if (t == "true") {
        return 1.0;
    }
    if (t == "false") {
        return 0.0;
    }
    double v = 0;
    if (util::parse_number(t, v) && v >= 0 && v <= 1) {
        return v;
    }
    ok = false;
    return std::nullopt;
}

// Which rows of a file of n rows to keep: all, or `sample` of them chosen by a hash of their
// id (a deterministic sample spread over the file), in file order.
std::vector<bool> sample_rows(std::size_t n, std::size_t sample, const std::string& salt) {
    std::vector<bool> keep(n, sample == 0 || sample >= n);
    if (sample == 0 || sample >= n) {
        return keep;
    }
    std::vector<std::pair<std::uint64_t, std::size_t>> ranked;
    for (std::size_t i = 0; i < n; ++i) {
        ranked.emplace_back(util::hash64(fmt::format("{}/{}", salt, i)), i);
    }
    std::sort(ranked.begin(), ranked.end());
    for (std::size_t i = 0; i < sample; ++i) {
        keep[ranked[i].second] = true;
    }
    return keep;
}

// The CSV files named: files as given, folders expanded to their *.csv (sorted).
std::vector<std::string> csv_files(const std::vector<std::string>& paths,
                                   config::Problems& problems) {
    std::vector<std::string> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> found;
            for (const auto& entry : fs::directory_iterator(p, ec)) {
                if (entry.is_regular_file() && entry.path().extension() == ".csv") {
                    found.push_back(entry.path().string());
                }
            }
            std::sort(found.begin(), found.end());
            if (found.empty()) {
                problems.add({p, 0, 0}, "", "no .csv files in this folder");
            }
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(p, ec)) {
            files.push_back(p);
        } else {
            problems.add({p, 0, 0}, "", "no such file or folder");
        }
    }
    // The same file named twice is read once.
    std::set<std::string> seen;
    std::vector<std::string> unique;
    for (const auto& f : files) {
        std::error_code ec;
        auto canonical = fs::weakly_canonical(f, ec).string();
        if (seen.insert(ec ? f : canonical).second) {
            unique.push_back(f);
        }
    }
    return unique;
}

struct FileNaming {
    std::string suite;
    std::string task_type;
};

FileNaming naming_for(const std::string& path) {
    std::string stem = fs::path(path).stem().string();
    if (stem.rfind("mmlu_", 0) == 0) {
        return {"routellm-mmlu", stem};
    }
    if (stem.rfind("gsm8k", 0) == 0) {
        return {"routellm-gsm8k", "gsm8k"};
    }
    return {"routellm-" + stem, stem};
}

void read_routellm_file(const std::string& path, const ImportOptions& options, ImportBatch& batch,
                        std::map<std::string, std::vector<std::string>>& suite_files,
                        config::Problems& problems) {
    std::string content = read_file(path);
    FileNaming naming = naming_for(path);
    suite_files[naming.suite].push_back(fs::path(path).filename().string() + '\0' +
                                        util::sha256_hex(content));

    std::istringstream in(content);
    CsvReader csv(in, path);
    std::vector<std::string> header;
    if (!csv.next(header)) {
        problems.add({path, 1, 0}, "", "empty file: expected a header with a prompt column");
        return;
    }
    // Columns: prompt, then each model's correctness, then optional <model>_response.
    int prompt_col = -1;
    std::vector<std::pair<std::string, int>> score_cols;
    std::map<std::string, int> response_cols;
    std::set<std::string> names(header.begin(), header.end());
    for (std::size_t i = 0; i < header.size(); ++i) {
        const std::string& h = header[i];
        const std::string suffix = "_response";
        if (h == "prompt") {
            prompt_col = static_cast<int>(i);
        } else if (h.size() > suffix.size() &&
                   h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                   names.count(h.substr(0, h.size() - suffix.size())) > 0) {
            response_cols[h.substr(0, h.size() - suffix.size())] = static_cast<int>(i);
        } else if (!h.empty()) {
            score_cols.emplace_back(h, static_cast<int>(i));
        }
    }
    if (prompt_col < 0) {
        problems.add({path, 1, 0}, "", "expected a column named \"prompt\" in the header");
        return;
    }
    if (score_cols.empty()) {
        problems.add({path, 1, 0}, "",
                     "expected one correctness column per model after the prompt column");
        return;
    }
    for (const auto& [model, col] : score_cols) {
        if (std::find(batch.models.begin(), batch.models.end(), model) == batch.models.end()) {
            batch.models.push_back(model);
        }
    }

    struct Row {
        int line;
        std::vector<std::string> fields;
    };
    std::vector<Row> rows;
    std::vector<std::string> fields;
    while (csv.next(fields)) {
        rows.push_back({csv.line(), fields});
    }
    auto keep = sample_rows(rows.size(), options.sample, naming.task_type);
    for (std::size_t r = 0; r < rows.size() && problems.size() < k_max_problems; ++r) {
        if (!keep[r]) {
            continue;
        }
        const auto& row = rows[r];
        if (row.fields.size() != header.size()) {
            problems.add({path, row.line, 0}, "",
                         fmt::format("expected {} fields as in the header, got {}", header.size(),
                                     row.fields.size()));
            continue;
        }
        ImportedTask task;
        task.suite = naming.suite;
        task.task_type = naming.task_type;
        task.task_id = fmt::format("{}/{:06}", naming.task_type, r);
        task.prompt = row.fields[static_cast<std::size_t>(prompt_col)];
        task.source = fs::path(path).filename().string();
        for (const auto& [model, col] : score_cols) {
            bool ok = true;
            auto score = parse_score(row.fields[static_cast<std::size_t>(col)], ok);
            if (!ok) {
                problems.add(
                    {path, row.line, 0}, model,
                    fmt::format("expected True, False or a score from 0 to 1, got \"{}\"",
                                util::truncate(row.fields[static_cast<std::size_t>(col)], 40)));
                continue;
            }
            if (!score) {
                continue; // not recorded for this model
            }
            ImportedOutcome o;
            o.model = model;
            o.score = *score;
            if (auto it = response_cols.find(model); it != response_cols.end()) {
                const std::string& text = row.fields[static_cast<std::size_t>(it->second)];
                if (!text.empty()) {
                    o.response = text;
                }
            }
            task.outcomes.push_back(std::move(o));
        }
        batch.tasks.push_back(std::move(task));
    }
}

} // namespace

std::pair<std::string, Price> parse_price(const std::string& text) {
    auto eq = text.rfind('=');
    auto fail = [&]() -> std::pair<std::string, Price> {
        throw Error(
            ErrorKind::config,
            fmt::format(
                "--price: expected MODEL=IN_PER_MTOK,OUT_PER_MTOK (USD per million tokens), got "
                "\"{}\"",
                text));
    };
    if (eq == std::string::npos || eq == 0) {
        return fail();
    }
    std::string model = util::trim(text.substr(0, eq));
    auto parts = util::split(text.substr(eq + 1), ',');
    Price p;
    if (parts.size() == 1 && util::parse_number(parts[0], p.input_per_mtok)) {
        p.output_per_mtok = p.input_per_mtok;
    } else if (parts.size() != 2 || !util::parse_number(parts[0], p.input_per_mtok) ||
               !util::parse_number(parts[1], p.output_per_mtok)) {
        return fail();
    }
    if (p.input_per_mtok < 0 || p.output_per_mtok < 0) {
        return fail();
    }
    return {model, p};
}

const std::map<std::string, Price>& routellm_default_prices() {
    static const std::map<std::string, Price> prices = {
        {"gpt-4-1106-preview", {24.7, 24.7}},
        {"mistralai/Mixtral-8x7B-Instruct-v0.1", {0.24, 0.24}},
    };
    return prices;
}

ImportBatch read_routellm(const std::vector<std::string>& paths, const ImportOptions& options) {
    config::Problems problems;
    ImportBatch batch;
    batch.kind = "routellm";
    auto files = csv_files(paths, problems);
    problems.throw_if_any();
    std::map<std::string, std::vector<std::string>> suite_files;
    for (const auto& f : files) {
        read_routellm_file(f, options, batch, suite_files, problems);
    }
    problems.throw_if_any();
    for (auto& [suite, parts] : suite_files) {
        std::sort(parts.begin(), parts.end());
        batch.suites[suite] = util::sha256_hex(util::join(parts, "\n"));
    }
    if (batch.tasks.empty()) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: no prompts to import", util::join(paths, ", ")));
    }
    return batch;
}

ImportBatch read_jsonl(const std::string& path, const ImportOptions& options) {
    config::RecordedFile file = config::read_recorded_jsonl(path);
    ImportBatch batch;
    batch.kind = "jsonl";
    std::string suite = fs::path(path).stem().string();
    batch.suites[suite] = file.content_sha256;
    batch.models = file.models;
    auto keep = sample_rows(file.prompts.size(), options.sample, suite);
    for (std::size_t r = 0; r < file.prompts.size(); ++r) {
        if (!keep[r]) {
            continue;
        }
        auto& p = file.prompts[r];
        ImportedTask task;
        task.suite = suite;
        task.source = fs::path(path).filename().string();
        task.task_id = std::move(p.id);
        task.task_type = std::move(p.task_type);
        task.prompt = std::move(p.prompt);
        task.outcomes = std::move(p.outcomes);
        batch.tasks.push_back(std::move(task));
    }
    return batch;
}

namespace {

// Prices: --price, then providers.toml, then the RouteLLM paper's; else 0 with a warning.
std::map<std::string, Price> resolve_prices(const ImportBatch& batch, const ImportOptions& options,
                                            ImportOutcome& outcome) {
    std::map<std::string, Price> prices;
    for (const auto& model : batch.models) {
        if (auto it = options.prices.find(model); it != options.prices.end()) {
            prices[model] = it->second;
            outcome.price_source[model] = "--price";
        } else if (const config::ModelConfig* m =
                       options.providers ? options.providers->find_model(model) : nullptr) {
            prices[model] = {m->input_per_mtok, m->output_per_mtok};
            outcome.price_source[model] = options.providers->path;
        } else if (auto d = routellm_default_prices().find(model);
                   d != routellm_default_prices().end()) {
            prices[model] = d->second;
            outcome.price_source[model] = "the RouteLLM paper's price";
        } else {
            prices[model] = {};
            outcome.price_source[model] = "none";
            outcome.warnings.push_back(
                fmt::format("no price for model \"{}\": costs recorded as 0 unless the file gives "
                            "them (pass --price {}=IN,OUT)",
                            model, model));
        }
    }
    return prices;
}

} // namespace

RecordedCost recorded_cost(const ImportedTask& task, const ImportedOutcome& o, const Price& price,
                           const ImportOptions& options) {
    RecordedCost c;
    c.input_tokens = o.input_tokens.value_or(std::max<std::int64_t>(1, estimate_tokens(task.prompt)));
    c.output_tokens = o.output_tokens.value_or(o.response ? estimate_tokens(*o.response) : options.output_tokens);
    c.estimated = !o.input_tokens || !o.output_tokens;
    c.cost_usd = o.cost_usd.value_or((static_cast<double>(c.input_tokens) * price.input_per_mtok +
                                      static_cast<double>(c.output_tokens) * price.output_per_mtok) /
                                     1e6);
    return c;
}

ImportOutcome write_import(const ImportBatch& batch, const ImportOptions& options,
                           const RunLineage& lineage, store::Store& store) {
    ImportOutcome outcome;
    outcome.prices = resolve_prices(batch, options, outcome);

    store::RunInfo run;
    run.started_at = util::now_iso8601();
    run.status = "running";
    run.command = lineage.command_line;
    run.orch_version = ORCH_VERSION;
    run.git_rev = ORCH_GIT_REV;
    run.providers_hash = lineage.providers_hash;
    run.seed = 0;
    run.repeats = 1;
    run.targets = batch.models;
    run.suites = nlohmann::json::object();
    for (const auto& [suite, hash] : batch.suites) {
        run.suites[suite] = hash;
    }
    run.simulated = false;
    // The run names its prompts file. Its id is known only once created, and a run row is
    // never rewritten, so predict it (SQLite gives max(id) + 1); should another process get in
    // first, the file is still written under the real id, where load_run_table looks first.
    std::int64_t predicted = store.latest_run_id().value_or(0) + 1;
    std::error_code ec;
    auto absolute = [&](const std::string& p) {
        auto a = fs::absolute(p, ec);
        return ec ? p : a.lexically_normal().string();
    };
    run.suites[k_prompts_key] = absolute(imported_prompts_path(lineage.db_path, predicted));
    outcome.run_id = store.create_run(run);
    outcome.prompts_path = absolute(imported_prompts_path(lineage.db_path, outcome.run_id));
    if (outcome.run_id != predicted) {
        outcome.warnings.push_back(
            fmt::format("another process created run {} meanwhile; this run's prompts "
                        "are in {}",
                        predicted, outcome.prompts_path));
    }

    // The prompts before the results: a run with results always has its prompts.
    std::vector<ImportedPrompt> prompts;
    prompts.reserve(batch.tasks.size());
    for (const auto& t : batch.tasks) {
        prompts.push_back({t.suite, t.task_id, t.task_type, t.prompt});
    }
    try {
        write_imported_prompts(outcome.prompts_path, prompts);
    } catch (...) {
        store.set_run_status(outcome.run_id, "interrupted", true);
        throw;
    }

    std::vector<store::ResultRow> rows;
    auto flush = [&] {
        store.add_results(rows);
        rows.clear();
    };
    for (const auto& t : batch.tasks) {
        for (const auto& o : t.outcomes) {
            RecordedCost cost = recorded_cost(t, o, outcome.prices[o.model], options);
            store::ResultRow r;
            r.run_id = outcome.run_id;
            r.suite = t.suite;
            r.suite_hash = batch.suites.at(t.suite);
            r.task_id = t.task_id;
            r.task_type = t.task_type;
            r.target = o.model;
            r.model = o.model;
            r.repeat = 0;
            r.status = "scored";
            r.score = o.score;
            r.passed = o.score >= 1;
            r.threshold = 1;
            r.input_tokens = cost.input_tokens;
            r.output_tokens = cost.output_tokens;
            r.tokens_estimated = cost.estimated;
            r.cost_usd = cost.cost_usd;
            r.output = o.response.value_or("");
            r.evaluations =
                nlohmann::json::array({{{"kind", "imported"},
                                        {"weight", 1},
                                        {"ok", true},
                                        {"score", o.score},
                                        {"reason", fmt::format("recorded outcome ({} import of {})",
                                                               batch.kind, t.source)}}});
            r.simulated = false;
            outcome.cost_usd += r.cost_usd;
            rows.push_back(std::move(r));
            ++outcome.results;
        }
        if (rows.size() >= 5000) {
            flush();
        }
    }
    flush();
    outcome.prompts = batch.tasks.size();
    store.set_run_status(outcome.run_id, "completed", true);
    return outcome;
}

} // namespace orch::learn
