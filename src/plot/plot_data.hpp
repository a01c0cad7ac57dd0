// The content of a growth plot, computed from a series: the total thread count
// over time and one line per group, the fastest-growing groups first.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "watch/series.hpp"

namespace stray::plot {

struct PlotLine {
  std::string label;           // raw; escaped by each writer
  std::vector<double> values;  // one per point
  long growth = 0;             // last value minus first
};

struct PlotData {
  std::string title;                 // raw
  std::vector<double> seconds;       // time of each point since the first one
  std::vector<std::string> times;    // UTC time of each point, "2024-05-01T12:00:00.123Z"
  PlotLine total;
  std::vector<PlotLine> groups;      // named groups, fastest-growing first
  bool has_other = false;            // `other` sums the groups not named
  PlotLine other;
  std::vector<double> alert_seconds; // when alerts fired, on the same axis
  std::size_t failed = 0;            // snapshots left out because they failed
};

// Default number of groups drawn and named in the legend.
inline constexpr std::size_t kDefaultNamedGroups = 8;

// One point per successful snapshot. Groups are ranked by growth (last
// count minus first), then by their largest count, then by label; the
// first `named_groups` get their own line and the rest are summed into
// `other`. A group missing from a snapshot counts 0 there.
PlotData make_plot_data(const watch::Series& series, std::size_t named_groups = kDefaultNamedGroups);

}  // namespace stray::plot
