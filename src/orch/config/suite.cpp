#include <orch/config/suite.hpp>
#include <orch/config/agent.hpp>
#include <orch/config/context.hpp>
#include <orch/config/template.hpp>
#include <orch/config/toml_reader.hpp>
#include <orch/config/workflow.hpp>
#include <orch/core/error.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <sstream>

namespace fs = std::filesystem;

namespace orch::config {

namespace {

const std::vector<std::string> k_task_types = {"classify", "extract", "summarize", "compact",
                                               "reason",   "code",    "tool_call", "chat"};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

} // namespace

void read_params(TableReader& r, GenParams& params) {
    if (auto v = r.number("temperature")) {
        params.temperature = *v;
    }
    if (auto v = r.integer("max_tokens")) {
        params.max_tokens = *v;
    }
    if (auto v = r.number("top_p")) {
        params.top_p = *v;
    }
    r.finish("temperature, max_tokens, top_p");
}

EvaluatorSpec read_evaluator(const toml::table& t, const std::string& file, const std::string& prefix,
                             Problems& problems) {
    TableReader r(t, file, prefix, problems);
    EvaluatorSpec e;
    e.where = r.where();
    e.key = prefix;
    e.kind = r.string("kind", true).value_or("");
    e.weight = r.number("weight").value_or(1.0);
    if (e.weight < 0) {
        problems.add(r.where("weight"), r.key_path("weight"), "expected a weight of 0 or more");
    }
    e.negate = r.boolean("not").value_or(false);
    e.params = nlohmann::json::object();
    for (const auto& [k, v] : t) {
        std::string key(k.str());
        if (key != "kind" && key != "weight" && key != "not") {
            e.params[key] = toml_to_json(v);
            e.param_where[key] = r.where(key);
            r.mark_known(key); // the evaluator itself checks its parameters
        }
    }
    return e;
}

// Evaluators written in JSON (a row's override) use the same shape as in TOML.
bool evaluator_from_json(const nlohmann::json& j, const Location& where, const std::string& key,
                         EvaluatorSpec& e, Problems& problems) {
    if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string()) {
        problems.add(where, key, "expected an object with a string \"kind\"");
        return false;
    }
    e = EvaluatorSpec{};
    e.where = where;
    e.key = key;
    e.kind = j["kind"].get<std::string>();
    e.params = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "weight") {
            if (!it->is_number()) {
                problems.add(where, key + ".weight", "expected a number");
                return false;
            }
            e.weight = it->get<double>();
        } else if (it.key() == "not") {
            e.negate = it->is_boolean() && it->get<bool>();
        } else if (it.key() != "kind") {
            e.params[it.key()] = *it;
        }
    }
    return true;
}

std::vector<std::string> suite_files(const std::string& path) {
    std::vector<std::string> out;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        for (const auto& entry : fs::directory_iterator(path, ec)) {
            if (entry.is_regular_file() && entry.path().extension() == ".toml") {
                out.push_back(entry.path().string());
            }
        }
        std::sort(out.begin(), out.end());
    } else {
        out.push_back(path);
    }
    return out;
}

