// Durations for `stray watch`: "100ms", "10s", "1.5m", "6h", "3d".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace stray::cli {

// A positive decimal number followed by "ms", "s", "m", "h" or "d", at
// most 365 days. nullopt for anything else, a number without a unit or a
// result under one millisecond included.
std::optional<std::chrono::microseconds> parse_watch_duration(std::string_view text);

}  // namespace stray::cli
