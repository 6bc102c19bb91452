#pragma once
// An incremental Server-Sent Events parser: feed it bytes as they arrive, in any split.
#include <string>
#include <string_view>
#include <vector>

namespace orch::provider {

struct SseEvent {
    std::string event; // "" when the stream names none ("message")
    std::string data;  // data lines joined by '\n'
};

class SseParser {
  public:
    // Returns the events completed by this chunk (a blank line ends an event).
    std::vector<SseEvent> feed(std::string_view chunk);
    // True when bytes of an unfinished event are pending.
    bool has_partial() const { return !m_line.empty() || m_has_fields; }

  private:
    void take_line(std::vector<SseEvent>& out);
    std::string m_line;
    SseEvent m_current;
    bool m_has_fields = false;
    bool m_last_was_cr = false;
};

} // namespace orch::provider
