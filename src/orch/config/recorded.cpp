#include <orch/config/problems.hpp>
#include <orch/config/recorded.hpp>
#include <orch/core/error.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace orch::config {

namespace {

constexpr std::size_t k_max_problems = 20; // stop reading after this many: the input is wrong

// row[key] when it is an object of model name -> value; nullptr when absent or null.
const nlohmann::json* model_map(const nlohmann::json& row, const char* key, const Location& where,
                                Problems& problems) {
    auto it = row.find(key);
    if (it == row.end() || it->is_null()) {
        return nullptr;
    }
    if (!it->is_object()) {
        problems.add(where, key, "expected an object of model name -> value");
        return nullptr;
    }
    return &*it;
}

std::optional<double> read_amount(const nlohmann::json* map, const std::string& model, const char* key,
                                  const char* what, const Location& where, Problems& problems) {
    if (map == nullptr || !map->contains(model)) {
        return std::nullopt;
    }
    const auto& v = (*map)[model];
    if (!v.is_number() || v.get<double>() < 0) {
        problems.add(where, fmt::format("{}.{}", key, model), what);
        return std::nullopt;
    }
    return v.get<double>();
}

void read_tokens(const nlohmann::json* tokens, RecordedOutcome& o, const Location& where, Problems& problems) {
    if (tokens == nullptr || !tokens->contains(o.model)) {
        return;
    }
    const auto& v = (*tokens)[o.model];
    if (!v.is_object()) {
        problems.add(where, "tokens." + o.model, "expected {\"input\": N, \"output\": N}");
        return;
    }
    auto count = [&](const char* key) -> std::optional<std::int64_t> {
        if (!v.contains(key)) {
            return std::nullopt;
        }
        if (!v[key].is_number_integer() || v[key].get<std::int64_t>() < 0) {
            problems.add(where, fmt::format("tokens.{}.{}", o.model, key), "expected a whole number");
            return std::nullopt;
        }
        return v[key].get<std::int64_t>();
    };
    o.input_tokens = count("input");
    o.output_tokens = count("output");
}

// One line's object; false (with problems recorded) when it cannot be used.
bool read_prompt(const nlohmann::json& row, const Location& where, RecordedPrompt& p, Problems& problems) {
    if (!row.is_object()) {
        problems.add(where, "", "expected a JSON object");
        return false;
    }
    auto prompt = row.find("prompt");
    if (prompt == row.end() || !prompt->is_string()) {
        problems.add(where, "prompt", "expected a string");
        return false;
    }
    p.prompt = prompt->get<std::string>();
    auto type = row.find("task_type");
    if (type != row.end() && !type->is_string()) {
        problems.add(where, "task_type", "expected a string");
        return false;
    }
    p.task_type = type != row.end() ? type->get<std::string>() : "default";
    if (auto it = row.find("id"); it != row.end() && (it->is_string() || it->is_number_integer())) {
        p.id = it->is_string() ? it->get<std::string>() : it->dump();
    } else if (it != row.end()) {
        problems.add(where, "id", "expected a string or a whole number");
        return false;
    }

    const nlohmann::json* scores = model_map(row, "scores", where, problems);
    if (scores == nullptr || scores->empty()) {
        if (row.find("scores") == row.end() || (scores != nullptr && scores->empty())) {
            problems.add(where, "scores", "expected an object of model name -> score from 0 to 1, with at least one model");
        }
        return false;
    }
    const nlohmann::json* responses = model_map(row, "responses", where, problems);
    const nlohmann::json* tokens = model_map(row, "tokens", where, problems);
    const nlohmann::json* costs = model_map(row, "cost_usd", where, problems);
    const nlohmann::json* latencies = model_map(row, "latency_ms", where, problems);
    for (auto it = scores->begin(); it != scores->end(); ++it) {
        RecordedOutcome o;
        o.model = it.key();
        if (it->is_boolean()) {
            o.score = it->get<bool>() ? 1 : 0;
        } else if (it->is_number() && it->get<double>() >= 0 && it->get<double>() <= 1) {
            o.score = it->get<double>();
        } else {
            problems.add(where, "scores." + o.model, fmt::format("expected a score from 0 to 1, got {}", it->dump()));
            continue;
        }
        if (responses != nullptr && responses->contains(o.model)) {
            const auto& v = (*responses)[o.model];
            if (!v.is_string()) {
                problems.add(where, "responses." + o.model, "expected a string");
            } else {
                o.response = v.get<std::string>();
            }
        }
        read_tokens(tokens, o, where, problems);
        o.cost_usd = read_amount(costs, o.model, "cost_usd", "expected a number of USD, 0 or more", where, problems);
        o.latency_ms =
            read_amount(latencies, o.model, "latency_ms", "expected a number of milliseconds, 0 or more", where, problems);
        p.outcomes.push_back(std::move(o));
    }
    return true;
}

} // namespace

