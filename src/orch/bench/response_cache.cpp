#include <orch/bench/response_cache.hpp>
#include <orch/util/hash.hpp>

namespace orch::bench {

class CachingProvider : public provider::Provider {
  public:
    CachingProvider(ResponseCache& cache, std::unique_ptr<provider::Provider> inner)
        : m_cache(cache), m_inner(std::move(inner)) {}

    void start(const config::ModelConfig& model, Request request, provider::Callback done) override {
        std::string key = ResponseCache::key(model, request);
        if (auto hit = m_cache.get(model, key)) {
            done(std::move(*hit));
            return;
        }
        m_inner->start(model, std::move(request),
                       [this, key, &model, done = std::move(done)](provider::Outcome o) {
                           if (o) {
                               m_cache.put(key, model, o.value());
                           }
                           done(std::move(o));
                       });
    }
    bool simulated() const override { return m_inner->simulated(); }

  private:
    ResponseCache& m_cache;
    std::unique_ptr<provider::Provider> m_inner;
};

ResponseCache::ResponseCache(const std::string& db_path) : m_store(db_path) {}

ResponseCache::~ResponseCache() {
    try {
        flush();
    } catch (...) {
        // the cache is an optimisation: losing entries at shutdown loses no result
    }
}

void ResponseCache::flush() {
    std::lock_guard lock(m_mutex);
    m_store.cache_put(m_pending);
    m_pending.clear();
    m_pending_index.clear();
}

std::unique_ptr<provider::Provider> ResponseCache::wrap(std::unique_ptr<provider::Provider> inner) {
    if (!inner->cacheable()) {
        return inner;
    }
    return std::make_unique<CachingProvider>(*this, std::move(inner));
}

double ResponseCache::saved_usd() const {
    std::lock_guard lock(const_cast<std::mutex&>(m_mutex));
    return m_saved_usd;
}

std::string ResponseCache::key(const config::ModelConfig& model, const Request& request) {
    nlohmann::json j = {{"model", model.name}, {"id", model.id}, {"provider", model.provider},
                        {"seed", request.seed}, {"key", request.key}};
    nlohmann::json msgs = nlohmann::json::array();
    for (const auto& m : request.messages) {
        nlohmann::json msg = {m.role, m.content};
        for (const auto& c : m.tool_calls) {
            msg.push_back({c.id, c.name, c.arguments});
        }
        if (!m.tool_call_id.empty()) {
            msg.push_back({{"tool_call_id", m.tool_call_id}, {"is_error", m.is_error}});
        }
        msgs.push_back(std::move(msg));
    }
    j["messages"] = std::move(msgs);
    if (!request.tools.empty()) {
        nlohmann::json tools = nlohmann::json::array();
        for (const auto& t : request.tools) {
            tools.push_back({t.name, t.description, t.parameters});
        }
        j["tools"] = std::move(tools);
    }
    if (request.params.temperature) {
        j["temperature"] = *request.params.temperature;
    }
    if (request.params.max_tokens) {
        j["max_tokens"] = *request.params.max_tokens;
    }
    if (request.params.top_p) {
        j["top_p"] = *request.params.top_p;
    }
    return util::sha256_hex(j.dump());
}

std::optional<Completion> ResponseCache::get(const config::ModelConfig& model, const std::string& key) {
    std::lock_guard lock(m_mutex);
    std::optional<store::CachedResponse> hit;
    if (auto it = m_pending_index.find(key); it != m_pending_index.end()) {
        hit = m_pending[it->second].response;
    } else {
        hit = m_store.cache_get(key);
    }
    if (!hit) {
        ++m_misses;
        return std::nullopt;
    }
    ++m_hits;
    m_saved_usd += hit->cost_usd;
    Completion c;
    c.text = std::move(hit->text);
    if (hit->tool_calls.is_array()) {
        for (const auto& t : hit->tool_calls) {
            c.tool_calls.push_back(ToolCall{t.value("id", ""), t.value("name", ""), t.value("arguments", "")});
        }
    }
    c.usage.input_tokens = hit->input_tokens;
    c.usage.output_tokens = hit->output_tokens;
    c.usage.cached_input_tokens = hit->cached_input_tokens;
    c.usage.estimated = hit->tokens_estimated;
    c.cost_usd = hit->cost_usd; // what the answer cost when it was made
    c.latency_ms = hit->latency_ms;
    c.ttft_ms = hit->ttft_ms;
    c.model = model.name;
    c.provider_model = model.id;
    c.simulated = model.sim.has_value();
    c.cached = true;
    return c;
}

void ResponseCache::put(const std::string& key, const config::ModelConfig& model, const Completion& c) {
    store::CachedResponse r;
    r.text = c.text;
    if (!c.tool_calls.empty()) {
        r.tool_calls = nlohmann::json::array();
        for (const auto& t : c.tool_calls) {
            r.tool_calls.push_back({{"id", t.id}, {"name", t.name}, {"arguments", t.arguments}});
        }
    }
    r.input_tokens = c.usage.input_tokens;
    r.output_tokens = c.usage.output_tokens;
    r.cached_input_tokens = c.usage.cached_input_tokens;
    r.tokens_estimated = c.usage.estimated;
    r.cost_usd = c.cost_usd;
    r.latency_ms = c.latency_ms;
    r.ttft_ms = c.ttft_ms;
    std::lock_guard lock(m_mutex);
    m_pending_index[key] = m_pending.size();
    m_pending.push_back(store::Store::CacheEntry{key, model.name, std::move(r)});
}

} // namespace orch::bench
