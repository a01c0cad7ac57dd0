// Durations on the command line: "250ms", "2s", "1.5s".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace stray::cli {

// A non-negative decimal number followed by "us", "ms" or "s", at most one
// hour; nullopt for anything else, including a number without a unit.
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

}  // namespace stray::cli