RecordedFile read_recorded_jsonl(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot open the file", path));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string content = buf.str();

    RecordedFile file;
    file.path = path;
    file.content_sha256 = util::sha256_hex(content);
    Problems problems;
    std::map<std::string, int> id_uses;
    std::istringstream lines(content);
    std::string line;
    int line_no = 0;
    while (std::getline(lines, line) && problems.size() < k_max_problems) {
        ++line_no;
        if (util::trim(line).empty()) {
            continue;
        }
        Location where{path, line_no, 0};
        nlohmann::json row;
        try {
            row = nlohmann::json::parse(line);
        } catch (const nlohmann::json::parse_error& e) {
            problems.add(where, "", fmt::format("invalid JSON (at byte {})", e.byte));
            continue;
        }
        RecordedPrompt p;
        p.line = line_no;
        if (!read_prompt(row, where, p, problems)) {
            continue;
        }
        if (p.id.empty()) {
            p.id = fmt::format("{:016x}", util::hash64(p.task_type + '\x1f' + p.prompt));
        }
        int uses = ++id_uses[p.id];
        if (uses > 1) {
            p.id = fmt::format("{}#{}", p.id, uses);
        }
        for (const auto& o : p.outcomes) {
            if (std::find(file.models.begin(), file.models.end(), o.model) == file.models.end()) {
                file.models.push_back(o.model);
            }
        }
        file.prompts.push_back(std::move(p));
    }
    problems.throw_if_any();
    if (file.prompts.empty()) {
        throw Error(ErrorKind::config, fmt::format("{}: no recorded prompts", path));
    }
    return file;
}

void write_recorded_line(std::ostream& out, const RecordedPrompt& p) {
    nlohmann::json row = {{"id", p.id}, {"task_type", p.task_type}, {"prompt", p.prompt}};
    nlohmann::json scores = nlohmann::json::object();
    nlohmann::json responses = nlohmann::json::object();
    nlohmann::json tokens = nlohmann::json::object();
    nlohmann::json costs = nlohmann::json::object();
    nlohmann::json latencies = nlohmann::json::object();
    for (const auto& o : p.outcomes) {
        scores[o.model] = o.score;
        if (o.response) {
            responses[o.model] = *o.response;
        }
        if (o.input_tokens || o.output_tokens) {
            nlohmann::json t = nlohmann::json::object();
            if (o.input_tokens) {
                t["input"] = *o.input_tokens;
            }
            if (o.output_tokens) {
                t["output"] = *o.output_tokens;
            }
            tokens[o.model] = t;
        }
        if (o.cost_usd) {
            costs[o.model] = *o.cost_usd;
        }
        if (o.latency_ms) {
            latencies[o.model] = *o.latency_ms;
        }
    }
    row["scores"] = scores;
    for (auto [key, value] : {std::pair{"responses", &responses}, {"tokens", &tokens}, {"cost_usd", &costs},
                              {"latency_ms", &latencies}}) {
        if (!value->empty()) {
            row[key] = *value;
        }
    }
    out << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

} // namespace orch::config
