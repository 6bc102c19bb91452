#pragma once
// Injectable faults for `orch sim serve --faults SPEC`: which request gets which failure.
//
// A spec is comma-separated items, each one of
//   KIND[=ARG]:RATE     at random, with probability RATE per request (deterministic given the
//                       server seed and the request's sequence number)
//   KIND[=ARG]@N        exactly request N (1-based, counted across the server)
//   KIND[=ARG]@N-M      exactly requests N to M
// KIND is 429 (ARG: Retry-After seconds, default 1), 500, 502, 503, hang (ARG: seconds before
// answering at all, default 30), reset, truncate, malformed, context, slow (ARG: milliseconds
// of extra delay before the first byte, default 2000) or auth; and for a request that offers
// tools: tool-args (a call whose arguments are not JSON), tool-unknown (a call to a tool that
// was not offered) or tool-loop (the conversation's last call again, as a model stuck in a loop).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orch::sim {

enum class FaultKind {
    rate_limited,   // 429 with Retry-After and retry-after-ms
    internal_error, // 500
    bad_gateway,    // 502
    unavailable,    // 503
    hang,           // waits ARG seconds, then answers normally
    reset,          // closes the connection without a response
    truncate,       // a stream without its terminator, or half a body under a longer Content-Length
    malformed,      // 200 whose body (or one stream event) is invalid JSON
    context_length, // 400 context-length error in the protocol's own shape
    slow,           // ARG ms of extra delay before the first byte, then a normal answer
    unauthorized,   // 401
    tool_args,      // a tool call whose arguments are not JSON
    tool_unknown,   // a tool call naming a tool the request did not offer
    tool_loop,      // repeats the conversation's last tool call
};

// The kind as written in a spec: "429", "hang", "context", …
std::string to_string(FaultKind kind);

struct Fault {
    FaultKind kind = FaultKind::unavailable;
    // 429: Retry-After seconds; hang: seconds; slow: milliseconds; 0 for the other kinds.
    double arg = 0;
};

struct FaultItem {
    Fault fault;
    std::string text; // the item as written
    bool scheduled = false;
    double rate = 0;         // random items
    std::uint64_t first = 0; // scheduled items: requests first..last, 1-based
    std::uint64_t last = 0;
};

class FaultPlan {
  public:
    FaultPlan() = default;
    // Parses a spec ("" is no faults). Throws orch::Error(config) listing every bad item, one
    // a line: `--faults: item 2 "42x:0.1": unknown fault kind "42x"; expected one of …`.
    static FaultPlan parse(const std::string& spec);

    // The fault for request number `seq` (1-based), or none. At most one: scheduled items
    // first, then random items in the order written, each with its own draw from
    // (seed, seq, item), so the same seed and sequence give the same faults on every run.
    std::optional<Fault> pick(std::uint64_t seq, std::uint64_t seed) const;

    bool empty() const { return m_items.empty(); }
    const std::vector<FaultItem>& items() const { return m_items; }

  private:
    std::vector<FaultItem> m_items;
};

} // namespace orch::sim
