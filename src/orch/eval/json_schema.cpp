#include <orch/eval/json_schema.hpp>

#include <orch/eval/json_output.hpp>
#include <orch/eval/param_reader.hpp>
#include <orch/eval/text_similarity.hpp>
#include <orch/util/strings.hpp>

#include <re2/re2.h>

#include <array>
#include <cmath>
#include <optional>
#include <string_view>

namespace orch::eval {

namespace {

constexpr std::array<std::string_view, 7> k_type_names = {"string", "number", "integer", "boolean",
                                                          "object", "array",  "null"};
constexpr std::array<std::string_view, 7> k_ignored_keywords = {
    "description", "title", "default", "examples", "$schema", "$id", "$comment"};

bool is_one_of(std::string_view word, const auto& words) {
    for (std::string_view w : words) {
        if (w == word) {
            return true;
        }
    }
    return false;
}

bool type_accepts(std::string_view type, const nlohmann::json& value) {
    std::string actual = json_type_name(value);
    return type == actual || (type == "number" && actual == "integer");
}

} // namespace

struct JsonSchema::Node {
    std::vector<std::string> types; // empty: any type
    std::vector<std::pair<std::string, std::unique_ptr<Node>>> properties;
    std::vector<std::string> required;
    std::optional<nlohmann::json> enum_values;
    std::optional<nlohmann::json> const_value;
    std::unique_ptr<Node> items;
    std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
    std::optional<std::size_t> min_length, max_length, min_items, max_items;
    std::unique_ptr<RE2> pattern;
    bool additional_allowed = true;
    std::unique_ptr<Node> additional_schema;
};

namespace {

using Node = JsonSchema::Node;

class Compiler {
  public:
    std::unique_ptr<Node> compile(const nlohmann::json& schema, const std::string& path) {
        auto node = std::make_unique<Node>();
        if (!schema.is_object()) {
            fail(path, "expected a schema (a JSON object), got " + describe_json(schema));
            return node;
        }
        for (auto it = schema.begin(); it != schema.end(); ++it) {
            keyword(*node, it.key(), it.value(), path + "." + it.key());
        }
        return node;
    }

    std::vector<std::string> problems;

  private:
    void fail(const std::string& path, const std::string& what) {
        problems.push_back(path + ": " + what);
    }

    void keyword(Node& node, const std::string& key, const nlohmann::json& v,
                 const std::string& path) {
        if (key == "type") {
            read_types(node, v, path);
        } else if (key == "properties") {
            if (!v.is_object()) {
                fail(path, "expected an object of schemas");
                return;
            }
            for (auto it = v.begin(); it != v.end(); ++it) {
                node.properties.emplace_back(it.key(), compile(*it, path + "." + it.key()));
            }
        } else if (key == "required") {
            read_required(node, v, path);
        } else if (key == "enum") {
            if (!v.is_array() || v.empty()) {
                fail(path, "expected a non-empty array");
                return;
            }
            node.enum_values = v;
        } else if (key == "const") {
            node.const_value = v;
        } else if (key == "items") {
            node.items = compile(v, path);
        } else if (key == "additionalProperties") {
            if (v.is_boolean()) {
                node.additional_allowed = v.get<bool>();
            } else {
                node.additional_schema = compile(v, path);
            }
        } else if (key == "pattern") {
            read_pattern(node, v, path);
        } else if (key == "minimum") {
            node.minimum = read_number(v, path);
        } else if (key == "maximum") {
            node.maximum = read_number(v, path);
        } else if (key == "exclusiveMinimum") {
            node.exclusive_minimum = read_number(v, path);
        } else if (key == "exclusiveMaximum") {
            node.exclusive_maximum = read_number(v, path);
        } else if (key == "minLength") {
            node.min_length = read_count(v, path);
        } else if (key == "maxLength") {
            node.max_length = read_count(v, path);
        } else if (key == "minItems") {
            node.min_items = read_count(v, path);
        } else if (key == "maxItems") {
            node.max_items = read_count(v, path);
        } else if (!is_one_of(key, k_ignored_keywords)) {
            fail(path, "unsupported keyword (supported: type, properties, required, enum, "
                       "const, items, minimum, maximum, exclusiveMinimum, exclusiveMaximum, "
                       "minLength, maxLength, minItems, maxItems, pattern, "
                       "additionalProperties)");
        }
    }

