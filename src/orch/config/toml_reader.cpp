#define TOML_IMPLEMENTATION
#include <orch/config/toml_reader.hpp>

#include <orch/util/strings.hpp>

#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace orch::config {

Location location_of(const std::string& file, const toml::source_region& src) {
    return Location{file, static_cast<int>(src.begin.line), static_cast<int>(src.begin.column)};
}

std::string toml_type_name(const toml::node& node) {
    switch (node.type()) {
    case toml::node_type::string:
        return fmt::format("the string \"{}\"", node.as_string()->get());
    case toml::node_type::integer:
        return fmt::format("the integer {}", node.as_integer()->get());
    case toml::node_type::floating_point:
        return fmt::format("the number {}", node.as_floating_point()->get());
    case toml::node_type::boolean:
        return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
        return "a table";
    case toml::node_type::array:
        return "an array";
    default:
        return "a date/time";
    }
}

nlohmann::json toml_to_json(const toml::node& node) {
    switch (node.type()) {
    case toml::node_type::string:
        return node.as_string()->get();
    case toml::node_type::integer:
        return node.as_integer()->get();
    case toml::node_type::floating_point:
        return node.as_floating_point()->get();
    case toml::node_type::boolean:
        return node.as_boolean()->get();
    case toml::node_type::table: {
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& [k, v] : *node.as_table()) {
            obj[std::string(k.str())] = toml_to_json(v);
        }
        return obj;
    }
    case toml::node_type::array: {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& v : *node.as_array()) {
            arr.push_back(toml_to_json(v));
        }
        return arr;
    }
    case toml::node_type::date:
        return fmt::format("{:04}-{:02}-{:02}", node.as_date()->get().year, node.as_date()->get().month,
                           node.as_date()->get().day);
    default:
        return "(date-time)";
    }
}

std::optional<toml::table> parse_toml_file(const std::string& path, Problems& problems) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problems.add(Location{path, 0, 0}, "", "cannot open the file");
        return std::nullopt;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    try {
        return toml::parse(buf.str(), path);
    } catch (const toml::parse_error& e) {
        problems.add(location_of(path, e.source()), "",
                     fmt::format("invalid TOML: {}", e.description()));
        return std::nullopt;
    }
}

TableReader::TableReader(const toml::table& table, std::string file, std::string prefix,
                         Problems& problems)
    : m_table(table), m_file(std::move(file)), m_prefix(std::move(prefix)), m_problems(problems) {}

std::string TableReader::key_path(const std::string& key) const {
    return m_prefix.empty() ? key : m_prefix + "." + key;
}

Location TableReader::where(const std::string& key) const {
    if (const toml::node* n = m_table.get(key)) {
        return location_of(m_file, n->source());
    }
    return where();
}

Location TableReader::where() const { return location_of(m_file, m_table.source()); }

const toml::node* TableReader::lookup(const std::string& key, bool required, const char* what) {
    m_known.insert(key);
    const toml::node* n = m_table.get(key);
    if (n == nullptr && required) {
        m_problems.add(where(), key_path(key), fmt::format("missing; expected {}", what));
    }
    return n;
}

void TableReader::wrong_type(const std::string& key, const toml::node& node, const char* what) {
    m_problems.add(location_of(m_file, node.source()), key_path(key),
                   fmt::format("expected {}, got {}", what, toml_type_name(node)));
}

std::optional<std::string> TableReader::string(const std::string& key, bool required) {
    const toml::node* n = lookup(key, required, "a string");
    if (n == nullptr) {
        return std::nullopt;
    }
    if (const auto* s = n->as_string()) {
        return s->get();
    }
    wrong_type(key, *n, "a string");
    return std::nullopt;
}

std::optional<double> TableReader::number(const std::string& key, bool required) {
    const toml::node* n = lookup(key, required, "a number");
    if (n == nullptr) {
        return std::nullopt;
    }
    if (const auto* f = n->as_floating_point()) {
        return f->get();
    }
    if (const auto* i = n->as_integer()) {
        return static_cast<double>(i->get());
    }
    wrong_type(key, *n, "a number");
    return std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(const std::string& key, bool required) {
    const toml::node* n = lookup(key, required, "an integer");
    if (n == nullptr) {
        return std::nullopt;
    }
    if (const auto* i = n->as_integer()) {
        return i->get();
    }
    wrong_type(key, *n, "an integer");
    return std::nullopt;
}

std::optional<bool> TableReader::boolean(const std::string& key) {
    const toml::node* n = lookup(key, false, "true or false");
    if (n == nullptr) {
        return std::nullopt;
    }
    if (const auto* b = n->as_boolean()) {
        return b->get();
    }
    wrong_type(key, *n, "true or false");
    return std::nullopt;
}

std::optional<std::vector<std::string>> TableReader::strings(const std::string& key) {
    const toml::node* n = lookup(key, false, "an array of strings");
    if (n == nullptr) {
        return std::nullopt;
    }
    const auto* arr = n->as_array();
    if (arr == nullptr) {
        wrong_type(key, *n, "an array of strings");
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& el = *arr->get(i);
        if (const auto* s = el.as_string()) {
            out.push_back(s->get());
        } else {
            m_problems.add(location_of(m_file, el.source()), fmt::format("{}[{}]", key_path(key), i),
                           fmt::format("expected a string, got {}", toml_type_name(el)));
        }
    }
    return out;
}

std::optional<std::string> TableReader::one_of(const std::string& key,
                                               const std::vector<std::string>& allowed,
                                               bool required) {
    auto v = string(key, required);
    if (!v) {
        return std::nullopt;
    }
    for (const auto& a : allowed) {
        if (*v == a) {
            return v;
        }
    }
    std::vector<std::string> quoted;
    for (const auto& a : allowed) {
        quoted.push_back(fmt::format("\"{}\"", a));
    }
    m_problems.add(where(key), key_path(key),
                   fmt::format("expected one of {}, got \"{}\"", util::join(quoted, ", "), *v));
    return std::nullopt;
}

const toml::table* TableReader::table(const std::string& key, bool required) {
    const toml::node* n = lookup(key, required, "a table");
    if (n == nullptr) {
        return nullptr;
    }
    if (const auto* t = n->as_table()) {
        return t;
    }
    wrong_type(key, *n, "a table");
    return nullptr;
}

const toml::array* TableReader::array(const std::string& key) {
    const toml::node* n = lookup(key, false, "an array");
    if (n == nullptr) {
        return nullptr;
    }
    if (const auto* a = n->as_array()) {
        return a;
    }
    wrong_type(key, *n, "an array");
    return nullptr;
}

const toml::node* TableReader::any(const std::string& key) { return lookup(key, false, "a value"); }

void TableReader::finish(const std::string& expected_keys_hint) {
    for (const auto& [k, v] : m_table) {
        std::string key(k.str());
        if (m_known.count(key) == 0) {
            std::string what = "unknown key";
            if (!expected_keys_hint.empty()) {
                what += fmt::format(" (expected one of: {})", expected_keys_hint);
            }
            m_problems.add(location_of(m_file, k.source()), key_path(key), what);
        }
    }
}

} // namespace orch::config
