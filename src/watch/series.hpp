// The time series that `stray watch` writes: one JSON line per record, in
// the versioned format documented in docs/series.md. `stray plot` and the
// Prometheus writer read only these values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stray::watch {

// Version of the series format. Raise it when a field changes meaning or
// disappears; adding a field or a record type keeps it, and readers skip
// record types they do not know.
inline constexpr int kSeriesVersion = 1;
// Value of the header's "schema" field, which identifies a stray series.
inline constexpr const char* kSeriesSchemaName = "stray.series";

// The method that counted the threads.
enum class SeriesMode {
  full,   // freeze, unwind and symbolize: groups by start routine, top frame and class
  light,  // /proc only, the target keeps running: groups by thread name and class
};

// Threads that share one identity within a snapshot. In full mode the
// identity is (start_routine, top_frame, thread_class); in light mode it is
// (thread_name, thread_class). Strings are raw bytes from the target.
struct SeriesGroup {
  std::string start_routine;
  std::string top_frame;
  std::string thread_name;
  std::string thread_class;  // a to_string(ThreadClass) name
  std::size_t count = 0;

  // The identity without the count, for matching a group across snapshots.
  std::string key() const;
  // A short human label: "start > top [class]" or "name [class]". Raw.
  std::string label() const;
};

// First line of a series.
struct SeriesHeader {
  int version = kSeriesVersion;
  int pid = 0;
  std::string comm;
  std::string exe;
  SeriesMode mode = SeriesMode::full;
  std::chrono::milliseconds interval{0};
  std::chrono::system_clock::time_point started;
};

// One snapshot. A failed snapshot carries `error` and no groups.
struct SeriesSample {
  std::chrono::system_clock::time_point time;
  std::size_t threads = 0;
  std::vector<SeriesGroup> groups;  // largest first
  std::chrono::nanoseconds freeze_duration{0};  // 0 in light mode
  std::chrono::nanoseconds duration{0};         // the whole snapshot, as stray measured it
  std::string error;

  bool failed() const { return !error.empty(); }
};

// A group whose count kept rising across a window of snapshots.
struct SeriesAlert {
  std::chrono::system_clock::time_point time;
  SeriesGroup group;      // count is the latest count
  std::size_t from = 0;   // count at the start of the window
  std::size_t window = 0; // snapshots in the window
};

// The reason the watch ended.
enum class EndReason { count, duration, signal, target_exited, alert };

// Last line of a series, written however the watch ends (except when stray
// itself is killed).
struct SeriesEnd {
  std::chrono::system_clock::time_point time;
  EndReason reason = EndReason::count;
  std::size_t snapshots = 0;  // attempted, failed ones included
  std::size_t failed = 0;
  std::size_t alerts = 0;
  // Cost of the first successful snapshot and the median of the later ones,
  // which find unwind and symbol data cached.
  std::optional<std::chrono::nanoseconds> first_duration;
  std::optional<std::chrono::nanoseconds> later_median_duration;
};

// A whole series as read back from a file.
struct Series {
  SeriesHeader header;
  std::vector<SeriesSample> samples;
  std::vector<SeriesAlert> alerts;
  std::optional<SeriesEnd> end;
  // Problems the reader tolerated, such as an incomplete last line.
  std::vector<std::string> warnings;
};

const char* to_string(SeriesMode mode);
const char* to_string(EndReason reason);
std::optional<SeriesMode> series_mode_from_string(const std::string& text);
std::optional<EndReason> end_reason_from_string(const std::string& text);

}  // namespace stray::watch