    void read_types(Node& node, const nlohmann::json& v, const std::string& path) {
        nlohmann::json names = v.is_array() ? v : nlohmann::json::array({v});
        for (const nlohmann::json& name : names) {
            if (!name.is_string() || !is_one_of(name.get<std::string>(), k_type_names)) {
                fail(path, "expected one of string, number, integer, boolean, object, array, "
                           "null");
                node.types.clear();
                return;
            }
            node.types.push_back(name.get<std::string>());
        }
        if (node.types.empty()) {
            fail(path, "expected at least one type");
        }
    }

    void read_required(Node& node, const nlohmann::json& v, const std::string& path) {
        if (!v.is_array()) {
            fail(path, "expected an array of property names");
            return;
        }
        for (const nlohmann::json& name : v) {
            if (!name.is_string()) {
                fail(path, "expected an array of property names");
                return;
            }
            node.required.push_back(name.get<std::string>());
        }
    }

    void read_pattern(Node& node, const nlohmann::json& v, const std::string& path) {
        if (!v.is_string()) {
            fail(path, "expected a regular expression (a string)");
            return;
        }
        RE2::Options options;
        options.set_log_errors(false);
        auto re = std::make_unique<RE2>(v.get<std::string>(), options);
        if (!re->ok()) {
            fail(path, "invalid RE2 syntax: " + re->error());
            return;
        }
        node.pattern = std::move(re);
    }

    std::optional<double> read_number(const nlohmann::json& v, const std::string& path) {
        if (!v.is_number()) {
            fail(path, "expected a number, got " + describe_json(v));
            return std::nullopt;
        }
        return v.get<double>();
    }

    std::optional<std::size_t> read_count(const nlohmann::json& v, const std::string& path) {
        if (!is_integral(v) || v.get<double>() < 0) {
            fail(path, "expected a whole number of 0 or more, got " + describe_json(v));
            return std::nullopt;
        }
        return static_cast<std::size_t>(v.get<double>());
    }
};

class Validator {
  public:
    Validator(std::vector<std::string>& out, std::size_t max) : m_out(out), m_max(max) {}

    void check(const Node& node, const nlohmann::json& value, const std::string& path) {
        if (full()) {
            return;
        }
        // A value of the wrong type would only repeat the problem under other keywords.
        if (!check_type(node, value, path)) {
            return;
        }
        if (node.enum_values && !contains_equal(*node.enum_values, value)) {
            std::vector<std::string> allowed;
            for (const nlohmann::json& e : *node.enum_values) {
                allowed.push_back(describe_json(e));
            }
            add(path,
                "expected one of " + util::join(allowed, ", ") + ", got " + describe_json(value));
        }
        if (node.const_value && *node.const_value != value) {
            add(path,
                "expected " + describe_json(*node.const_value) + ", got " + describe_json(value));
        }
        if (value.is_number()) {
            check_number(node, value.get<double>(), path);
        } else if (value.is_string()) {
            check_string(node, value.get<std::string>(), path);
        } else if (value.is_array()) {
            check_array(node, value, path);
        } else if (value.is_object()) {
            check_object(node, value, path);
        }
    }

  private:
    bool full() const { return m_out.size() >= m_max; }

    void add(const std::string& path, const std::string& what) {
        if (!full()) {
            m_out.push_back(path + ": " + what);
        }
    }

    static bool contains_equal(const nlohmann::json& array, const nlohmann::json& value) {
        for (const nlohmann::json& e : array) {
            if (e == value) {
                return true;
            }
        }
        return false;
    }

