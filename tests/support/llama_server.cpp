#include "support/llama_server.hpp"

#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <mutex>
#include <signal.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace orch::test {

std::string tiny_model_path() {
    fs::path p = fs::path(ORCH_SOURCE_DIR).parent_path() / "shared" / "models" / "llama-2-tiny-random.gguf";
    return fs::exists(p) ? p.string() : "";
}

bool llama_server_required() {
    const char* v = std::getenv("ORCH_REQUIRE_LLAMA");
    return v != nullptr && std::string(v) == "1";
}

std::optional<std::string> llama_server_binary(std::string& why) {
    if (tiny_model_path().empty()) {
        why = "no ../shared/models/llama-2-tiny-random.gguf beside the checkout";
        return std::nullopt;
    }
    if (const char* env = std::getenv("ORCH_LLAMA_SERVER"); env != nullptr && *env != '\0') {
        if (fs::exists(env)) {
            return std::string(env);
        }
        why = std::string("ORCH_LLAMA_SERVER=") + env + " does not exist";
        return std::nullopt;
    }
    // One lookup per test process; the script itself serialises builds across processes.
    static std::once_flag once;
    static std::optional<std::string> found;
    static std::string found_why;
    std::call_once(once, [] {
        std::string log = (fs::temp_directory_path() / ("orch-llama-build-" + std::to_string(getpid()) + ".log")).string();
        auto r = run_shell(shell_quote(source_path("scripts/llama-server")) + " 2>" + shell_quote(log));
        std::string path = r.out;
        while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) {
            path.pop_back();
        }
        if (auto nl = path.rfind('\n'); nl != std::string::npos) {
            path = path.substr(nl + 1);
        }
        if (r.exit_code == 0 && !path.empty() && fs::exists(path)) {
            found = path;
        } else {
            std::string err = read_text(log);
            found_why = "scripts/llama-server failed (exit " + std::to_string(r.exit_code) + "): " +
                        (err.size() > 600 ? err.substr(err.size() - 600) : err);
        }
        std::error_code ec;
        fs::remove(log, ec);
    });
    if (!found) {
        why = found_why;
    }
    return found;
}

LlamaServerProcess::LlamaServerProcess(const std::string& binary, const std::vector<std::string>& args) {
    static int counter = 0;
    m_out = (fs::temp_directory_path() /
             ("orch-llama-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".out"))
                .string();
    std::string cmd = shell_quote(binary) + " -m " + shell_quote(tiny_model_path()) +
                      " --host 127.0.0.1 --port 0 --no-webui";
    for (const auto& a : args) {
        cmd += " " + shell_quote(a);
    }
    m_process = std::make_unique<BackgroundProcess>(cmd, m_out);
    // "listening on" is printed after the model has loaded and the port is bound.
    m_port = wait_for_listening_port(*m_process, 30);
    INFO(m_process->output());
    REQUIRE(m_port != 0);
}

LlamaServerProcess::~LlamaServerProcess() {
    m_process->stop();
    std::error_code ec;
    fs::remove(m_out, ec);
}

std::string LlamaServerProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/v1"; }

std::string LlamaServerProcess::log() const { return m_process->output(); }

void LlamaServerProcess::kill_now() {
    if (m_process->pid() > 0) {
        ::kill(m_process->pid(), SIGKILL);
        m_process->wait();
    }
}

} // namespace orch::test
