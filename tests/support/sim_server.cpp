#include "support/sim_server.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <unistd.h>
#include <thread>
#include <sstream>
#include <filesystem>
#include <cstdlib>
#include <csignal>
#include <chrono>

namespace orch::test {

SimServerProcess::SimServerProcess(const std::string& providers, const std::vector<std::string>& args) {
    static int counter = 0;
    m_out = (std::filesystem::temp_directory_path() /
             ("orch-sim-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".out"))
                .string();
    std::string cmd = shell_quote(ORCH_BINARY) + " --providers " + shell_quote(providers) + " sim serve --port 0";
    for (const auto& a : args) {
        cmd += " " + shell_quote(a);
    }
    m_process = std::make_unique<BackgroundProcess>(cmd, m_out);
    // Generous: under a sanitizer on a loaded machine, loading a large answer key takes seconds.
    m_port = wait_for_listening_port(*m_process, 60);
    INFO(m_process->output());
    REQUIRE(m_port != 0);
}

SimServerProcess::~SimServerProcess() {
    stop();
    std::filesystem::remove(m_out);
}

int SimServerProcess::stop() { return m_process->stop(); }

std::string SimServerProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/v1"; }

std::string http_fleet_providers(const std::string& protocol, const std::string& base_url,
                                 const std::string& extra, const std::string& fleet_path) {
    // The fleet's [models.*.sim] tables stay: the server reads them; orch reads them too
    // (harmless for an HTTP provider).
    std::string fleet = read_text(fleet_path.empty() ? source_path("providers.toml") : fleet_path);
    std::string text = "[providers.http]\nprotocol = \"" + protocol + "\"\nbase_url = \"" + base_url +
                       "\"\nmax_concurrency = 64\ntimeout_s = 10\n" + extra + "\n";
    // Point every model at the HTTP provider; the sim providers stay for `orch sim serve`.
    size_t pos = 0;
    while ((pos = fleet.find("provider = \"simcloud\"", pos)) != std::string::npos) {
        fleet.replace(pos, 21, "provider = \"http\"   ");
    }
    pos = 0;
    while ((pos = fleet.find("provider = \"simlocal\"", pos)) != std::string::npos) {
        fleet.replace(pos, 21, "provider = \"http\"   ");
    }
    return text + fleet;
}

const config::ProvidersConfig& fleet_without_failures() {
    static auto cfg = [] {
        auto c = config::load_providers(source_path("providers.toml"));
        for (auto& m : c.models) {
            if (m.sim) {
                m.sim->failure_rate = 0;
            }
        }
        return c;
    }();
    return cfg;
}

std::vector<nlohmann::json> request_log(const std::string& path) {
    std::vector<nlohmann::json> out;
    std::istringstream lines(read_text(path));
    std::string line;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line);
        if (j.contains("body")) {
            out.push_back(std::move(j));
        }
    }
    return out;
}

void kill_after_steps(const std::string& command, const std::string& log, const std::string& db, int steps) {
    BackgroundProcess run(command, log);
    bool enough = false;
    for (int i = 0; i < 500 && !enough; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        enough = std::filesystem::exists(db) && std::atoi(sql(db, "select count(*) from step_results").c_str()) >= steps;
    }
    INFO(run.output());
    REQUIRE(enough);
    kill(run.pid(), SIGKILL);
    run.stop();
}

} // namespace orch::test
