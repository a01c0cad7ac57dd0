// ISO 8601 UTC timestamps with millisecond precision, as written in reports
// and in the JSON schema: "2024-05-01T12:00:00.123Z".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace stray {

// Formats `time` rounded down to the millisecond.
std::string format_utc_ms(std::chrono::system_clock::time_point time);

// Parses exactly the form format_utc_ms writes. Returns nullopt for any
// other form, an invalid date or time, or a time that system_clock cannot
// represent.
std::optional<std::chrono::system_clock::time_point> parse_utc_ms(std::string_view text);

}  // namespace stray
