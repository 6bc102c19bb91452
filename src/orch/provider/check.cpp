#include <orch/config/problems.hpp>
#include <orch/config/recorded.hpp>
#include <orch/core/error.hpp>
#include <orch/provider/check.hpp>
#include <orch/provider/provider.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <condition_variable>
#include <fmt/format.h>
#include <mutex>

namespace orch::provider {

namespace {

const config::ModelConfig* cheapest_model(const config::ProvidersConfig& cfg, const std::string& provider) {
    const config::ModelConfig* best = nullptr;
    for (const auto& m : cfg.models) {
        if (m.provider == provider &&
            (best == nullptr || m.input_per_mtok + m.output_per_mtok < best->input_per_mtok + best->output_per_mtok)) {
            best = &m;
        }
    }
    return best;
}

} // namespace

std::vector<CheckResult> check_providers(const config::ProvidersConfig& cfg,
                                         const std::vector<std::string>& only) {
    for (const auto& name : only) {
        if (cfg.find_provider(name) == nullptr) {
            throw Error(ErrorKind::config, fmt::format("--provider {}: no such provider in {}", name, cfg.path));
        }
    }
    std::vector<CheckResult> results;
    std::vector<const config::ModelConfig*> models;
    for (const auto& p : cfg.providers) {
        if (!only.empty() && std::find(only.begin(), only.end(), p.name) == only.end()) {
            continue;
        }
        CheckResult r;
        r.provider = p.name;
        r.protocol = p.protocol;
        const auto* m = cheapest_model(cfg, p.name);
        if (p.protocol == "replay") {
            // Nothing to call: what a replay can answer is its file of recorded outcomes.
            try {
                config::RecordedFile file = config::read_recorded_jsonl(p.source);
                r.ok = true;
                r.model = m != nullptr ? m->name : "";
                r.message = fmt::format("{} recorded prompts, {} models, in {}", file.prompts.size(),
                                        file.models.size(), p.source);
            } catch (const Error& e) {
                r.error_kind = "config";
                r.message = e.what();
            }
            results.push_back(r);
            models.push_back(nullptr);
            continue;
        }
        if (m == nullptr) {
            r.unused = true;
            r.message = fmt::format("{}: providers.{}: no model uses this provider (not called)",
                                    config::format_location(p.where), p.name);
        } else {
            r.model = m->name;
        }
        results.push_back(r);
        models.push_back(m);
    }

    ProviderSet providers(cfg, ProviderOptions{});
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t pending = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (models[i] == nullptr) {
            continue;
        }
        Request request;
        request.messages = {{"user", "Reply with the single word OK."}};
        request.params.max_tokens = 5;
        request.params.temperature = 0.0;
        request.task_type = "check";
        request.key = "orch providers check";
        request.max_retries = 0;
        {
            std::lock_guard lock(mutex);
            ++pending;
        }
        providers.for_model(*models[i]).start(*models[i], std::move(request), [&, i](Outcome outcome) {
            std::lock_guard lock(mutex);
            CheckResult& r = results[i];
            if (outcome) {
                const Completion& c = outcome.value();
                r.ok = true;
                r.latency_ms = c.latency_ms;
                r.ttft_ms = c.ttft_ms;
                r.cost_usd = c.cost_usd;
                r.simulated = c.simulated;
                r.message = util::truncate(util::collapse_whitespace(c.text), 60);
            } else {
                const ProviderError& e = outcome.error();
                r.error_kind = to_string(e.kind);
                r.latency_ms = e.latency_ms;
                r.message = e.message;
            }
            --pending;
            cv.notify_all();
        });
    }
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return pending == 0; });
    return results;
}

} // namespace orch::provider
