// The Prometheus text exposition format, written as a file for
// node_exporter's textfile collector (docs/prometheus.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "watch/series.hpp"

namespace stray::watch {

// Number of groups written by default; the rest are summed into one
// series with class="other", so the number of series stays bounded however
// many kinds of thread the target has.
inline constexpr std::size_t kDefaultPrometheusGroups = 20;

// A label value as the exposition format requires: valid UTF-8 (each
// invalid byte becomes U+FFFD), at most 256 bytes before escaping, with
// backslash, double quote and newline escaped as \\, \" and \n.
std::string escape_label_value(std::string_view raw);

// The exposition text for one snapshot of the series: total threads,
// threads per group (the `top_groups` largest, then "other") and per
// class, snapshot and freeze duration, success and time. A failed snapshot
// gives only the success, time and duration metrics.
std::string format_prometheus(const SeriesHeader& header, const SeriesSample& sample,
                              std::size_t top_groups = kDefaultPrometheusGroups);

// Checks, before a watch starts, that write_file_atomically can write
// `path`: it is absent or a regular file, and a file can be created in its
// directory. Throws stray::Error(invalid_input) naming the path and the
// problem.
void check_prometheus_path(const std::string& path);

// Writes `text` to `path` atomically: to PATH.PID.tmp in the same
// directory, flushed to disk, then renamed over `path`, so a collector
// never reads half a file. The temporary name does not end in ".prom",
// which the textfile collector ignores. Only a regular file at `path` is
// replaced: a symbolic link, FIFO, device or other non-regular file throws
// stray::Error(invalid_input), and a failed call throws
// stray::Error(system). Both name the path.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace stray::watch
