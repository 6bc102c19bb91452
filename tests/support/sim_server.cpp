#include "support/sim_server.hpp"
#include "support/process.hpp"

#include <chrono>
#include <csignal>
#include <doctest/doctest.h>
#include <regex>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace orch::test {

SimServerProcess::SimServerProcess(const std::string& providers, const std::vector<std::string>& args) {
    static int counter = 0;
    m_out = (std::filesystem::temp_directory_path() /
             ("orch-sim-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".out"))
                .string();
    std::string cmd = "exec " + shell_quote(ORCH_BINARY) + " --providers " + shell_quote(providers) +
                      " sim serve --port 0";
    for (const auto& a : args) {
        cmd += " " + shell_quote(a);
    }
    cmd += " > " + shell_quote(m_out) + " 2>&1";
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    m_pid = pid;
    std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 200 && m_port == 0; ++i) {
        std::smatch m;
        std::string text = read_text(m_out);
        if (std::regex_search(text, m, listening)) {
            m_port = std::stoi(m[1]);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    INFO(read_text(m_out));
    REQUIRE(m_port != 0);
}

SimServerProcess::~SimServerProcess() {
    stop();
    std::filesystem::remove(m_out);
}

int SimServerProcess::stop() {
    if (m_pid <= 0) {
        return 0;
    }
    kill(m_pid, SIGTERM);
    int status = 0;
    waitpid(m_pid, &status, 0);
    m_pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string SimServerProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/v1"; }

std::string http_fleet_providers(const std::string& protocol, const std::string& base_url,
                                 const std::string& extra) {
    // The fleet's [models.*.sim] tables stay: the server reads them; orch reads them too
    // (harmless for an HTTP provider).
    std::string fleet = read_text(source_path("providers.toml"));
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

} // namespace orch::test
