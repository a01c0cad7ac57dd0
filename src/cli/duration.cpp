#include "cli/duration.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace stray::cli {

namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kDay = 86400 * kSecond;
constexpr std::int64_t kMaxMicroseconds = 365 * kDay;

// Longest suffix first, so that "ms" is not read as "s" and "us" not as "s".
constexpr std::array<std::pair<std::string_view, std::int64_t>, 6> kUnits = {{
    {"us", 1}, {"ms", 1000}, {"s", kSecond}, {"m", 60 * kSecond}, {"h", 3600 * kSecond}, {"d", kDay}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Scales "12.345" by `unit` microseconds without floating point, so that
// "0.1s" is exactly 100000 us. Digits beyond microsecond precision are cut.
std::optional<std::int64_t> scale(std::string_view number, std::int64_t unit) {
  std::int64_t whole = 0;
  std::size_t i = 0;
  for (; i < number.size() && is_digit(number[i]); ++i) {
    whole = whole * 10 + (number[i] - '0');
    if (whole * unit > kMaxMicroseconds) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  std::int64_t micros = whole * unit;
  if (i == number.size()) return micros;
  if (number[i] != '.' || i + 1 == number.size()) return std::nullopt;
  std::int64_t place = unit;
  for (++i; i < number.size(); ++i) {
    if (!is_digit(number[i])) return std::nullopt;
    place /= 10;
    micros += (number[i] - '0') * place;
  }
  return micros;
}

}  // namespace

std::optional<std::chrono::microseconds> parse_duration(std::string_view text) {
  for (const auto& [suffix, unit] : kUnits) {
    if (text.size() <= suffix.size() || text.substr(text.size() - suffix.size()) != suffix) continue;
    std::optional<std::int64_t> micros = scale(text.substr(0, text.size() - suffix.size()), unit);
    if (!micros || *micros > kMaxMicroseconds) return std::nullopt;
    return std::chrono::microseconds(*micros);
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::microseconds duration) {
  const std::int64_t micros = duration.count();
  if (micros == 0) return "0s";
  for (auto unit = kUnits.rbegin(); unit != kUnits.rend(); ++unit) {
    if (micros % unit->second == 0) return std::to_string(micros / unit->second) + std::string(unit->first);
  }
  return std::to_string(micros) + "us";
}

std::string validate_duration(std::string_view text, std::chrono::microseconds min,
                              std::chrono::microseconds max) {
  std::optional<std::chrono::microseconds> duration = parse_duration(text);
  if (duration && *duration >= min && *duration <= max) return {};
  return "invalid duration '" + std::string(text) + "': expected a number with a unit (" +
         kDurationUnits + "), from " + format_duration(min) + " to " + format_duration(max) +
         ", such as 250ms or 1.5s";
}

std::string validate_error_exitcode(const std::string& text, int highest,
                                    const std::string& reserved) {
  // Plain decimal only: CLI11 converts the value as C's strtoll with base
  // 0 does, so "010" would become 8 after this check had read 10.
  int code = -1;
  const bool decimal = !text.empty() && text.size() <= 3 && text[0] != '0' &&
                       text.find_first_not_of("0123456789") == std::string::npos;
  if (decimal) code = std::stoi(text);
  if (code == 1 || (code >= 7 && code <= highest)) return {};
  return "invalid exit code '" + text + "': expected 1 or 7 to " + std::to_string(highest) +
         ", so that it differs from success (0) and stray's error codes (2 to 6)" + reserved;
}

}  // namespace stray::cli