Suite load_suite(const std::string& path) {
    Problems problems;
    auto doc = parse_toml_file(path, problems);
    problems.throw_if_any();
    TableReader r(*doc, path, "", problems);
    Suite s;
    s.path = path;
    s.where = r.where();
    s.name = r.string("name", true).value_or(fs::path(path).stem().string());
    s.description = r.string("description").value_or("");
    s.type = r.string("type", true).value_or("chat");
    if (s.type.empty() || s.type.find(' ') != std::string::npos) {
        problems.add(r.where("type"), "type",
                     fmt::format("expected a task type such as {}", util::join(k_task_types, ", ")));
    }
    s.tags = r.strings("tags").value_or(std::vector<std::string>{});
    if (auto ds = r.string("dataset", true)) {
        fs::path p = fs::path(path).parent_path() / *ds;
        s.dataset_path = p.lexically_normal().string();
        std::error_code ec;
        if (!fs::is_regular_file(s.dataset_path, ec)) {
            problems.add(r.where("dataset"), "dataset",
                         fmt::format("dataset file not found: {} (paths are relative to the suite "
                                     "file)",
                                     s.dataset_path));
        }
    }
    s.reference = r.string("reference").value_or("");
    if (const toml::node* c = r.any("choices")) {
        s.choices = toml_to_json(*c);
        if (!s.choices.is_array()) {
            problems.add(r.where("choices"), "choices", "expected an array");
            s.choices = nlohmann::json::array();
        }
    }
    if (auto v = r.number("threshold")) {
        if (*v < 0 || *v > 1) {
            problems.add(r.where("threshold"), "threshold", "expected a number from 0 to 1");
        }
        s.threshold = *v;
    }
    s.sensitive = r.boolean("sensitive").value_or(false);
    if (const toml::array* steps = r.array("steps")) {
        read_steps(*steps, r, s, problems);
    } else if (r.any("final_step") != nullptr) {
        problems.add(r.where("final_step"), "final_step", "only a workflow (a suite with [[steps]]) has a final step");
    }
    s.agent = read_agent(r, path, problems);
    link_step_tools(s, problems);
    s.context = read_context(r, path, problems);
    if (s.context && (!s.steps.empty() || s.agent)) {
        problems.add(s.context->where, "context",
                     "a conversation suite ([context]) answers one request over a long thread; it cannot also "
                     "have [[steps]] or [[tools]] (give the compaction its own suite)");
    }
    if (!s.steps.empty() && r.any("prompt") != nullptr) {
        problems.add(r.where("prompt"), "prompt",
                     "a workflow's prompts are its steps' ([steps.prompt]); remove the suite's [prompt]");
    } else if (const toml::table* p = r.table("prompt", s.steps.empty())) {
        TableReader pr(*p, path, "prompt", problems);
        s.prompt.system = pr.string("system").value_or("");
        s.prompt.user = pr.string("user", true).value_or("");
        pr.finish("system, user");
    }
    if (const toml::table* p = r.table("params")) {
        TableReader pr(*p, path, "params", problems);
        read_params(pr, s.params);
    }
    if (const toml::array* evs = r.array("evaluators")) {
        for (std::size_t i = 0; i < evs->size(); ++i) {
            const toml::node& n = *evs->get(i);
            std::string prefix = fmt::format("evaluators[{}]", i);
            if (const auto* t = n.as_table()) {
                s.evaluators.push_back(read_evaluator(*t, path, prefix, problems));
            } else {
                problems.add(location_of(path, n.source()), prefix,
                             fmt::format("expected a table, got {}", toml_type_name(n)));
            }
        }
    }
    if (s.evaluators.empty()) {
        problems.add(r.where(), "evaluators",
                     "missing; a suite needs at least one [[evaluators]] entry");
    }
    r.finish("name, description, type, tags, dataset, reference, choices, threshold, sensitive, "
             "prompt, params, evaluators, steps, final_step, agent, tools, context");
    problems.throw_if_any();
    s.content_hash = util::sha256_hex(read_file(path) + '\0' + read_file(s.dataset_path));
    return s;
}

DatasetReader::DatasetReader(const Suite& suite)
    : m_suite(suite), m_in(suite.dataset_path, std::ios::binary) {
    m_csv = fs::path(suite.dataset_path).extension() == ".csv";
}

bool DatasetReader::next_line(std::string& line, int& line_no) {
    while (std::getline(m_in, line)) {
        ++m_line;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (util::trim(line).empty()) {
            continue;
        }
        line_no = m_line;
        return true;
    }
    return false;
}

namespace {
// Splits one CSV record; a quoted field may span lines (read more through `more`).
template <class More> bool parse_csv_record(std::string line, std::vector<std::string>& fields, More more) {
    fields.clear();
    std::string cur;
    bool quoted = false;
    size_t i = 0;
    while (true) {
        if (i >= line.size()) {
            if (quoted) {
                std::string next;
                if (!more(next)) {
                    return false;
                }
                cur += '\n';
                line = next;
                i = 0;
                continue;
            }
            break;
        }
        char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
        ++i;
    }
    fields.push_back(std::move(cur));
    return true;
}
} // namespace

