#pragma once
// A JSON Schema subset for checking structured output: type, properties, required, enum,
// const, items, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength,
// minItems, maxItems, pattern (RE2, unanchored), additionalProperties. Annotations
// (description, title, default, examples, $schema, $id, $comment) are accepted and ignored;
// any other keyword is rejected rather than silently not checked.
#include <orch/util/result.hpp>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace orch::eval {

class JsonSchema {
  public:
    // Checks and compiles `schema` (patterns included). On failure, every problem, each
    // naming its place from `path`: "schema.properties.x.type: expected one of string, ...".
    static util::Result<JsonSchema, std::vector<std::string>>
    compile(const nlohmann::json& schema, const std::string& path = "schema");

    // The ways `value` breaks the schema, in document order, at most `max_violations`:
    // "$.seats: expected integer or null, got string". Empty when it conforms.
    std::vector<std::string> validate(const nlohmann::json& value,
                                      std::size_t max_violations = 100) const;

    struct Node; // the compiled form; public only so json_schema.cpp's helpers can name it

  private:
    std::shared_ptr<const Node> m_root; // immutable once compiled, so copies share it
};

} // namespace orch::eval
