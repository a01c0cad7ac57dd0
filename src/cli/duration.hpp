// Durations on the command line and in STRAY_GTEST_GRACE: "500us", "250ms",
// "2s", "1.5m", "6h", "3d". Every option uses this one parser, so all take
// the same units. Each option checks its own range.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace stray::cli {

// The units of parse_duration, for help texts.
inline constexpr const char* kDurationUnits = "us, ms, s, m, h or d";

// Maximum grace period of stray check, stray run and STRAY_GTEST_GRACE.
inline constexpr std::chrono::microseconds kMaxGrace = std::chrono::hours(1);

// Parses a non-negative decimal number followed by "us", "ms", "s", "m",
// "h" or "d", exact to the microsecond (digits beyond are cut). Returns
// nullopt for anything else, a number without a unit included, and for
// more than 365 days.
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

// Formats `duration` with the largest unit that gives a whole number:
// "1h", "365d", "1500ms", "0s".
std::string format_duration(std::chrono::microseconds duration);

// Checks that `text` is a duration from `min` to `max`. Returns "" when it
// is, else the error message, worded the same for every option.
std::string validate_duration(std::string_view text, std::chrono::microseconds min,
                              std::chrono::microseconds max);

// CLI11 validator of --error-exitcode: 1, or 7 to `highest`, so the code
// differs from success and from stray's error codes (2 to 6). `reserved`
// names what lies above `highest`, for the error message.
std::string validate_error_exitcode(const std::string& text, int highest,
                                    const std::string& reserved);

}  // namespace stray::cli
