#include <algorithm>
#include <map>

#include "report/grouping.hpp"
#include "watch/samples.hpp"

namespace stray::watch {

void sort_groups(std::vector<SeriesGroup>& groups) {
  std::sort(groups.begin(), groups.end(), [](const SeriesGroup& a, const SeriesGroup& b) {
    if (a.count != b.count) return a.count > b.count;
    return a.key() < b.key();
  });
}

SeriesSample sample_from_snapshot(const Snapshot& snapshot) {
  std::map<GroupKey, std::size_t> counts;
  for (const Thread& thread : snapshot.threads) ++counts[group_key(thread)];

  SeriesSample sample;
  sample.time = snapshot.time;
  sample.threads = snapshot.threads.size();
  sample.freeze_duration = snapshot.freeze_duration;
  sample.duration = snapshot.total_duration;
  for (const auto& [key, count] : counts) {
    SeriesGroup group;
    group.start_routine = key.start_routine;
    group.top_frame = key.top_frame;
    group.thread_class = to_string(key.thread_class);
    group.count = count;
    sample.groups.push_back(std::move(group));
  }
  sort_groups(sample.groups);
  return sample;
}

}  // namespace stray::watch
