#pragma once
// The Provider interface: one asynchronous model call. Failures a caller must branch on
// (rate limits, timeouts, context length...) come back as values, never exceptions.
#include <orch/config/providers.hpp>
#include <orch/core/types.hpp>
#include <orch/util/result.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace orch::http {
class HttpClient;
}

namespace orch::provider {

using Outcome = util::Result<Completion, ProviderError>;
using Callback = std::function<void(Outcome)>;

class Provider {
  public:
    virtual ~Provider() = default;
    // Starts one call to `model`. `done` runs exactly once, on any thread, possibly before
    // start() returns. The provider must outlive every call it started.
    virtual void start(const config::ModelConfig& model, Request request, Callback done) = 0;
    virtual bool simulated() const { return false; }
    // Whether the response cache may answer for it (not for replays of recorded answers).
    virtual bool cacheable() const { return true; }
};

// Wraps each provider once it is built (e.g. with a response cache).
using ProviderWrapper = std::function<std::unique_ptr<class Provider>(std::unique_ptr<class Provider>)>;

struct ProviderOptions {
    bool sim_sleep = false; // simulated models really wait out their latency
    ProviderWrapper wrap;   // optional
};

// Builds the provider for one [providers.NAME] entry; HTTP protocols share the client that
// http_client() returns. Throws orch::Error(config) for an unknown protocol.
std::unique_ptr<Provider> make_provider(const config::ProviderConfig& cfg, const ProviderOptions& options,
                                        const std::function<std::shared_ptr<http::HttpClient>()>& http_client);

// Every provider of a providers.toml, built once and shared by all calls.
class ProviderSet {
  public:
    ProviderSet(const config::ProvidersConfig& cfg, const ProviderOptions& options);
    ~ProviderSet();
    Provider& for_model(const config::ModelConfig& model);

  private:
    const config::ProvidersConfig& m_cfg;
    ProviderOptions m_options;
    std::mutex m_mutex;
    std::shared_ptr<http::HttpClient> m_http; // one event loop for every HTTP provider
    std::map<std::string, std::unique_ptr<Provider>> m_providers;
};

} // namespace orch::provider
