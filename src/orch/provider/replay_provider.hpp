#pragma once
// A provider whose answers come from recorded outcomes (config/recorded.hpp): `orch bench`,
// `orch diff` and `orch route` run over what real models once answered, at no cost and with
// no network. The prompt (the request's last user message) is looked up in the file; the
// model's recorded response, tokens, cost and latency come back, with the score it was given
// (`recorded_score`, read by the `recorded` evaluator). A prompt the file does not hold, or a
// model it has no outcome for, is a bad_response error naming both.
//
//   [providers.recorded]
//   protocol = "replay"
//   source = "replay/recorded.jsonl"   # relative to providers.toml
//
// A model's recorded name is its `id` (or its name when it has no id).
#include <orch/config/recorded.hpp>
#include <orch/provider/provider.hpp>

#include <string_view>
#include <unordered_map>

namespace orch::provider {

class ReplayProvider : public Provider {
  public:
    // Reads the whole file; throws orch::Error(config) when it cannot be read.
    explicit ReplayProvider(const config::ProviderConfig& cfg);
    void start(const config::ModelConfig& model, Request request, Callback done) override;
    // Nothing to save by caching a replay, and a cached answer would lose its recorded score.
    bool cacheable() const override { return false; }

  private:
    const config::ProviderConfig& m_cfg;
    config::RecordedFile m_file;
    std::unordered_map<std::string_view, std::size_t> m_by_prompt; // prompt text -> index
};

} // namespace orch::provider
