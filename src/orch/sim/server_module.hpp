#pragma once
// The boundary between orch and its simulated-server module. The HTTP server (cpp-httplib,
// which brings TLS and compression libraries with it) is built as orch-sim-server.so beside the
// orch binary and loaded by sim::Server only when a server is made: every other command starts
// without loading it. Both sides are built together from this tree; this is not a stable ABI.
#include <orch/config/providers.hpp>
#include <orch/sim/answer_key.hpp>
#include <orch/sim/server.hpp>

#include <cstdint>
#include <functional>

namespace orch::sim {

// What sim::Server forwards to; see sim::Server for what each call does.
class ServerBackend {
  public:
    virtual ~ServerBackend() = default;
    virtual void start() = 0;
    virtual void run(const std::function<void()>& on_listening) = 0;
    virtual void stop() = 0;
    virtual int port() const = 0;
    virtual std::uint64_t requests() const = 0;
    virtual std::size_t model_count() const = 0;
    virtual std::size_t golden_tasks() const = 0;
};

inline constexpr const char* k_server_module = "orch-sim-server.so";
inline constexpr const char* k_server_factory = "orch_sim_make_server";
// The module's one entry point (extern "C", named k_server_factory); throws orch::Error as
// sim::Server's constructor does.
using MakeServerBackend = ServerBackend* (*)(const config::ProvidersConfig& providers, AnswerKey answers,
                                            ServerOptions options);

} // namespace orch::sim
