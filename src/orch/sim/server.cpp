#include <orch/core/error.hpp>
#include <orch/sim/server.hpp>
#include <orch/sim/server_module.hpp>

#include <dlfcn.h>
#include <filesystem>
#include <fmt/format.h>

namespace orch::sim {

namespace {

// Loads the module beside the running executable once; the factory, or an error to throw.
struct Module {
    MakeServerBackend make = nullptr;
    std::string error;
};

Module load_module() {
    Module m;
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    auto path = (ec ? std::filesystem::path(".") : exe.parent_path()) / k_server_module;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        m.error = fmt::format("cannot load the simulated server module {}: {} (it is built beside "
                              "the orch binary; rebuild with scripts/build)",
                              path.string(), why != nullptr ? why : "unknown error");
        return m;
    }
    void* symbol = dlsym(handle, k_server_factory);
    if (symbol == nullptr) {
        m.error = fmt::format("{} has no {}: a stale build?", path.string(), k_server_factory);
        return m;
    }
    m.make = reinterpret_cast<MakeServerBackend>(symbol);
    return m; // stays loaded for the life of the process
}

} // namespace

struct Server::Impl {
    std::unique_ptr<ServerBackend> backend;
};

Server::Server(const config::ProvidersConfig& providers, AnswerKey answers, ServerOptions options)
    : m_impl(std::make_unique<Impl>()) {
    static const Module module = load_module(); // thread-safe once
    if (module.make == nullptr) {
        throw Error(ErrorKind::config, module.error);
    }
    m_impl->backend.reset(module.make(providers, std::move(answers), std::move(options)));
}

Server::~Server() {
    stop();
}

void Server::start() {
    m_impl->backend->start();
}
void Server::run(const std::function<void()>& on_listening) {
    m_impl->backend->run(on_listening);
}
void Server::stop() {
    m_impl->backend->stop();
}
int Server::port() const {
    return m_impl->backend->port();
}
std::uint64_t Server::requests() const {
    return m_impl->backend->requests();
}
std::size_t Server::model_count() const {
    return m_impl->backend->model_count();
}
std::size_t Server::golden_tasks() const {
    return m_impl->backend->golden_tasks();
}

} // namespace orch::sim
