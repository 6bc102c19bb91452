#include <orch/core/error.hpp>
#include <orch/learn/model_file.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace orch::learn {

void bad_model_file(const std::string& where, const std::string& key, const std::string& what) {
    throw Error(ErrorKind::config, fmt::format("{}: {}: {}", where, key, what));
}

const nlohmann::json& model_member(const nlohmann::json& j, const std::string& where,
                                   const std::string& prefix, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) {
        bad_model_file(where, prefix + key, "missing");
    }
    return *it;
}

nlohmann::json logistic_to_json(const LogisticModel& m) {
    nlohmann::json index = nlohmann::json::array();
    nlohmann::json weight = nlohmann::json::array();
    for (size_t i = 0; i < m.weights.size(); ++i) {
        if (m.weights[i] != 0) {
            index.push_back(i);
            weight.push_back(m.weights[i]);
        }
    }
    return {{"bias", m.bias}, {"index", index}, {"weight", weight}};
}

LogisticModel logistic_from_json(const nlohmann::json& j, const std::string& where,
                                 const std::string& key, std::size_t dim) {
    if (!j.is_object()) {
        bad_model_file(where, key, "expected an object with bias, index and weight");
    }
    LogisticModel m;
    const auto& bias = model_member(j, where, key + ".", "bias");
    const auto& index = model_member(j, where, key + ".", "index");
    const auto& weight = model_member(j, where, key + ".", "weight");
    if (!bias.is_number()) {
        bad_model_file(where, key + ".bias", "expected a number");
    }
    if (!index.is_array() || !weight.is_array() || index.size() != weight.size()) {
        bad_model_file(where, key + ".index",
                       "expected two arrays of the same length, index and weight");
    }
    m.bias = bias.get<double>();
    m.weights.assign(dim, 0.0);
    for (size_t i = 0; i < index.size(); ++i) {
        if (!index[i].is_number_unsigned() || index[i].get<std::uint64_t>() >= dim) {
            bad_model_file(where, fmt::format("{}.index[{}]", key, i),
                           fmt::format("expected an integer below {}", dim));
        }
        if (!weight[i].is_number()) {
            bad_model_file(where, fmt::format("{}.weight[{}]", key, i), "expected a number");
        }
        m.weights[index[i].get<std::size_t>()] = weight[i].get<double>();
    }
    return m;
}

nlohmann::json features_to_json(const FeatureConfig& config) {
    return {{"hash_bits", config.hash_bits},
            {"bigrams", config.bigrams},
            {"answer_checks", config.answer_checks},
            {"dense", dense_feature_names(config)},
            {"dense_weight", k_dense_weight}};
}

FeatureConfig features_from_json(const nlohmann::json& f, const std::string& where) {
    FeatureConfig config;
    const auto& bits = model_member(f, where, "features.", "hash_bits");
    if (!bits.is_number_integer() || bits.get<int>() < 4 || bits.get<int>() > 24) {
        bad_model_file(where, "features.hash_bits", "expected an integer from 4 to 24");
    }
    config.hash_bits = bits.get<int>();
    const auto& bigrams = model_member(f, where, "features.", "bigrams");
    const auto& answers = model_member(f, where, "features.", "answer_checks");
    if (!bigrams.is_boolean() || !answers.is_boolean()) {
        bad_model_file(where, bigrams.is_boolean() ? "features.answer_checks" : "features.bigrams",
                       "expected true or false");
    }
    config.bigrams = bigrams.get<bool>();
    config.answer_checks = answers.get<bool>();
    if (auto it = f.find("dense");
        it != f.end() && *it != nlohmann::json(dense_feature_names(config))) {
        bad_model_file(where, "features.dense",
                       "written by another version of orch (the dense features differ)");
    }
    if (auto it = f.find("dense_weight"); it == f.end() || *it != nlohmann::json(k_dense_weight)) {
        bad_model_file(
            where, "features.dense_weight",
            "written by another version of orch (the dense features are weighted differently)");
    }
    return config;
}

void check_format(const nlohmann::json& j, const std::string& where, const char* format) {
    if (!j.is_object()) {
        bad_model_file(where, "(top level)", "expected a JSON object");
    }
    const auto& f = model_member(j, where, "", "format");
    if (!f.is_string() || f.get<std::string>() != format) {
        bad_model_file(where, "format", fmt::format("expected \"{}\", got {}", format, f.dump()));
    }
}

nlohmann::json read_model_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot open the {}", path, what));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    try {
        return nlohmann::json::parse(buf.str());
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is the offset of the error; turn it into a line and column.
        std::string text = buf.str();
        std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        int line = 1, column = 1;
        for (std::size_t i = 0; i < at; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw Error(ErrorKind::config,
                    fmt::format("{}:{}:{}: invalid JSON in the {}", path, line, column, what));
    }
}

void write_model_file(const std::string& path, const nlohmann::json& j, const char* what) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (out) {
        out << j.dump() << "\n";
    }
    if (!out) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot write the {}", path, what));
    }
}

} // namespace orch::learn
