#include <map>
#include <utility>

#include "classify/proc_class.hpp"
#include "proc/proc.hpp"
#include "proc/task_syscall.hpp"
#include "watch/samples.hpp"

namespace stray::watch {

namespace {

// The class of one thread, or nullopt when it exited while being read.
std::optional<ThreadClass> read_thread_class(int pid, int tid) {
  auto stat = proc::try_read_task_stat(pid, tid);
  if (!stat) return std::nullopt;
  auto syscall = proc::try_read_task_syscall(pid, tid);
  std::optional<long> number;
  if (syscall && !syscall->running) number = syscall->number;
  return classify_from_proc(stat->state, number);
}

}  // namespace

SeriesSample take_light_sample(int pid) {
  auto started = std::chrono::steady_clock::now();
  SeriesSample sample;
  sample.time = std::chrono::system_clock::now();

  std::map<std::pair<std::string, ThreadClass>, std::size_t> counts;
  for (int tid : proc::read_tids(pid)) {
    auto thread_class = read_thread_class(pid, tid);
    auto name = proc::try_read_task_comm(pid, tid);
    if (!thread_class || !name) continue;
    ++counts[{*name, *thread_class}];
    ++sample.threads;
  }
  for (const auto& [identity, count] : counts) {
    SeriesGroup group;
    group.thread_name = identity.first;
    group.thread_class = to_string(identity.second);
    group.count = count;
    sample.groups.push_back(std::move(group));
  }
  sort_groups(sample.groups);
  sample.duration = std::chrono::steady_clock::now() - started;
  return sample;
}

}  // namespace stray::watch
