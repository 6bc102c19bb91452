#pragma once
// Wall-clock stamps for records and a monotonic clock for durations.
#include <string>

namespace orch::util {

std::string now_iso8601(); // UTC, second precision: 2026-11-23T17:15:02Z
double monotonic_ms();

} // namespace orch::util
