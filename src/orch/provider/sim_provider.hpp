#pragma once
// The in-process simulated fleet as a Provider.
#include <orch/provider/provider.hpp>
#include <orch/util/scheduler.hpp>

namespace orch::provider {

class SimProvider : public Provider {
  public:
    SimProvider(const config::ProviderConfig& cfg, bool sleep);
    void start(const config::ModelConfig& model, Request request, Callback done) override;
    bool simulated() const override { return true; }

  private:
    const config::ProviderConfig& m_cfg;
    bool m_sleep;
    std::unique_ptr<util::Scheduler> m_scheduler; // only when sleeping
};

} // namespace orch::provider
