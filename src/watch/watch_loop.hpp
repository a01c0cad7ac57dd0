// The loop behind `stray watch`: a snapshot every interval, appended to the
// series, checked for growth and exported for Prometheus.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "stray/inspect.hpp"
#include "watch/growth_alert.hpp"
#include "watch/series.hpp"

namespace stray::watch {

struct WatchOptions {
  int pid = 0;
  std::chrono::microseconds interval{std::chrono::seconds(10)};
  std::optional<std::size_t> count;               // snapshots to take, failed ones included
  std::optional<std::chrono::microseconds> duration;  // stop before a snapshot due later than this
  SeriesMode mode = SeriesMode::full;
  bool alert = false;
  AlertOptions alert_options;
  bool stop_on_alert = false;  // end the watch at the first alert
  std::string series_path;
  std::string prometheus_path;  // empty: no Prometheus file
  std::size_t prometheus_groups = 20;
  InspectOptions inspect;
};

// Waits for `timeout` or until the watch must stop. Returns false when it
// must stop (Ctrl-C, SIGTERM). Called between snapshots, never during one.
using Pause = std::function<bool(std::chrono::nanoseconds timeout)>;

struct WatchResult {
  SeriesHeader header;
  SeriesEnd end;
  std::optional<SeriesSample> first;  // first successful snapshot
  std::optional<SeriesSample> last;   // last successful snapshot
  std::size_t prometheus_failures = 0;  // snapshots whose Prometheus file was not written
};

// Runs the watch until its count or duration is reached, `pause` returns
// false, the target exits, or (with stop_on_alert) an alert fires. A
// snapshot that fails is recorded with its error and the watch goes on.
// Alerts are also written to `alert_out`, one line each. Throws
// stray::Error when the process does not exist at the start, the series
// file cannot be written, or the Prometheus file cannot be written at the
// start (check_prometheus_path). A Prometheus write that fails later is
// logged and counted in the result.
WatchResult run_watch(const WatchOptions& options, const Pause& pause, std::ostream& alert_out);

// One line describing an alert, escaped for a terminal.
std::string describe_alert(const SeriesAlert& alert);

}  // namespace stray::watch
