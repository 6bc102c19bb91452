#include <orch/core/error.hpp>
#include <orch/provider/provider.hpp>
#include <orch/provider/sim_provider.hpp>

#include <fmt/format.h>

namespace orch::provider {

std::unique_ptr<Provider> make_provider(const config::ProviderConfig& cfg, const ProviderOptions& options) {
    if (cfg.protocol == "sim") {
        return std::make_unique<SimProvider>(cfg, options.sim_sleep);
    }
    throw Error(ErrorKind::config,
                fmt::format("{}: providers.{}.protocol: \"{}\" is not available in this build yet",
                            config::format_location(cfg.where), cfg.name, cfg.protocol));
}

ProviderSet::ProviderSet(const config::ProvidersConfig& cfg, const ProviderOptions& options)
    : m_cfg(cfg), m_options(options) {}

Provider& ProviderSet::for_model(const config::ModelConfig& model) {
    auto it = m_providers.find(model.provider);
    if (it == m_providers.end()) {
        it = m_providers.emplace(model.provider, make_provider(m_cfg.provider_of(model), m_options)).first;
    }
    return *it->second;
}

} // namespace orch::provider
