#pragma once
// Test support for route/: a small fleet in a providers.toml on disk, and a fake Provider
// that answers from a script per model and records every request it received.
#include "support/process.hpp"

#include <doctest/doctest.h>

#include <orch/config/providers.hpp>
#include <orch/provider/provider.hpp>
#include <orch/route/router.hpp>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace orch::test {

// External: small (16k window), mid (32k), big (200k); private: local (8k).
inline const std::string k_route_fleet = R"([providers.cloud]
protocol = "sim"
[providers.home]
protocol = "sim"
privacy = "private"
[models.small]
provider = "cloud"
input_per_mtok = 0.1
output_per_mtok = 0.4
context_window = 16000
max_output_tokens = 1000
sim = { latency_ms = 100 }
[models.mid]
provider = "cloud"
input_per_mtok = 0.4
output_per_mtok = 1.6
context_window = 32000
max_output_tokens = 1000
sim = { latency_ms = 100 }
[models.big]
provider = "cloud"
input_per_mtok = 3
output_per_mtok = 15
context_window = 200000
max_output_tokens = 1000
sim = { latency_ms = 100 }
[models.local]
provider = "home"
input_per_mtok = 0
output_per_mtok = 0
context_window = 8000
max_output_tokens = 1000
sim = { latency_ms = 100 }
)";

// providers.toml = the fleet + policies, loaded from a temp folder that lives as long as it.
struct RouteFixture {
    explicit RouteFixture(const std::string& policies)
        : cfg(config::load_providers(dir.write("providers.toml", k_route_fleet + policies))) {}
    const config::Policy& policy(const std::string& name) const {
        const config::Policy* p = config::find_policy(cfg, name);
        REQUIRE(p != nullptr);
        return *p;
    }
    TempDir dir;
    config::ProvidersConfig cfg;
};

inline provider::Outcome answer(const std::string& text, double cost_usd = 0.001,
                                double latency_ms = 100) {
    Completion c;
    c.text = text;
    c.cost_usd = cost_usd;
    c.latency_ms = latency_ms;
    c.usage.input_tokens = 10;
    c.usage.output_tokens = 5;
    return c;
}

inline provider::Outcome failure(ProviderErrorKind kind,
                                 const std::string& message = "scripted failure",
                                 std::optional<double> retry_after_s = std::nullopt) {
    ProviderError e;
    e.kind = kind;
    e.message = message;
    e.retry_after_s = retry_after_s;
    e.latency_ms = 20;
    e.http_status = kind == ProviderErrorKind::rate_limited ? 429
                    : kind == ProviderErrorKind::server     ? 503
                                                            : 400;
    return util::unexpected(std::move(e));
}

// Answers each model's calls from its script, in order; an exhausted script answers
// "answer from MODEL" at $0.001. With `threaded`, each answer comes from another thread.
class ScriptedProvider : public provider::Provider {
  public:
    explicit ScriptedProvider(bool threaded = false) : m_threaded(threaded) {}
    ~ScriptedProvider() override {
        for (auto& t : m_threads) {
            t.join();
        }
    }

    void script(const std::string& model, std::vector<provider::Outcome> outcomes) {
        std::lock_guard lock(m_mutex);
        for (auto& o : outcomes) {
            m_script[model].push_back(std::move(o));
        }
    }

    void start(const config::ModelConfig& model, Request request,
               provider::Callback done) override {
        provider::Outcome outcome = answer("answer from " + model.name);
        {
            std::lock_guard lock(m_mutex);
            m_received.emplace_back(model.name, request);
            auto& queue = m_script[model.name];
            if (!queue.empty()) {
                outcome = std::move(queue.front());
                queue.pop_front();
            }
        }
        if (outcome.has_value()) {
            outcome.value().model = model.name;
        }
        if (m_threaded) {
            std::lock_guard lock(m_mutex);
            m_threads.emplace_back(
                [outcome = std::move(outcome), done = std::move(done)]() mutable {
                    done(std::move(outcome));
                });
        } else {
            done(std::move(outcome));
        }
    }

    // The models called, in order.
    std::vector<std::string> calls() const {
        std::lock_guard lock(m_mutex);
        std::vector<std::string> out;
        for (const auto& [model, req] : m_received) {
            out.push_back(model);
        }
        return out;
    }
    std::vector<std::pair<std::string, Request>> received() const {
        std::lock_guard lock(m_mutex);
        return m_received;
    }
    void clear() {
        std::lock_guard lock(m_mutex);
        m_received.clear();
    }

  private:
    bool m_threaded;
    mutable std::mutex m_mutex;
    std::map<std::string, std::deque<provider::Outcome>> m_script;
    std::vector<std::pair<std::string, Request>> m_received;
    std::vector<std::thread> m_threads;
};

inline route::RouteInput input(const std::string& text, const std::string& type = "chat",
                               const std::string& key = "k") {
    route::RouteInput in;
    in.messages.push_back({"user", text});
    in.task_type = type;
    in.request_key = key;
    return in;
}

// The "outcome" of each chain step, in order.
inline std::vector<std::string> outcomes(const route::RouteResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.chain) {
        out.push_back(s.value("model", "") + ":" + s.value("outcome", ""));
    }
    return out;
}

} // namespace orch::test
