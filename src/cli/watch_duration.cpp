#include "cli/watch_duration.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace stray::cli {

namespace {

std::optional<double> unit_in_microseconds(std::string_view unit) {
  if (unit == "ms") return 1e3;
  if (unit == "s") return 1e6;
  if (unit == "m") return 60e6;
  if (unit == "h") return 3600e6;
  if (unit == "d") return 86400e6;
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::microseconds> parse_watch_duration(std::string_view text) {
  std::size_t unit_start = text.find_first_not_of("0123456789.");
  if (unit_start == 0 || unit_start == std::string_view::npos) return std::nullopt;
  auto unit = unit_in_microseconds(text.substr(unit_start));
  if (!unit) return std::nullopt;
  double number = 0;
  std::string_view digits = text.substr(0, unit_start);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  double microseconds = number * *unit;
  if (!std::isfinite(microseconds) || microseconds < 1e3 || microseconds > 365 * 86400e6) {
    return std::nullopt;
  }
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(microseconds)));
}

}  // namespace stray::cli
