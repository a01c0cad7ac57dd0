// The verdict on each thread of a snapshot: main thread, excused by a rule
// (within its max:), present in the baseline, or an unexpected survivor.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <utility>

#include "report/grouping.hpp"
#include "stray/rules.hpp"

namespace stray {

namespace {

// What the baseline still excuses: each thread identity (tid and start
// time) once, or per group key as many threads as the baseline had.
class BaselineBudget {
 public:
  explicit BaselineBudget(const Baseline* baseline) {
    if (baseline == nullptr) return;
    by_group_ = baseline->by_group;
    for (const Thread& thread : baseline->snapshot.threads) {
      if (by_group_) {
        ++group_counts_[group_key(thread)];
      } else {
        identities_.insert({thread.tid, thread.start_time});
      }
    }
  }

  // Uses up the baseline entry that excuses `thread`; false when none is left.
  bool take(const Thread& thread) {
    if (!by_group_) return identities_.erase({thread.tid, thread.start_time}) > 0;
    auto entry = group_counts_.find(group_key(thread));
    if (entry == group_counts_.end() || entry->second == 0) return false;
    --entry->second;
    return true;
  }

 private:
  bool by_group_ = false;
  std::set<std::pair<int, std::uint64_t>> identities_;
  std::map<GroupKey, std::size_t> group_counts_;
};

std::vector<std::size_t> indices_by_tid(const Snapshot& snapshot) {
  std::vector<std::size_t> order(snapshot.threads.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t left, std::size_t right) {
    return snapshot.threads[left].tid < snapshot.threads[right].tid;
  });
  return order;
}

class Judge {
 public:
  Judge(const Snapshot& snapshot, const std::vector<Rule>& rules, const Baseline* baseline)
      : snapshot_(snapshot), rules_(rules), baseline_(baseline) {
    judgement_.verdicts.resize(snapshot.threads.size());
    judgement_.excused_by_rule.assign(rules.size(), 0);
  }

  Judgement run() {
    for (std::size_t index : indices_by_tid(snapshot_)) {
      ThreadVerdict verdict = judge_thread(snapshot_.threads[index]);
      if (verdict.kind == VerdictKind::baseline) ++judgement_.excused_by_baseline;
      if (verdict.kind == VerdictKind::survivor) ++judgement_.survivors;
      judgement_.verdicts[index] = verdict;
    }
    return std::move(judgement_);
  }

 private:
  ThreadVerdict judge_thread(const Thread& thread) {
    if (thread.tid == snapshot_.pid) return {VerdictKind::main_thread, std::nullopt};

    std::optional<std::size_t> full_rule;
    for (std::size_t r = 0; r < rules_.size(); ++r) {
      if (!rule_matches(rules_[r], thread)) continue;
      std::size_t& used = judgement_.excused_by_rule[r];
      if (!rules_[r].max || used < *rules_[r].max) {
        ++used;
        return {VerdictKind::rule, r};
      }
      if (!full_rule) full_rule = r;
    }
    if (baseline_.take(thread)) return {VerdictKind::baseline, std::nullopt};
    return {VerdictKind::survivor, full_rule};
  }

  const Snapshot& snapshot_;
  const std::vector<Rule>& rules_;
  BaselineBudget baseline_;
  Judgement judgement_;
};

}  // namespace

const char* to_string(VerdictKind kind) {
  switch (kind) {
    case VerdictKind::main_thread: return "main_thread";
    case VerdictKind::rule: return "rule";
    case VerdictKind::baseline: return "baseline";
    case VerdictKind::survivor: return "survivor";
  }
  return "unknown";
}

Judgement judge(const Snapshot& snapshot, const std::vector<Rule>& rules, const Baseline* baseline) {
  return Judge(snapshot, rules, baseline).run();
}

}  // namespace stray
