#pragma once
// Test support: `orch sim serve` as a background process on 127.0.0.1, and a providers.toml
// pointing at it.
#include "support/process.hpp"

#include <orch/config/providers.hpp>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace orch::test {

class SimServerProcess {
  public:
    // Starts the built binary: orch --providers PROVIDERS sim serve --port 0 ARGS...; waits
    // until it listens (REQUIREs it does within 10 s).
    SimServerProcess(const std::string& providers, const std::vector<std::string>& args);
    ~SimServerProcess(); // SIGTERM, then wait
    SimServerProcess(const SimServerProcess&) = delete;
    SimServerProcess& operator=(const SimServerProcess&) = delete;

    int port() const { return m_port; }
    std::string base_url() const; // http://127.0.0.1:PORT/v1
    int stop();                   // SIGTERM; returns the exit status
    int pid() const { return m_process->pid(); }

  private:
    std::unique_ptr<BackgroundProcess> m_process;
    int m_port = 0;
    std::string m_out;
};

// providers.toml text: the simulated fleet's models (the default fleet, or the one in the file
// `fleet`) served over HTTP by one provider of `protocol` (openai | anthropic) at `base_url`,
// plus `extra` provider keys.
std::string http_fleet_providers(const std::string& protocol, const std::string& base_url,
                                 const std::string& extra = "", const std::string& fleet = "");

// The requests `orch sim serve --log PATH` recorded (entries with a body), in order.
std::vector<nlohmann::json> request_log(const std::string& path);

// Runs `command` (an `orch bench`) in the background and SIGKILLs it once `db` holds at least
// `steps` step rows; REQUIREs that happens within 10 s. Its output goes to `log`.
void kill_after_steps(const std::string& command, const std::string& log, const std::string& db, int steps);

// The default fleet (providers.toml) without transient failures, so an answer does not depend on
// a seed's luck. Loaded once.
const config::ProvidersConfig& fleet_without_failures();

} // namespace orch::test