nlohmann::json DatasetReader::next_csv_record(bool& ok, int& line_no, Problems& problems) {
    ok = false;
    std::string line;
    if (!next_line(line, line_no)) {
        return nullptr;
    }
    auto more = [&](std::string& next) {
        if (!std::getline(m_in, next)) {
            return false;
        }
        ++m_line;
        if (!next.empty() && next.back() == '\r') {
            next.pop_back();
        }
        return true;
    };
    std::vector<std::string> fields;
    if (!parse_csv_record(line, fields, more)) {
        problems.add(Location{m_suite.dataset_path, line_no, 0}, "", "unterminated quoted field");
        return nullptr;
    }
    if (m_csv_header.empty()) {
        m_csv_header = fields;
        return next_csv_record(ok, line_no, problems);
    }
    if (fields.size() != m_csv_header.size()) {
        problems.add(Location{m_suite.dataset_path, line_no, 0}, "",
                     fmt::format("expected {} fields as in the header, got {}", m_csv_header.size(),
                                 fields.size()));
        ok = true;
        return nullptr;
    }
    nlohmann::json row = nlohmann::json::object();
    for (size_t i = 0; i < fields.size(); ++i) {
        row[m_csv_header[i]] = fields[i];
    }
    if (row.contains("difficulty")) {
        double d = 0.5;
        util::parse_number(row["difficulty"].get<std::string>(), d);
        row["difficulty"] = d;
    }
    ok = true;
    return row;
}

bool DatasetReader::next(Task& task, Problems& problems) {
    if (!m_in) {
        if (m_line == 0) {
            problems.add(Location{m_suite.dataset_path, 0, 0}, "", "cannot open the dataset file");
            m_line = -1;
        }
        return false;
    }
    while (true) {
        int line_no = 0;
        nlohmann::json row;
        if (m_csv) {
            bool ok = false;
            row = next_csv_record(ok, line_no, problems);
            if (!ok) {
                return false;
            }
            if (row.is_null()) {
                continue;
            }
        } else {
            std::string line;
            if (!next_line(line, line_no)) {
                return false;
            }
            try {
                row = nlohmann::json::parse(line);
            } catch (const nlohmann::json::parse_error& e) {
                problems.add(Location{m_suite.dataset_path, line_no, 0}, "",
                             fmt::format("invalid JSON: {}", e.what()));
                continue;
            }
            if (!row.is_object()) {
                problems.add(Location{m_suite.dataset_path, line_no, 0}, "",
                             "expected a JSON object per line");
                continue;
            }
        }
        if (resolve(row, line_no, task, problems)) {
            return true;
        }
    }
}

bool DatasetReader::resolve(const nlohmann::json& row, int line_no, Task& task, Problems& problems) {
    size_t before = problems.size();
    Location where{m_suite.dataset_path, line_no, 0};
    resolve_row(m_suite, row, where, task, problems);
    if (!m_ids.insert(task.id).second) {
        problems.add(where, "id", fmt::format("duplicate task id \"{}\"", task.id));
    }
    return problems.size() == before;
}

