#include <orch/core/error.hpp>
#include <orch/http/client.hpp>
#include <orch/provider/command_provider.hpp>
#include <orch/provider/http_provider.hpp>
#include <orch/provider/provider.hpp>
#include <orch/provider/replay_provider.hpp>
#include <orch/provider/sim_provider.hpp>

#include <fmt/format.h>

namespace orch::provider {

std::unique_ptr<Provider> make_provider(const config::ProviderConfig& cfg, const ProviderOptions& options,
                                        const std::function<std::shared_ptr<http::HttpClient>()>& http_client) {
    if (cfg.protocol == "sim") {
        return std::make_unique<SimProvider>(cfg, options.sim_sleep);
    }
    if (cfg.protocol == "openai") {
        return std::make_unique<HttpProvider>(cfg, make_openai_protocol(), http_client());
    }
    if (cfg.protocol == "anthropic") {
        return std::make_unique<HttpProvider>(cfg, make_anthropic_protocol(), http_client());
    }
    if (cfg.protocol == "command") {
        return std::make_unique<CommandProvider>(cfg);
    }
    if (cfg.protocol == "replay") {
        return std::make_unique<ReplayProvider>(cfg);
    }
    throw Error(ErrorKind::config, fmt::format("{}: providers.{}.protocol: \"{}\" is not supported",
                                               config::format_location(cfg.where), cfg.name, cfg.protocol));
}

ProviderSet::ProviderSet(const config::ProvidersConfig& cfg, const ProviderOptions& options)
    : m_cfg(cfg), m_options(options) {}

ProviderSet::~ProviderSet() = default;

Provider& ProviderSet::for_model(const config::ModelConfig& model) {
    std::lock_guard lock(m_mutex);
    auto it = m_providers.find(model.provider);
    if (it == m_providers.end()) {
        auto client = [this] {
            if (!m_http) {
                m_http = http::make_curl_client();
            }
            return m_http;
        };
        auto built = make_provider(m_cfg.provider_of(model), m_options, client);
        if (m_options.wrap) {
            built = m_options.wrap(std::move(built));
        }
        it = m_providers.emplace(model.provider, std::move(built)).first;
    }
    return *it->second;
}

} // namespace orch::provider
