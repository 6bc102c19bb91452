#pragma once
// Test support: llama.cpp's llama-server (built by scripts/llama-server from the source the npm
// package node-llama-cpp ships) as a background process on 127.0.0.1, serving the tiny random
// model in ../shared/models.
#include "support/process.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace orch::test {

// The llama-server binary: $ORCH_LLAMA_SERVER when set (scripts/test builds it first and sets
// it), else what `scripts/llama-server` builds or finds in its cache. nullopt, with the reason in
// `why`, when it cannot be had (no npm, a failed build) or the model file is missing.
std::optional<std::string> llama_server_binary(std::string& why);

// Whether a missing llama-server fails the test rather than skipping it ($ORCH_REQUIRE_LLAMA=1,
// as scripts/test sets it: on a machine that runs the whole suite it must be there).
bool llama_server_required();

// ../shared/models/llama-2-tiny-random.gguf, or "" when it is not beside the checkout.
std::string tiny_model_path();

class LlamaServerProcess {
  public:
    // Starts `binary -m tiny-model --host 127.0.0.1 --port 0 ARGS...` and waits until it has
    // loaded the model and listens (REQUIREs it does within 30 s).
    LlamaServerProcess(const std::string& binary, const std::vector<std::string>& args);
    ~LlamaServerProcess();
    LlamaServerProcess(const LlamaServerProcess&) = delete;
    LlamaServerProcess& operator=(const LlamaServerProcess&) = delete;

    int port() const { return m_port; }
    std::string base_url() const; // http://127.0.0.1:PORT/v1
    std::string log() const;      // what the server printed so far
    int pid() const { return m_process->pid(); }
    void kill_now();              // SIGKILL, as a crash would

  private:
    std::string m_out;
    std::unique_ptr<BackgroundProcess> m_process;
    int m_port = 0;
};

} // namespace orch::test
