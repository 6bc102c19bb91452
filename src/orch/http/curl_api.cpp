#include <orch/core/error.hpp>
#include <orch/http/curl_api.hpp>

#include <dlfcn.h>
#include <fmt/format.h>
#include <string>

namespace orch::http {

namespace {

constexpr const char* k_library = "libcurl.so.4";

struct Loaded {
    CurlApi api{};
    std::string error; // empty when loaded
};

template <typename Fn> bool bind(void* handle, const char* name, Fn& fn, std::string& error) {
    void* symbol = dlsym(handle, name);
    if (symbol == nullptr) {
        error = fmt::format("{} has no {} (libcurl 7.68 or later is needed)", k_library, name);
        return false;
    }
    fn = reinterpret_cast<Fn>(symbol);
    return true;
}

Loaded load() {
    Loaded out;
    void* h = dlopen(k_library, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        const char* why = dlerror();
        out.error = fmt::format("cannot load {} for HTTP providers: {} (install libcurl4)",
                                k_library, why != nullptr ? why : "unknown error");
        return out;
    }
    auto& a = out.api;
    std::string& e = out.error;
    bool ok = bind(h, "curl_global_init", a.global_init, e) && bind(h, "curl_easy_init", a.easy_init, e) &&
              bind(h, "curl_easy_setopt", a.easy_setopt, e) &&
              bind(h, "curl_easy_getinfo", a.easy_getinfo, e) &&
              bind(h, "curl_easy_cleanup", a.easy_cleanup, e) &&
              bind(h, "curl_easy_strerror", a.easy_strerror, e) &&
              bind(h, "curl_multi_init", a.multi_init, e) &&
              bind(h, "curl_multi_setopt", a.multi_setopt, e) &&
              bind(h, "curl_multi_add_handle", a.multi_add_handle, e) &&
              bind(h, "curl_multi_remove_handle", a.multi_remove_handle, e) &&
              bind(h, "curl_multi_socket_action", a.multi_socket_action, e) &&
              bind(h, "curl_multi_info_read", a.multi_info_read, e) &&
              bind(h, "curl_multi_cleanup", a.multi_cleanup, e) &&
              bind(h, "curl_slist_append", a.slist_append, e) &&
              bind(h, "curl_slist_free_all", a.slist_free_all, e);
    if (ok && a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        e = fmt::format("{}: curl_global_init failed", k_library);
    }
    return out; // the library stays loaded for the life of the process
}

} // namespace

const CurlApi& curl_api() {
    static Loaded loaded = load(); // thread-safe once
    if (!loaded.error.empty()) {
        throw Error(ErrorKind::config, loaded.error);
    }
    return loaded.api;
}

} // namespace orch::http
