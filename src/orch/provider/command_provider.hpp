#pragma once
// A local program as a model (protocol "command"): argv from providers.toml (no shell),
// the prompt on stdin, the answer on stdout; a timeout and the exit status are checked.
#include <orch/provider/provider.hpp>

namespace orch::provider {

class CommandProvider : public Provider {
  public:
    explicit CommandProvider(const config::ProviderConfig& cfg) : m_cfg(cfg) {}
    void start(const config::ModelConfig& model, Request request, Callback done) override;

    // The text written to the program's stdin: messages as "role: content" blocks, or the
    // user message alone when it is the only one.
    static std::string prompt_text(const Request& request);

  private:
    const config::ProviderConfig& m_cfg;
};

} // namespace orch::provider