    bool check_type(const Node& node, const nlohmann::json& value, const std::string& path) {
        if (node.types.empty()) {
            return true;
        }
        for (const std::string& type : node.types) {
            if (type_accepts(type, value)) {
                return true;
            }
        }
        add(path, "expected " + util::join(node.types, " or ") + ", got " + json_type_name(value));
        return false;
    }

    void check_number(const Node& node, double v, const std::string& path) {
        auto bound = [&](const std::optional<double>& limit, bool broken, const char* what) {
            if (limit && broken) {
                add(path, format_number(v) + " is " + what + " " + format_number(*limit));
            }
        };
        bound(node.minimum, node.minimum && v < *node.minimum, "less than the minimum");
        bound(node.maximum, node.maximum && v > *node.maximum, "more than the maximum");
        bound(node.exclusive_minimum, node.exclusive_minimum && v <= *node.exclusive_minimum,
              "not more than the exclusive minimum");
        bound(node.exclusive_maximum, node.exclusive_maximum && v >= *node.exclusive_maximum,
              "not less than the exclusive maximum");
    }

    void check_string(const Node& node, const std::string& s, const std::string& path) {
        std::size_t length = count_code_points(s);
        if (node.min_length && length < *node.min_length) {
            add(path, "length " + std::to_string(length) + " is less than minLength " +
                          std::to_string(*node.min_length));
        }
        if (node.max_length && length > *node.max_length) {
            add(path, "length " + std::to_string(length) + " is more than maxLength " +
                          std::to_string(*node.max_length));
        }
        if (node.pattern && !RE2::PartialMatch(s, *node.pattern)) {
            add(path, quote(s) + " does not match /" + node.pattern->pattern() + "/");
        }
    }

    void check_array(const Node& node, const nlohmann::json& value, const std::string& path) {
        if (node.min_items && value.size() < *node.min_items) {
            add(path, std::to_string(value.size()) + " items, fewer than minItems " +
                          std::to_string(*node.min_items));
        }
        if (node.max_items && value.size() > *node.max_items) {
            add(path, std::to_string(value.size()) + " items, more than maxItems " +
                          std::to_string(*node.max_items));
        }
        if (node.items) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                check(*node.items, value[i], path_with_index(path, i));
            }
        }
    }

    void check_object(const Node& node, const nlohmann::json& value, const std::string& path) {
        for (const std::string& name : node.required) {
            if (!value.contains(name)) {
                add(path_with_key(path, name), "missing (required)");
            }
        }
        for (const auto& [name, schema] : node.properties) {
            auto it = value.find(name);
            if (it != value.end()) {
                check(*schema, *it, path_with_key(path, name));
            }
        }
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (declared(node, it.key())) {
                continue;
            }
            if (!node.additional_allowed) {
                add(path_with_key(path, it.key()), "not allowed (additionalProperties is false)");
            } else if (node.additional_schema) {
                check(*node.additional_schema, *it, path_with_key(path, it.key()));
            }
        }
    }

    static bool declared(const Node& node, const std::string& name) {
        for (const auto& property : node.properties) {
            if (property.first == name) {
                return true;
            }
        }
        return false;
    }

    std::vector<std::string>& m_out;
    std::size_t m_max;
};

} // namespace

util::Result<JsonSchema, std::vector<std::string>> JsonSchema::compile(const nlohmann::json& schema,
                                                                       const std::string& path) {
    Compiler compiler;
    std::unique_ptr<Node> root = compiler.compile(schema, path);
    if (!compiler.problems.empty()) {
        return util::unexpected(std::move(compiler.problems));
    }
    JsonSchema out;
    out.m_root = std::move(root);
    return out;
}

std::vector<std::string> JsonSchema::validate(const nlohmann::json& value,
                                              std::size_t max_violations) const {
    std::vector<std::string> out;
    if (m_root) {
        Validator(out, max_violations).check(*m_root, value, "$");
    }
    return out;
}

} // namespace orch::eval
