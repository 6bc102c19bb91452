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

std::int64_t estimate_tokens(const std::string& text) {
    return static_cast<std::int64_t>((text.size() + 3) / 4);
}

std::int64_t estimate_tokens(const std::vector<Message>& messages) {
    std::int64_t n = 0;
    for (const auto& m : messages) {
        n += estimate_tokens(m.content) + 4; // role and framing overhead per message
        for (const auto& c : m.tool_calls) {
            n += estimate_tokens(c.name) + estimate_tokens(c.arguments) + 4;
        }
    }
    return n;
}

} // namespace orch
