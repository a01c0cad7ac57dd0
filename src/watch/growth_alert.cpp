#include "watch/growth_alert.hpp"

#include <algorithm>

namespace stray::watch {

GrowthDetector::GrowthDetector(const AlertOptions& options) : options_(options) {
  options_.window = std::max<std::size_t>(options_.window, 2);
  options_.min_growth = std::max<std::size_t>(options_.min_growth, 1);
}

void GrowthDetector::record(History& history, std::size_t count) {
  if (!history.counts.empty() && count < history.counts.back()) history.fired = false;
  history.counts.push_back(count);
  if (history.counts.size() > options_.window) history.counts.pop_front();
}

bool GrowthDetector::kept_rising(const History& history) const {
  const auto& counts = history.counts;
  if (counts.size() < options_.window) return false;
  if (!std::is_sorted(counts.begin(), counts.end())) return false;
  return counts.back() - counts.front() >= options_.min_growth;
}

std::vector<SeriesAlert> GrowthDetector::add(const SeriesSample& sample) {
  std::set<std::string> seen;
  for (const SeriesGroup& group : sample.groups) {
    std::string key = group.key();
    auto [entry, added] = groups_.try_emplace(key);
    History& history = entry->second;
    // A new group had 0 threads in the snapshots before this one.
    if (added) history.counts.assign(std::min(samples_, options_.window - 1), 0);
    history.group = group;
    record(history, group.count);
    seen.insert(std::move(key));
  }
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (!seen.contains(it->first)) {
      record(it->second, 0);
      it->second.group.count = 0;
    }
    // A group that has been absent for a whole window has nothing to report.
    bool all_zero = std::all_of(it->second.counts.begin(), it->second.counts.end(),
                                [](std::size_t count) { return count == 0; });
    it = all_zero && it->second.counts.size() >= options_.window ? groups_.erase(it) : std::next(it);
  }

  ++samples_;
  std::vector<SeriesAlert> alerts;
  for (auto& [key, history] : groups_) {
    if (history.fired || !kept_rising(history)) continue;
    history.fired = true;
    SeriesAlert alert;
    alert.time = sample.time;
    alert.group = history.group;
    alert.from = history.counts.front();
    alert.window = history.counts.size();
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

}  // namespace stray::watch
