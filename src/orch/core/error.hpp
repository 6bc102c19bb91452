#pragma once
// The one exception type of orch. Its kind maps to the process exit code (SPEC §4);
// only cli::main catches it.
#include <stdexcept>
#include <string>

namespace orch {

enum class ErrorKind {
    quality_gate = 1, // quality gate failed or regression against the baseline
    config = 2,       // usage or configuration error
    provider = 3,     // provider failure after every fallback
    budget = 4,       // budget cap reached
    refused = 5,      // refused by policy
    internal = 70,    // a bug: should never happen
};

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}
    ErrorKind kind() const { return m_kind; }
    int exit_code() const { return static_cast<int>(m_kind); }

  private:
    ErrorKind m_kind;
};

} // namespace orch
