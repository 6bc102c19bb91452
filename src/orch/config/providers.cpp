#include <orch/config/providers.hpp>
#include <orch/config/toml_reader.hpp>
#include <orch/core/error.hpp>
#include <orch/util/hash.hpp>

#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace orch::config {

double SimProfile::skill_for(const std::string& task_type) const {
    auto it = skill.find(task_type);
    return it == skill.end() ? default_skill : it->second;
}

double ModelConfig::cost_usd(std::int64_t input_tokens, std::int64_t output_tokens,
                             std::int64_t cached_input_tokens) const {
    double cached_price = cached_input_per_mtok.value_or(input_per_mtok);
    auto fresh = static_cast<double>(input_tokens - cached_input_tokens);
    return (fresh * input_per_mtok + static_cast<double>(cached_input_tokens) * cached_price +
            static_cast<double>(output_tokens) * output_per_mtok) /
           1e6;
}

const ProviderConfig* ProvidersConfig::find_provider(const std::string& name) const {
    for (const auto& p : providers) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

const ModelConfig* ProvidersConfig::find_model(const std::string& name) const {
    for (const auto& m : models) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

const ProviderConfig& ProvidersConfig::provider_of(const ModelConfig& model) const {
    const ProviderConfig* p = find_provider(model.provider);
    if (p == nullptr) {
        throw Error(ErrorKind::internal, fmt::format("model {} has no provider", model.name));
    }
    return *p;
}

namespace {

void check_range(TableReader& r, const std::string& key, std::optional<double> v, double lo,
                 double hi) {
    if (v && (*v < lo || *v > hi)) {
        r.problems().add(r.where(key), r.key_path(key),
                         fmt::format("expected a number from {} to {}, got {}", lo, hi, *v));
    }
}

ProviderConfig read_provider(const std::string& name, const toml::table& t, const std::string& file,
                             Problems& problems) {
    TableReader r(t, file, "providers." + name, problems);
    ProviderConfig p;
    p.name = name;
    p.where = r.where();
    if (auto v = r.one_of("protocol", {"openai", "anthropic", "sim", "command", "replay"}, true)) {
        p.protocol = *v;
    }
    if (auto v = r.string("base_url")) {
        p.base_url = *v;
    }
    if (auto v = r.string("api_key_env")) {
        p.api_key_env = *v;
        if (v->find_first_of(" =") != std::string::npos || v->rfind("sk-", 0) == 0) {
            problems.add(r.where("api_key_env"), r.key_path("api_key_env"),
                         "expected the name of an environment variable (keys never go in files)");
        }
    }
    if (r.any("api_key") != nullptr) {
        problems.add(r.where("api_key"), r.key_path("api_key"),
                     "keys never go in files: set api_key_env to the name of an environment variable");
    }
    if (auto v = r.one_of("tier", {"cloud", "local"})) {
        p.tier = *v;
    }
    if (auto v = r.one_of("privacy", {"external", "private"})) {
        p.privacy = *v;
    }
    if (auto v = r.integer("max_concurrency")) {
        if (*v < 1) {
            problems.add(r.where("max_concurrency"), r.key_path("max_concurrency"),
                         "expected a positive integer");
        }
        p.max_concurrency = *v;
    }
    if (auto v = r.number("rpm")) {
        p.rpm = *v;
    }
    if (auto v = r.number("tpm")) {
        p.tpm = *v;
    }
    if (auto v = r.number("timeout_s")) {
        p.timeout_s = *v;
    }
    if (auto v = r.number("connect_timeout_s")) {
        p.connect_timeout_s = *v;
    }
    if (auto v = r.number("first_byte_timeout_s")) {
        p.first_byte_timeout_s = *v;
    }
    if (auto v = r.integer("max_retries")) {
        p.max_retries = *v;
    }
    if (auto v = r.boolean("stream")) {
        p.stream = *v;
    }
    if (const toml::table* h = r.table("headers")) {
        for (const auto& [k, v] : *h) {
            if (const auto* s = v.as_string()) {
                p.headers[std::string(k.str())] = s->get();
            } else {
                problems.add(location_of(file, v.source()),
                             r.key_path("headers." + std::string(k.str())),
                             fmt::format("expected a string, got {}", toml_type_name(v)));
            }
        }
    }
    if (auto v = r.strings("command")) {
        p.command = *v;
    }
    if (auto v = r.string("source")) {
        // Relative to the providers file, like a suite's dataset.
        std::filesystem::path source(*v);
        p.source = source.is_absolute() ? source.string()
                                        : (std::filesystem::path(file).parent_path() / source).lexically_normal().string();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(p.source, ec)) {
            problems.add(r.where("source"), r.key_path("source"),
                         fmt::format("no such file: {} (expected a JSONL file of recorded outcomes)", p.source));
        }
    }
    r.finish("protocol, base_url, api_key_env, tier, privacy, max_concurrency, rpm, tpm, "
             "timeout_s, connect_timeout_s, first_byte_timeout_s, max_retries, stream, headers, "
             "command, source");
    if ((p.protocol == "openai" || p.protocol == "anthropic") && p.base_url.empty()) {
        problems.add(p.where, r.key_path("base_url"),
                     fmt::format("missing; expected the base URL of the {} endpoint", p.protocol));
    }
    if (p.protocol == "command" && p.command.empty()) {
        problems.add(p.where, r.key_path("command"),
                     "missing; expected the program's argv, e.g. [\"./model\", \"--json\"]");
    }
    if (p.protocol == "replay" && p.source.empty() && r.any("source") == nullptr) {
        problems.add(p.where, r.key_path("source"),
                     "missing; expected the JSONL file of recorded outcomes to replay (orch import --replay-dir writes one)");
    }
    return p;
}

SimProfile read_sim(const toml::table& t, const std::string& file, const std::string& prefix,
                    Problems& problems) {
    TableReader r(t, file, prefix, problems);
    SimProfile s;
    if (auto v = r.number("latency_ms")) {
        s.latency_ms = *v;
    }
    if (auto v = r.number("latency_sigma")) {
        s.latency_sigma = *v;
    }
    if (auto v = r.number("ttft_ms")) {
        s.ttft_ms = *v;
    }
    if (auto v = r.number("tokens_per_s")) {
        s.tokens_per_s = *v;
        check_range(r, "tokens_per_s", v, 0.001, 1e9);
    }
    if (auto v = r.number("failure_rate")) {
        check_range(r, "failure_rate", v, 0, 1);
        s.failure_rate = *v;
    }
    if (const toml::table* sk = r.table("skill")) {
        TableReader skr(*sk, file, prefix + ".skill", problems);
        for (const auto& [k, v] : *sk) {
            std::string key(k.str());
            auto val = skr.number(key);
            check_range(skr, key, val, 0, 1);
            if (val) {
                if (key == "default") {
                    s.default_skill = *val;
                } else {
                    s.skill[key] = *val;
                }
            }
        }
    }
    if (auto v = r.number("judge_error_rate")) {
        check_range(r, "judge_error_rate", v, 0, 1);
        s.judge_error_rate = *v;
    }
    if (auto v = r.number("judge_position_bias")) {
        check_range(r, "judge_position_bias", v, 0, 1);
        s.judge_position_bias = *v;
    }
    if (auto v = r.number("judge_noise")) {
        check_range(r, "judge_noise", v, 0, 10);
        s.judge_noise = *v;
    }
    if (auto v = r.number("chars_per_token")) {
        check_range(r, "chars_per_token", v, 0.5, 20);
        s.chars_per_token = *v;
    }
    r.finish("latency_ms, latency_sigma, ttft_ms, tokens_per_s, failure_rate, skill, judge_error_rate, "
             "judge_position_bias, judge_noise, chars_per_token");
    return s;
}

ModelConfig read_model(const std::string& name, const toml::table& t, const std::string& file,
                       Problems& problems) {
    TableReader r(t, file, "models." + name, problems);
    ModelConfig m;
    m.name = name;
    m.where = r.where();
    if (auto v = r.string("provider", true)) {
        m.provider = *v;
    }
    m.id = r.string("id").value_or(name);
    if (auto v = r.number("input_per_mtok", true)) {
        check_range(r, "input_per_mtok", v, 0, 1e6);
        m.input_per_mtok = *v;
    }
    if (auto v = r.number("output_per_mtok", true)) {
        check_range(r, "output_per_mtok", v, 0, 1e6);
        m.output_per_mtok = *v;
    }
    m.cached_input_per_mtok = r.number("cached_input_per_mtok");
    if (auto v = r.integer("context_window")) {
        m.context_window = *v;
    }
    if (auto v = r.integer("max_output_tokens")) {
        m.max_output_tokens = *v;
    }
    if (auto v = r.strings("capabilities")) {
        for (const auto& c : *v) {
            if (c != "tools" && c != "json" && c != "vision") {
                problems.add(r.where("capabilities"), r.key_path("capabilities"),
                             fmt::format("expected \"tools\", \"json\" or \"vision\", got \"{}\"", c));
            }
        }
        m.capabilities = *v;
    }
    if (const toml::table* s = r.table("sim")) {
        m.sim = read_sim(*s, file, r.key_path("sim"), problems);
    }
    r.finish("provider, id, input_per_mtok, output_per_mtok, cached_input_per_mtok, "
             "context_window, max_output_tokens, capabilities, sim");
    return m;
}

} // namespace

ProvidersConfig load_providers(const std::string& path) {
    Problems problems;
    ProvidersConfig cfg;
    cfg.path = path;
    auto doc = parse_toml_file(path, problems);
    problems.throw_if_any();
    {
        std::ifstream in(path, std::ios::binary);
        std::stringstream buf;
        buf << in.rdbuf();
        cfg.content_hash = util::sha256_hex(buf.str());
    }
    TableReader top(*doc, path, "", problems);
    if (const toml::table* ps = top.table("providers", true)) {
        for (const auto& [k, v] : *ps) {
            std::string name(k.str());
            if (const auto* t = v.as_table()) {
                cfg.providers.push_back(read_provider(name, *t, path, problems));
            } else {
                problems.add(location_of(path, v.source()), "providers." + name,
                             fmt::format("expected a table, got {}", toml_type_name(v)));
            }
        }
    }
    if (const toml::table* ms = top.table("models", true)) {
        for (const auto& [k, v] : *ms) {
            std::string name(k.str());
            if (const auto* t = v.as_table()) {
                cfg.models.push_back(read_model(name, *t, path, problems));
            } else {
                problems.add(location_of(path, v.source()), "models." + name,
                             fmt::format("expected a table, got {}", toml_type_name(v)));
            }
        }
    }
    read_policies(top, cfg); // after [models]: rules name models
    top.finish("providers, models, policies");
    // Cross-references: every model's provider exists; sim profiles only on sim providers.
    for (const auto& m : cfg.models) {
        const ProviderConfig* p = cfg.find_provider(m.provider);
        if (p == nullptr && !m.provider.empty()) {
            problems.add(m.where, "models." + m.name + ".provider",
                         fmt::format("no provider named \"{}\" in [providers]", m.provider));
        } else if (p != nullptr && p->protocol == "sim" && !m.sim) {
            problems.add(m.where, "models." + m.name + ".sim",
                         "missing; a model on a sim provider needs a [sim] profile");
        }
    }
    problems.throw_if_any();
    return cfg;
}

} // namespace orch::config
