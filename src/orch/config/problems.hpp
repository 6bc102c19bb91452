#pragma once
// Located configuration problems: every problem names the file, line, column and key,
// and a whole file is checked before anything is reported.
#include <string>
#include <vector>

namespace orch::config {

struct Location {
    std::string file;
    int line = 0;
    int column = 0;
};

// "file:line:col" (or "file:line", or "file" when the position is unknown).
std::string format_location(const Location& where);

class Problems {
  public:
    // Records "file:line:col: key: what".
    void add(const Location& where, const std::string& key, const std::string& what);
    // Records a message that already carries its location (e.g. from a nested loader).
    void add_located(const std::string& message) { m_lines.push_back(message); }
    bool empty() const { return m_lines.empty(); }
    std::size_t size() const { return m_lines.size(); }
    const std::vector<std::string>& lines() const { return m_lines; }
    // Throws orch::Error(config) with every problem, one a line, when there is any.
    void throw_if_any() const;

  private:
    std::vector<std::string> m_lines;
};

} // namespace orch::config
