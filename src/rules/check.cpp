// The grace loop of a leak check: judge a snapshot, then re-inspect only
// the suspect threads with growing delays until none is left or the grace
// period is over.
#include "stray/check.hpp"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "proc/proc.hpp"

namespace stray {

namespace {

using Clock = std::chrono::steady_clock;

// The first re-check comes soon, because a thread asked to stop usually
// exits within milliseconds; later ones back off so that a slow shutdown
// does not cost a snapshot every few milliseconds.
constexpr std::chrono::milliseconds kFirstRecheckDelay{10};
constexpr std::chrono::milliseconds kMaxRecheckDelay{160};

void warn_if_other_process(const Snapshot& snapshot, const std::optional<Baseline>& baseline) {
  if (!baseline || baseline->by_group || baseline->snapshot.pid == snapshot.pid) return;
  spdlog::warn("pid {}: the baseline is a snapshot of pid {}, so no thread matches it by tid and "
               "start time; use --baseline-groups to compare thread counts per group instead",
               snapshot.pid, baseline->snapshot.pid);
}

// A thread is still alive when its tid is listed and has the same start
// time; a different start time means the tid was reused by a new thread.
bool still_alive(int pid, const Thread& thread, const std::vector<int>& tids) {
  if (!std::binary_search(tids.begin(), tids.end(), thread.tid)) return false;
  std::optional<proc::TaskStat> stat = proc::try_read_task_stat(pid, thread.tid);
  return stat && stat->start_time == thread.start_time;
}

bool is_process_gone(const Error& error) {
  return error.kind() == ErrorKind::no_such_process || error.kind() == ErrorKind::target_exited;
}

// Removes the records of threads that exited since they were taken.
// Returns false, and removes nothing, when the whole process has ended:
// then every thread looks exited, but none of them left on its own.
bool drop_exited_threads(int pid, Snapshot& snapshot) {
  std::vector<int> tids;
  try {
    tids = proc::read_tids(pid);
  } catch (const Error& error) {
    if (is_process_gone(error)) return false;
    throw;
  }
  std::vector<bool> exited;
  exited.reserve(snapshot.threads.size());
  for (const Thread& thread : snapshot.threads) exited.push_back(!still_alive(pid, thread, tids));
  // Checked after the reads above, so a thread that looked exited because
  // the process was being torn down is not taken for one that left alone.
  if (proc::is_ending(pid)) return false;

  std::size_t index = 0;
  std::erase_if(snapshot.threads, [&](const Thread& thread) {
    bool thread_exited = exited[index++];
    if (thread_exited) spdlog::debug("pid {}: tid {} exited during the grace period", pid, thread.tid);
    return thread_exited;
  });
  return true;
}

std::vector<int> survivor_tids(const Snapshot& snapshot, const Judgement& judgement) {
  std::vector<int> tids;
  for (std::size_t i = 0; i < snapshot.threads.size(); ++i) {
    if (judgement.verdicts[i].kind == VerdictKind::survivor) tids.push_back(snapshot.threads[i].tid);
  }
  return tids;
}

// Puts each re-inspected thread in place of its earlier record. A record
// whose tid now belongs to a thread with another start time is dropped:
// the suspect is gone and the new thread was never a suspect.
void replace_records(Snapshot& snapshot, std::vector<Thread>&& fresh_threads) {
  for (Thread& fresh : fresh_threads) {
    auto old = std::find_if(snapshot.threads.begin(), snapshot.threads.end(),
                            [&](const Thread& thread) { return thread.tid == fresh.tid; });
    if (old == snapshot.threads.end()) continue;
    if (old->start_time == fresh.start_time) {
      *old = std::move(fresh);
    } else {
      snapshot.threads.erase(old);
    }
  }
}

// Removes the survivors that CheckOptions::is_leaving names, with their
// verdicts.
void drop_leaving_survivors(CheckResult& result, const CheckOptions& options) {
  if (!options.is_leaving) return;
  auto& threads = result.snapshot.threads;
  auto& verdicts = result.judgement.verdicts;
  for (std::size_t i = threads.size(); i-- > 0;) {
    if (i >= verdicts.size() || verdicts[i].kind != VerdictKind::survivor) continue;
    if (!options.is_leaving(threads[i])) continue;
    threads.erase(threads.begin() + static_cast<std::ptrdiff_t>(i));
    verdicts.erase(verdicts.begin() + static_cast<std::ptrdiff_t>(i));
    if (result.judgement.survivors > 0) --result.judgement.survivors;
  }
}

// Re-inspects the suspects. Returns false when the grace period must end
// early because a re-check failed for a reason other than an exited thread.
bool recheck(Inspector& inspector, int pid, InspectOptions options, const std::vector<int>& suspects,
             Snapshot& snapshot) {
  options.tids = suspects;
  try {
    replace_records(snapshot, std::move(inspector.inspect(pid, options).threads));
    return true;
  } catch (const Error& error) {
    if (is_process_gone(error)) throw;
    if (error.kind() == ErrorKind::invalid_input) {
      // A suspect exited between the task listing and the freeze, so the
      // Inspector no longer finds its tid; the next round drops it.
      spdlog::debug("pid {}: a suspect thread exited before its re-check: {}", pid, error.what());
      return true;
    }
    spdlog::warn("pid {}: re-check failed, judging the latest snapshot: {}", pid, error.what());
    return false;
  }
}

}  // namespace

CheckResult check_process(Inspector& inspector, int pid, const CheckOptions& options) {
  const Clock::time_point started = Clock::now();
  const Baseline* baseline = options.baseline ? &*options.baseline : nullptr;
  InspectOptions inspect = options.inspect;
  inspect.tids.clear();

  CheckResult result;
  result.snapshot = inspector.inspect(pid, inspect);
  warn_if_other_process(result.snapshot, options.baseline);
  result.judgement = judge(result.snapshot, options.rules, baseline);
  drop_leaving_survivors(result, options);

  // The grace period starts when the survivors are first seen, so a slow
  // first snapshot does not use it up.
  const Clock::time_point deadline = Clock::now() + options.grace;
  std::chrono::milliseconds delay = kFirstRecheckDelay;
  while (result.judgement.survivors > 0 && Clock::now() < deadline) {
    auto pause = std::chrono::ceil<std::chrono::milliseconds>(
        std::min<Clock::duration>(delay, deadline - Clock::now()));
    bool keep_waiting = true;
    if (options.wait_between_rechecks) {
      keep_waiting = options.wait_between_rechecks(pause);
    } else {
      std::this_thread::sleep_for(pause);
    }
    delay = std::min(delay * 2, kMaxRecheckDelay);

    if (!drop_exited_threads(pid, result.snapshot)) {
      if (!options.verdict_if_ended) {
        throw Error(ErrorKind::target_exited, "pid " + std::to_string(pid) + " ended during the grace period");
      }
      spdlog::debug("pid {}: ended during the grace period; judging the latest records", pid);
      result.ended_during_grace = true;
      break;
    }
    result.judgement = judge(result.snapshot, options.rules, baseline);
    drop_leaving_survivors(result, options);
    if (!keep_waiting) break;
    const std::vector<int> suspects = survivor_tids(result.snapshot, result.judgement);
    if (suspects.empty()) break;
    try {
      if (!recheck(inspector, pid, inspect, suspects, result.snapshot)) break;
    } catch (const Error& error) {
      if (!options.verdict_if_ended || !is_process_gone(error)) throw;
      spdlog::debug("pid {}: ended during a re-check; judging the latest records", pid);
      result.ended_during_grace = true;
      break;
    }
    ++result.rechecks;
    result.judgement = judge(result.snapshot, options.rules, baseline);
    drop_leaving_survivors(result, options);
  }
  result.duration = Clock::now() - started;
  spdlog::debug("pid {}: {} survivors after {} re-checks in {} ms", pid, result.judgement.survivors,
                result.rechecks,
                std::chrono::duration_cast<std::chrono::milliseconds>(result.duration).count());
  return result;
}

}  // namespace stray
