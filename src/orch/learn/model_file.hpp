#pragma once
// The parts of a learned-model file that every kind shares (scorer.hpp, router.hpp): a logistic
// model's sparse weights, the feature configuration, and reading a JSON file with a located
// error. Every reader throws orch::Error(config) naming the file and the key.
#include <orch/learn/features.hpp>
#include <orch/learn/logistic.hpp>

#include <nlohmann/json.hpp>
#include <string>

namespace orch::learn {

[[noreturn]] void bad_model_file(const std::string& where, const std::string& key,
                                 const std::string& what);
// j[key], or a "missing" error naming prefix + key.
const nlohmann::json& model_member(const nlohmann::json& j, const std::string& where,
                                   const std::string& prefix, const char* key);

nlohmann::json logistic_to_json(const LogisticModel& m);
LogisticModel logistic_from_json(const nlohmann::json& j, const std::string& where,
                                 const std::string& key, std::size_t dim);

nlohmann::json features_to_json(const FeatureConfig& config);
// Also checks that the file's dense features are this version's.
FeatureConfig features_from_json(const nlohmann::json& j, const std::string& where);

// Checks j.format == format.
void check_format(const nlohmann::json& j, const std::string& where, const char* format);

// The parsed file; a JSON error is located as PATH:LINE:COLUMN. `what`: "scorer file".
nlohmann::json read_model_file(const std::string& path, const char* what);
void write_model_file(const std::string& path, const nlohmann::json& j, const char* what);

} // namespace orch::learn