bool resolve_row(const Suite& s, const nlohmann::json& row, const Location& where, Task& task, Problems& problems) {
    size_t before = problems.size();
    task = Task{};
    task.suite = s.name;
    task.where = where;
    task.type = s.type;
    task.tags = s.tags;
    task.threshold = s.threshold;
    task.sensitive = s.sensitive;
    task.params = s.params;
    task.choices = s.choices;

    if (row.contains("id")) {
        task.id = row["id"].is_string() ? row["id"].get<std::string>() : row["id"].dump();
    } else {
        task.id = fmt::format("line-{}", where.line);
    }
    if (row.contains("difficulty")) {
        if (row["difficulty"].is_number()) {
            task.difficulty = row["difficulty"].get<double>();
        } else {
            problems.add(where, "difficulty", "expected a number from 0 to 1");
        }
    }

    // OpenAI-evals rows carry their messages; others are rendered from the suite's prompt.
    nlohmann::json vars = row;
    PromptSpec prompt = s.prompt;
    std::vector<EvaluatorSpec> evaluators = s.evaluators;
    bool evals_format = row.contains("input") && row["input"].is_array();
    nlohmann::json step_overrides;
    if (row.contains("override")) {
        const auto& ov = row["override"];
        if (!ov.is_object()) {
            problems.add(where, "override", "expected an object");
        } else {
            for (auto it = ov.begin(); it != ov.end(); ++it) {
                const std::string& k = it.key();
                const auto& v = *it;
                std::string key = "override." + k;
                if (k == "type" && v.is_string()) {
                    task.type = v.get<std::string>();
                } else if (k == "tags" && v.is_array()) {
                    task.tags = v.get<std::vector<std::string>>();
                } else if (k == "threshold" && v.is_number()) {
                    task.threshold = v.get<double>();
                } else if (k == "sensitive" && v.is_boolean()) {
                    task.sensitive = v.get<bool>();
                } else if (k == "choices" && v.is_array()) {
                    task.choices = v;
                } else if (k == "prompt" && v.is_object() && s.steps.empty()) {
                    if (v.contains("system")) {
                        prompt.system = v["system"].get<std::string>();
                    }
                    if (v.contains("user")) {
                        prompt.user = v["user"].get<std::string>();
                    }
                } else if (k == "params" && v.is_object()) {
                    if (v.contains("temperature")) {
                        task.params.temperature = v["temperature"].get<double>();
                    }
                    if (v.contains("max_tokens")) {
                        task.params.max_tokens = v["max_tokens"].get<std::int64_t>();
                    }
                } else if (k == "steps" && v.is_object() && !s.steps.empty()) {
                    step_overrides = v;
                } else if (k == "evaluators" && v.is_array()) {
                    evaluators.clear();
                    for (size_t i = 0; i < v.size(); ++i) {
                        EvaluatorSpec e;
                        if (evaluator_from_json(v[i], where, fmt::format("{}[{}]", key, i), e,
                                                problems)) {
                            evaluators.push_back(std::move(e));
                        }
                    }
                } else {
                    problems.add(where, key,
                                 s.steps.empty() ? "unknown or mistyped override (expected type, tags, threshold, "
                                                   "sensitive, choices, prompt, params or evaluators)"
                                                 : "unknown or mistyped override (expected type, tags, threshold, "
                                                   "sensitive, choices, params, evaluators or steps)");
                }
            }
        }
        vars.erase("override");
    }

    std::vector<std::string> missing;
    if (!s.steps.empty()) {
        if (evals_format) {
            problems.add(where, "input", "a workflow's messages come from its steps' prompts, not from the row");
        }
        vars.erase("steps"); // the name templates use for earlier steps' outputs
        resolve_steps(s, vars, step_overrides, where, task, problems);
        task.vars = vars;
    } else if (evals_format) {
        for (const auto& m : row["input"]) {
            if (!m.is_object() || !m.contains("role") || !m.contains("content") ||
                !m["content"].is_string()) {
                problems.add(where, "input", "expected messages {\"role\": …, \"content\": …}");
                break;
            }
            task.messages.push_back(Message{m["role"].get<std::string>(), m["content"].get<std::string>()});
        }
        if (row.contains("ideal")) {
            task.reference = row["ideal"];
        }
    } else {
        if (!prompt.system.empty()) {
            task.messages.push_back(Message{"system", render(prompt.system, vars, missing)});
        }
        task.messages.push_back(Message{"user", render(prompt.user, vars, missing)});
        if (!missing.empty()) {
            for (const auto& name : missing) {
                problems.add(where, "prompt",
                             fmt::format("template variable {{{{{}}}}} is not in this row ({})", name,
                                         s.path));
            }
            missing.clear();
        }
    }
    // In a workflow the tools belong to its agent steps; the task itself is not a loop.
    task.agent = s.steps.empty() ? s.agent : nullptr;
    if (task.agent && !task.agent->trajectory.empty()) {
        read_trajectory(vars, task.agent->trajectory, where, s.path, task.trajectory, problems);
    }
    task.context = s.context;
    if (s.context) {
        auto conversation = std::make_shared<Conversation>();
        read_conversation(vars, *s.context, where, *conversation, problems);
        task.conversation = std::move(conversation);
    }
    if (!s.reference.empty() && !evals_format) {
        if (vars.contains(s.reference)) {
            task.reference = vars[s.reference];
        } else {
            problems.add(where, s.reference,
                         fmt::format("the reference field \"{}\" named by {} is not in this row",
                                     s.reference, s.path));
        }
    }
    for (auto& e : evaluators) {
        e.params = render_json(e.params, vars, missing);
        for (const auto& name : missing) {
            problems.add(where, e.kind,
                         fmt::format("template variable {{{{{}}}}} used by the evaluator at {} is "
                                     "not in this row",
                                     name, format_location(e.where)));
        }
        missing.clear();
    }
    task.evaluators = std::move(evaluators);
    return problems.size() == before;
}

std::size_t check_dataset(const Suite& suite, Problems& problems) {
    DatasetReader reader(suite);
    Task task;
    std::size_t n = 0;
    while (reader.next(task, problems)) {
        ++n;
    }
    if (n == 0 && problems.empty()) {
        problems.add(Location{suite.dataset_path, 0, 0}, "", "the dataset has no rows");
    }
    return n;
}

} // namespace orch::config
