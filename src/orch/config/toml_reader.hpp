#pragma once
// Internal to config/: typed, located reads from a toml++ table. Every read that fails
// records a problem ("expected a number, got a string") instead of throwing, and
// finish() reports the keys nobody asked for, so typos never pass silently.
#include <orch/config/problems.hpp>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <toml++/toml.h>
#include <vector>

namespace orch::config {

Location location_of(const std::string& file, const toml::source_region& src);
std::string toml_type_name(const toml::node& node);
// A TOML value as JSON (tables become objects, arrays arrays); dates become strings.
nlohmann::json toml_to_json(const toml::node& node);
// Parses a TOML file; a syntax error is recorded in problems and nullopt returned.
std::optional<toml::table> parse_toml_file(const std::string& path, Problems& problems);

class TableReader {
  public:
    TableReader(const toml::table& table, std::string file, std::string prefix, Problems& problems);

    std::optional<std::string> string(const std::string& key, bool required = false);
    std::optional<double> number(const std::string& key, bool required = false);
    std::optional<std::int64_t> integer(const std::string& key, bool required = false);
    std::optional<bool> boolean(const std::string& key);
    std::optional<std::vector<std::string>> strings(const std::string& key);
    // The string must be one of the allowed values.
    std::optional<std::string> one_of(const std::string& key, const std::vector<std::string>& allowed,
                                      bool required = false);
    const toml::table* table(const std::string& key, bool required = false);
    const toml::array* array(const std::string& key);
    const toml::node* any(const std::string& key); // marks the key as known
    void mark_known(const std::string& key) { m_known.insert(key); }
    // Records an "unknown key" problem for every key that was never read.
    void finish(const std::string& expected_keys_hint = "");

    std::string key_path(const std::string& key) const;
    Location where(const std::string& key) const;
    Location where() const;
    const std::string& file() const { return m_file; }
    Problems& problems() { return m_problems; }

  private:
    const toml::node* lookup(const std::string& key, bool required, const char* what);
    void wrong_type(const std::string& key, const toml::node& node, const char* what);

    const toml::table& m_table;
    std::string m_file;
    std::string m_prefix;
    Problems& m_problems;
    std::set<std::string> m_known;
};

} // namespace orch::config
