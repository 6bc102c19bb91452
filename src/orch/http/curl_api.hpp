#pragma once
// libcurl's entry points, loaded with dlopen the first time an HTTP client is made. orch links
// no libcurl: loading it (and the two dozen libraries it pulls in: TLS, Kerberos, LDAP, IDN...)
// costs several milliseconds, which commands that never go to the network (`orch route
// --explain`, `orch report`, `orch --version`) should not pay.
#include <curl/curl.h>

namespace orch::http {

struct CurlApi {
    CURLcode (*global_init)(long flags);
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL* easy, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL* easy, CURLINFO info, ...);
    void (*easy_cleanup)(CURL* easy);
    const char* (*easy_strerror)(CURLcode code);
    CURLM* (*multi_init)();
    CURLMcode (*multi_setopt)(CURLM* multi, CURLMoption option, ...);
    CURLMcode (*multi_add_handle)(CURLM* multi, CURL* easy);
    CURLMcode (*multi_remove_handle)(CURLM* multi, CURL* easy);
    CURLMcode (*multi_socket_action)(CURLM* multi, curl_socket_t socket, int events, int* running);
    CURLMsg* (*multi_info_read)(CURLM* multi, int* queued);
    CURLMcode (*multi_cleanup)(CURLM* multi);
    curl_slist* (*slist_append)(curl_slist* list, const char* text);
    void (*slist_free_all)(curl_slist* list);
};

// Loads libcurl.so.4 once (thread-safe) and runs curl_global_init; throws orch::Error(config)
// naming the library and the loader's message when it is missing or too old.
const CurlApi& curl_api();

} // namespace orch::http
