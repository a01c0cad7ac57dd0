#include "report/time_format.hpp"

#include <cstdio>
#include <cstdint>

namespace stray {

namespace chrono = std::chrono;

namespace {

// Reads `count` decimal digits at text[position], or returns -1 when one is
// not a digit.
int read_digits(std::string_view text, std::size_t position, std::size_t count) {
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char digit = text[position + i];
    if (digit < '0' || digit > '9') return -1;
    value = value * 10 + (digit - '0');
  }
  return value;
}

bool has_separators(std::string_view text) {
  return text.size() == 24 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
         text[13] == ':' && text[16] == ':' && text[19] == '.' && text[23] == 'Z';
}

}  // namespace

std::string format_utc_ms(chrono::system_clock::time_point time) {
  const auto milliseconds = chrono::floor<chrono::milliseconds>(time);
  const auto days = chrono::floor<chrono::days>(milliseconds);
  const chrono::year_month_day date{days};
  const chrono::hh_mm_ss clock{milliseconds - days};

  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                static_cast<int>(clock.minutes().count()), static_cast<int>(clock.seconds().count()),
                static_cast<int>(clock.subseconds().count()));
  return buffer;
}

std::optional<chrono::system_clock::time_point> parse_utc_ms(std::string_view text) {
  if (!has_separators(text)) return std::nullopt;
  const int year = read_digits(text, 0, 4);
  const int month = read_digits(text, 5, 2);
  const int day = read_digits(text, 8, 2);
  const int hours = read_digits(text, 11, 2);
  const int minutes = read_digits(text, 14, 2);
  const int seconds = read_digits(text, 17, 2);
  const int milliseconds = read_digits(text, 20, 3);
  if (year < 0 || month < 0 || day < 0 || milliseconds < 0) return std::nullopt;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) {
    return std::nullopt;
  }

  const chrono::year_month_day date{chrono::year{year}, chrono::month{static_cast<unsigned>(month)},
                                    chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;

  // Years 0000-9999 fit in int64 milliseconds. But system_clock counts
  // int64 nanoseconds in libstdc++ (GCC 12), which covers only 1677-2262.
  const chrono::milliseconds since_epoch =
      chrono::sys_days{date}.time_since_epoch() + chrono::hours{hours} +
      chrono::minutes{minutes} + chrono::seconds{seconds} + chrono::milliseconds{milliseconds};
  using Duration = chrono::system_clock::duration;
  const auto max_ms = chrono::floor<chrono::milliseconds>(Duration::max());
  const auto min_ms = chrono::ceil<chrono::milliseconds>(Duration::min());
  if (since_epoch > max_ms || since_epoch < min_ms) return std::nullopt;
  return chrono::system_clock::time_point{chrono::duration_cast<Duration>(since_epoch)};
}

}  // namespace stray
