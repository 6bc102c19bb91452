#pragma once
// Delimited blocks for untrusted text inside a prompt. The marker carries an id derived
// from the text itself, so the text cannot contain its own closing marker.
//   <<<CANDIDATE id=3f2a9c0b1d2e>>>
//   …text…
//   <<<END CANDIDATE id=3f2a9c0b1d2e>>>
#include <optional>
#include <string>
#include <string_view>

namespace orch::util {

std::string fence(std::string_view label, std::string_view text);
// The text of the first block with this label, if there is one.
std::optional<std::string> unfence(std::string_view prompt, std::string_view label);

} // namespace orch::util
