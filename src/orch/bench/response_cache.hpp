#pragma once
// The response cache as a Provider decorator: a request seen before (same model, messages,
// parameters, seed and request key) is answered from the database with its original
// latency and cost, and no provider call. Thread-safe; it has its own database connection.
#include <orch/provider/provider.hpp>
#include <orch/store/store.hpp>

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace orch::bench {

class ResponseCache {
  public:
    explicit ResponseCache(const std::string& db_path);
    ~ResponseCache(); // flushes
    // Writes the responses gathered since the last flush (one transaction).
    void flush();
    std::unique_ptr<provider::Provider> wrap(std::unique_ptr<provider::Provider> inner);

    std::int64_t hits() const { return m_hits.load(); }
    std::int64_t misses() const { return m_misses.load(); }
    double saved_usd() const;

    static std::string key(const config::ModelConfig& model, const Request& request);

  private:
    friend class CachingProvider;
    std::optional<Completion> get(const config::ModelConfig& model, const std::string& key);
    void put(const std::string& key, const config::ModelConfig& model, const Completion& c);

    std::mutex m_mutex;
    store::Store m_store;
    std::vector<store::Store::CacheEntry> m_pending;
    std::unordered_map<std::string, std::size_t> m_pending_index; // key -> m_pending slot
    std::atomic<std::int64_t> m_hits{0};
    std::atomic<std::int64_t> m_misses{0};
    double m_saved_usd = 0;
};

} // namespace orch::bench
