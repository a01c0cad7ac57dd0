// Durations on the command line: "250ms", "2s", "1.5s".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace stray::cli {

// A non-negative decimal number followed by "us", "ms" or "s", at most one
// hour; nullopt for anything else, including a number without a unit.
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

// CLI11 validator of parse_duration: "" when `text` is valid, else the error.
std::string validate_duration(const std::string& text);

// CLI11 validator of --error-exitcode: 1, or 7 to `highest`, so the code
// differs from success and from stray's error codes (2 to 6). `reserved`
// names what lies above `highest`, for the error message.
std::string validate_error_exitcode(const std::string& text, int highest,
                                    const std::string& reserved);

}  // namespace stray::cli
