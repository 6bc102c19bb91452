#include <orch/core/error.hpp>
#include <orch/learn/imported_prompts.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>

namespace orch::learn {

std::string imported_prompts_path(const std::string& db_path, std::int64_t run_id) {
    return fmt::format("{}.imports/{}.jsonl", db_path, run_id);
}

void write_imported_prompts(const std::string& path, const std::vector<ImportedPrompt>& prompts) {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::filesystem::create_directories(parent, ec);
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot write the imported prompts", path));
    }
    for (const auto& p : prompts) {
        nlohmann::json row = {{"suite", p.suite},
                              {"task_id", p.task_id},
                              {"task_type", p.task_type},
                              {"prompt", p.prompt}};
        out << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    if (!out) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot write the imported prompts", path));
    }
}

std::vector<ImportedPrompt> read_imported_prompts(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot open the imported prompts", path));
    }
    std::vector<ImportedPrompt> out;
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty()) {
            continue;
        }
        nlohmann::json row;
        try {
            row = nlohmann::json::parse(line);
        } catch (const nlohmann::json::parse_error&) {
            throw Error(ErrorKind::config, fmt::format("{}:{}: invalid JSON", path, line_no));
        }
        ImportedPrompt p;
        for (auto [key, field] :
             {std::pair{"task_id", &p.task_id}, std::pair{"task_type", &p.task_type},
              std::pair{"prompt", &p.prompt}, std::pair{"suite", &p.suite}}) {
            auto it = row.find(key);
            if (it == row.end() || !it->is_string()) {
                if (std::string(key) == "suite") {
                    continue; // optional
                }
                throw Error(ErrorKind::config,
                            fmt::format("{}:{}: {}: expected a string", path, line_no, key));
            }
            *field = it->get<std::string>();
        }
        out.push_back(std::move(p));
    }
    return out;
}

} // namespace orch::learn
