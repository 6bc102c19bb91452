#pragma once
// {{var}} templating over a dataset row. Missing variables are reported, never blanked.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace orch::config {

// Replaces every {{ name }} (dotted paths reach into objects: {{order.id}}) with the row's
// value: strings as they are, anything else as compact JSON. Names not in the row are
// appended to `missing` and left in place.
std::string render(const std::string& text, const nlohmann::json& vars,
                   std::vector<std::string>& missing);

// Renders every string inside `value`. A string that is exactly one "{{name}}" becomes the
// row's value itself, so lists and objects keep their type.
nlohmann::json render_json(const nlohmann::json& value, const nlohmann::json& vars,
                           std::vector<std::string>& missing);

// The variable names a text refers to.
std::vector<std::string> variables_in(const std::string& text);

} // namespace orch::config
