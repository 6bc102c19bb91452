#pragma once
// Internal to provider/: field readers for untrusted reply JSON. A missing, null or
// mistyped field reads as absent; nothing here throws.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace orch::provider {

inline std::string str_of(const nlohmann::json& j, const char* key) {
    if (j.is_object()) {
        auto it = j.find(key);
        if (it != j.end() && it->is_string()) {
            return it->get<std::string>();
        }
    }
    return "";
}

inline std::int64_t int_of(const nlohmann::json& j, const char* key) {
    if (j.is_object()) {
        auto it = j.find(key);
        if (it != j.end() && it->is_number_integer()) {
            return it->get<std::int64_t>();
        }
        if (it != j.end() && it->is_number_float()) {
            double d = it->get<double>();
            return d >= 0 && d < 9e15 ? static_cast<std::int64_t>(d) : 0;
        }
    }
    return 0;
}

} // namespace orch::provider
