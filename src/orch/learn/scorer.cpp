#include <orch/core/error.hpp>
#include <orch/learn/scorer.hpp>

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace orch::learn {

namespace {

constexpr const char* k_format = "orch-scorer/1";

nlohmann::json model_to_json(const LogisticModel& m) {
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

[[noreturn]] void bad(const std::string& where, const std::string& key, const std::string& what) {
    throw Error(ErrorKind::config, fmt::format("{}: {}: {}", where, key, what));
}

const nlohmann::json& member(const nlohmann::json& j, const std::string& where,
                             const std::string& prefix, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) {
        bad(where, prefix + key, "missing");
    }
    return *it;
}

LogisticModel model_from_json(const nlohmann::json& j, const std::string& where,
                              const std::string& key, std::size_t dim) {
    if (!j.is_object()) {
        bad(where, key, "expected an object with bias, index and weight");
    }
    LogisticModel m;
    const auto& bias = member(j, where, key + ".", "bias");
    const auto& index = member(j, where, key + ".", "index");
    const auto& weight = member(j, where, key + ".", "weight");
    if (!bias.is_number()) {
        bad(where, key + ".bias", "expected a number");
    }
    if (!index.is_array() || !weight.is_array() || index.size() != weight.size()) {
        bad(where, key + ".index", "expected two arrays of the same length, index and weight");
    }
    m.bias = bias.get<double>();
    m.weights.assign(dim, 0.0);
    for (size_t i = 0; i < index.size(); ++i) {
        if (!index[i].is_number_unsigned() || index[i].get<std::uint64_t>() >= dim) {
            bad(where, fmt::format("{}.index[{}]", key, i),
                fmt::format("expected an integer below {}", dim));
        }
        if (!weight[i].is_number()) {
            bad(where, fmt::format("{}.weight[{}]", key, i), "expected a number");
        }
        m.weights[index[i].get<std::size_t>()] = weight[i].get<double>();
    }
    return m;
}

} // namespace

void round_for_file(LogisticModel& model) {
    auto round6 = [](double v) {
        if (v == 0 || !std::isfinite(v)) {
            return 0.0;
        }
        return std::stod(fmt::format("{:.6g}", v));
    };
    model.bias = round6(model.bias);
    for (double& w : model.weights) {
        w = std::abs(w) < 1e-9 ? 0.0 : round6(w);
    }
}

Scorer::Scorer(FeatureConfig features, std::string weak, std::string strong,
               LogisticModel weak_model, LogisticModel strong_model)
    : m_features(features), m_weak(std::move(weak)), m_strong(std::move(strong)),
      m_weak_model(std::move(weak_model)), m_strong_model(std::move(strong_model)) {}

double Scorer::score(const SparseVector& x) const {
    return m_strong_model.probability(x) - m_weak_model.probability(x);
}

double Scorer::score(std::string_view prompt, std::string_view task_type,
                     std::optional<std::string_view> weak_response) const {
    return score(extract_features(m_features, prompt, task_type, weak_response));
}

nlohmann::json Scorer::to_json() const {
    return {{"format", k_format},
            {"kind", "logistic-gain"},
            {"description",
             "score = P(strong answers well) - P(weak answers well), two L2 logistic "
             "regressions over hashed word unigrams/bigrams, task type and prompt shape"},
            {"weak", m_weak},
            {"strong", m_strong},
            {"features",
             {{"hash_bits", m_features.hash_bits},
              {"bigrams", m_features.bigrams},
              {"answer_checks", m_features.answer_checks},
              {"dense", dense_feature_names(m_features)},
              {"dense_weight", k_dense_weight}}},
            {"weak_model", model_to_json(m_weak_model)},
            {"strong_model", model_to_json(m_strong_model)}};
}

Scorer Scorer::from_json(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object()) {
        bad(where, "(top level)", "expected a JSON object");
    }
    const auto& format = member(j, where, "", "format");
    if (!format.is_string() || format.get<std::string>() != k_format) {
        bad(where, "format", fmt::format("expected \"{}\", got {}", k_format, format.dump()));
    }
    const auto& weak = member(j, where, "", "weak");
    const auto& strong = member(j, where, "", "strong");
    if (!weak.is_string() || !strong.is_string()) {
        bad(where, weak.is_string() ? "strong" : "weak", "expected a model name (a string)");
    }
    const auto& f = member(j, where, "", "features");
    FeatureConfig config;
    const auto& bits = member(f, where, "features.", "hash_bits");
    if (!bits.is_number_integer() || bits.get<int>() < 4 || bits.get<int>() > 24) {
        bad(where, "features.hash_bits", "expected an integer from 4 to 24");
    }
    config.hash_bits = bits.get<int>();
    const auto& bigrams = member(f, where, "features.", "bigrams");
    const auto& answers = member(f, where, "features.", "answer_checks");
    if (!bigrams.is_boolean() || !answers.is_boolean()) {
        bad(where, bigrams.is_boolean() ? "features.answer_checks" : "features.bigrams",
            "expected true or false");
    }
    config.bigrams = bigrams.get<bool>();
    config.answer_checks = answers.get<bool>();
    if (auto it = f.find("dense");
        it != f.end() && *it != nlohmann::json(dense_feature_names(config))) {
        bad(where, "features.dense",
            "written by another version of orch (the dense features differ)");
    }
    if (auto it = f.find("dense_weight"); it == f.end() || *it != nlohmann::json(k_dense_weight)) {
        bad(where, "features.dense_weight",
            "written by another version of orch (the dense features are weighted differently)");
    }
    std::size_t dim = feature_dim(config);
    auto weak_model = model_from_json(member(j, where, "", "weak_model"), where, "weak_model", dim);
    auto strong_model =
        model_from_json(member(j, where, "", "strong_model"), where, "strong_model", dim);
    return Scorer(config, weak.get<std::string>(), strong.get<std::string>(), std::move(weak_model),
                  std::move(strong_model));
}

Scorer Scorer::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot open the scorer file", path));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(buf.str());
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
                    fmt::format("{}:{}:{}: invalid JSON in the scorer file", path, line, column));
    }
    return from_json(j, path);
}

void Scorer::save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot write the scorer file", path));
    }
    out << to_json().dump() << "\n";
    if (!out) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot write the scorer file", path));
    }
}

} // namespace orch::learn
