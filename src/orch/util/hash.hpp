#pragma once
// Hashes: SHA-256 for content lineage, a fast 64-bit mix for deterministic seeding.
#include <cstdint>
#include <string>
#include <string_view>

namespace orch::util {

std::string sha256_hex(std::string_view data);
// FNV-1a over the bytes, then a SplitMix64 finaliser: stable across platforms and runs.
std::uint64_t hash64(std::string_view data, std::uint64_t seed = 0);
std::uint64_t mix64(std::uint64_t x);
// A hash's top 53 bits as a uniform draw in [0, 1).
inline double unit_interval(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

} // namespace orch::util
