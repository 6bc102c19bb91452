#include <cmath>
#include <orch/core/types.hpp>

namespace orch {

std::string to_string(ProviderErrorKind kind) {
    switch (kind) {
    case ProviderErrorKind::rate_limited:
        return "rate_limited";
    case ProviderErrorKind::server:
        return "server";
    case ProviderErrorKind::timeout:
        return "timeout";
    case ProviderErrorKind::transport:
        return "transport";
    case ProviderErrorKind::context_length:
        return "context_length";
    case ProviderErrorKind::auth:
        return "auth";
    case ProviderErrorKind::bad_response:
        return "bad_response";
    case ProviderErrorKind::refused:
        return "refused";
    }
    return "unknown";
}

bool is_retryable(ProviderErrorKind kind) {
    return kind == ProviderErrorKind::rate_limited || kind == ProviderErrorKind::server ||
           kind == ProviderErrorKind::timeout || kind == ProviderErrorKind::transport;
}

std::int64_t estimate_tokens(const std::string& text, double chars_per_token) {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(text.size()) / chars_per_token));
}

std::int64_t estimate_tokens(const std::vector<Message>& messages, double chars_per_token) {
    std::int64_t n = 0;
    for (const auto& m : messages) {
        n += estimate_tokens(m.content, chars_per_token) + k_framing_tokens;
        for (const auto& c : m.tool_calls) {
            n += estimate_tokens(c.name, chars_per_token) + estimate_tokens(c.arguments, chars_per_token) +
                 k_framing_tokens;
        }
    }
    return n;
}

} // namespace orch
