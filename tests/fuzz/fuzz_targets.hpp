#pragma once
// Fuzz entry points, shared by the libFuzzer binaries (scripts/fuzz) and the regression
// test that replays every saved input under tests/data/fuzz/ on each ./scripts/test.
// Each returns normally for any input: a crash, a sanitizer report or an exception other
// than orch::Error is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace orch::fuzz {

void providers_toml(const std::uint8_t* data, std::size_t size); // providers.toml + policies
void suite_and_dataset(const std::uint8_t* data, std::size_t size); // suite TOML + JSONL/CSV rows
void sse_stream(const std::uint8_t* data, std::size_t size);     // SSE framing + both stream decoders
void provider_reply(const std::uint8_t* data, std::size_t size); // OpenAI / Anthropic reply bodies, judge replies

struct Target {
    const char* name;
    void (*run)(const std::uint8_t*, std::size_t);
};
const std::vector<Target>& targets();

} // namespace orch::fuzz
