// Growth alerts: a group whose thread count kept rising across a window of
// snapshots, the shape of a thread leak.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "watch/series.hpp"

namespace stray::watch {

struct AlertOptions {
  // Successful snapshots in the window, the newest included; at least 2.
  std::size_t window = 10;
  // Threads the group must have gained from the first to the last snapshot
  // of the window; at least 1.
  std::size_t min_growth = 5;
};

// Watches the count of every group across snapshots. A group fires when,
// over the last `window` snapshots, its count never fell from one snapshot
// to the next and rose by at least `min_growth` in all. It fires once, and
// again only after its count has fallen at least once. A group missing
// from a snapshot counts 0 there.
class GrowthDetector {
 public:
  explicit GrowthDetector(const AlertOptions& options);

  // Feeds one successful snapshot and returns the alerts it raises.
  std::vector<SeriesAlert> add(const SeriesSample& sample);

 private:
  struct History {
    SeriesGroup group;              // the latest sighting
    std::deque<std::size_t> counts; // oldest first, at most `window`
    bool fired = false;
  };

  void record(History& history, std::size_t count);
  bool kept_rising(const History& history) const;

  AlertOptions options_;
  std::map<std::string, History> groups_;  // by SeriesGroup::key()
  std::size_t samples_ = 0;                // snapshots fed so far
};

}  // namespace stray::watch
