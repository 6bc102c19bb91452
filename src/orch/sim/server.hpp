#pragma once
// `orch sim serve`: the simulated fleet (SPEC §6) behind a loopback HTTP server that speaks
// the OpenAI chat-completions and Anthropic Messages protocols, streaming or not, with
// injectable faults (see faults.hpp). The HTTP library stays inside sim/.
//
// Endpoints: POST /v1/chat/completions, POST /v1/messages, GET /v1/models, GET /health.
// A model call plays sim::simulate with the golden row's hint when the messages are a golden
// task's (see answer_key.hpp), and really sleeps the simulated latency.
#include <orch/config/providers.hpp>
#include <orch/sim/answer_key.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace orch::sim {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 0;                           // 0 = pick a free port (see Server::port())
    std::string faults;                     // a fault spec, see faults.hpp; "" = none
    std::string log_path;                   // JSONL request log, one line a request; "" = none
    double latency_scale = 1.0;             // multiplies the simulated latency; 0 = answer at once
    std::optional<double> fixed_latency_ms; // every answer takes exactly this long (fan-out)
    std::uint64_t seed = 42; // seeds the fleet (unless a request sends `seed`) and random faults
    int threads = 512;       // requests served at once (each sleeping request holds one)
    std::string
        api_key; // when set, required: Authorization: Bearer (OpenAI), x-api-key (Anthropic)
};

class Server {
  public:
    // The fleet is the models of `providers` that have a sim profile (copied); a request's
    // `model` may be a model's name or its provider id. Throws orch::Error(config) for a bad
    // fault spec or when no model has a sim profile.
    Server(const config::ProvidersConfig& providers, AnswerKey answers, ServerOptions options);
    ~Server(); // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, opens the request log and serves on background threads; returns once listening.
    // Throws orch::Error(config) when the address cannot be bound or the log cannot be written.
    // A server is started at most once.
    void start();
    // start(), then on_listening(), then blocks until stop() is called from another thread.
    void run(const std::function<void()>& on_listening = {});
    // Stops serving and joins every thread. Returns promptly even while requests sleep, hang or
    // hold keep-alive connections (they are dropped without an answer). Safe to call twice.
    void stop();

    int port() const; // the bound port, once started
    // Model calls received so far (POST /v1/chat/completions and /v1/messages); the n-th call
    // is request number n for scheduled faults and `seq` in the log.
    std::uint64_t requests() const;
    std::size_t model_count() const;
    std::size_t golden_tasks() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace orch::sim
