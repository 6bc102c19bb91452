#include <orch/config/problems.hpp>
#include <orch/core/error.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>

namespace orch::config {

std::string format_location(const Location& where) {
    if (where.line <= 0) {
        return where.file;
    }
    if (where.column <= 0) {
        return fmt::format("{}:{}", where.file, where.line);
    }
    return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

void Problems::add(const Location& where, const std::string& key, const std::string& what) {
    if (key.empty()) {
        m_lines.push_back(fmt::format("{}: {}", format_location(where), what));
    } else {
        m_lines.push_back(fmt::format("{}: {}: {}", format_location(where), key, what));
    }
}

void Problems::throw_if_any() const {
    if (m_lines.empty()) {
        return;
    }
    std::string msg = util::join(m_lines, "\n");
    if (m_lines.size() > 1) {
        msg += fmt::format("\n({} problems)", m_lines.size());
    }
    throw Error(ErrorKind::config, msg);
}

} // namespace orch::config
