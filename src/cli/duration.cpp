#include "cli/duration.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace stray::cli {

namespace {

constexpr std::int64_t kMaxMicroseconds = std::int64_t{3600} * 1'000'000;

// Longest suffix first, so "ms" is not read as "s".
constexpr std::array<std::pair<std::string_view, std::int64_t>, 3> kUnits = {{
    {"us", 1}, {"ms", 1000}, {"s", 1'000'000}}};

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

std::string validate_duration(const std::string& text) {
  if (parse_duration(text)) return {};
  return "invalid duration '" + text + "': expected a number with a unit (us, ms or s), such as "
         "250ms or 2s, at most 1 hour";
}

std::string validate_error_exitcode(const std::string& text, int highest,
                                    const std::string& reserved) {
  int code = 0;
  try {
    code = std::stoi(text);
  } catch (const std::exception&) {
    code = -1;
  }
  if (code == 1 || (code >= 7 && code <= highest)) return {};
  return "invalid exit code '" + text + "': expected 1 or 7 to " + std::to_string(highest) +
         ", so that it differs from success (0) and stray's error codes (2 to 6)" + reserved;
}

}  // namespace stray::cli
