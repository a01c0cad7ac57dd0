// Text report of a leak check: what was excused, then the survivors.
#include <algorithm>
#include <ostream>
#include <string>

#include "report/escape.hpp"
#include "report/grouping.hpp"
#include "report/text_parts.hpp"
#include "report/verdict_report.hpp"

namespace stray {

namespace {

std::string count_of(std::size_t count, const char* singular, const char* plural) {
  return std::to_string(count) + ' ' + (count == 1 ? singular : plural);
}

Snapshot survivors_of(const CheckResult& result) {
  Snapshot survivors = result.snapshot;
  survivors.threads.clear();
  for (std::size_t i = 0; i < result.snapshot.threads.size(); ++i) {
    if (result.judgement.verdicts[i].kind == VerdictKind::survivor) {
      survivors.threads.push_back(result.snapshot.threads[i]);
    }
  }
  return survivors;
}

void write_summary(std::ostream& out, const CheckResult& result, std::size_t group_count) {
  const Snapshot& snapshot = result.snapshot;
  out << "pid " << snapshot.pid << " (" << escape_text(snapshot.comm) << "): ";
  if (result.judgement.survivors == 0) {
    out << "no unexpected survivors";
  } else {
    out << count_of(result.judgement.survivors, "unexpected survivor", "unexpected survivors")
        << " in " << count_of(group_count, "group", "groups");
  }
  out << " among " << count_of(snapshot.threads.size(), "thread", "threads") << '\n';
  out << "checked in " << text::format_duration(result.duration) << " with "
      << count_of(result.rechecks, "re-check", "re-checks") << '\n';
  if (result.ended_during_grace) {
    out << "the process ended during the grace period; each thread is shown as last seen alive\n";
  }
}

std::size_t count_main_threads(const CheckResult& result) {
  std::size_t count = 0;
  for (const ThreadVerdict& verdict : result.judgement.verdicts) {
    if (verdict.kind == VerdictKind::main_thread) ++count;
  }
  return count;
}

void write_expected(std::ostream& out, const CheckResult& result, const std::vector<Rule>& rules) {
  const std::size_t main = count_main_threads(result);
  const bool any_excused = std::any_of(result.judgement.excused_by_rule.begin(),
                                       result.judgement.excused_by_rule.end(),
                                       [](std::size_t excused) { return excused > 0; });
  if (main == 0 && !any_excused && result.judgement.excused_by_baseline == 0) {
    out << "expected: none\n";
    return;
  }
  out << "expected:\n";
  if (main > 0) out << "  " << main << " main thread\n";
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const std::size_t excused = result.judgement.excused_by_rule[r];
    if (excused == 0) continue;
    out << "  " << count_of(excused, "thread", "threads") << " by " << escape_text(rules[r].origin)
        << ": " << escape_text(format_rule(rules[r])) << '\n';
  }
  if (result.judgement.excused_by_baseline > 0) {
    out << "  " << count_of(result.judgement.excused_by_baseline, "thread", "threads")
        << " by the baseline\n";
  }
}

void write_title(std::ostream& out, const ThreadGroup& group, const Thread& thread) {
  out << count_of(group.count(), "thread", "threads") << " [" << to_string(thread.thread_class) << ']';
  if (thread.syscall.number >= 0) {
    out << " in syscall " << escape_text(thread.syscall.name);
    if (thread.syscall.interrupted) out << " (interrupted)";
  }
  out << '\n';
}

// One line per thread: the group's threads may wait on different objects.
void write_members(std::ostream& out, const Snapshot& snapshot, const ThreadGroup& group,
                   const TextOptions& options) {
  const std::size_t listed = std::min(group.count(), std::max<std::size_t>(options.max_listed_threads, 1));
  for (std::size_t i = 0; i < listed; ++i) {
    const std::string wait = text::format_wait(snapshot.threads[group.thread_indices[i]].wait);
    out << "  tid " << group.tids[i] << ' ' << quote_text(group.names[i]);
    if (!wait.empty()) out << ", wait: " << wait;
    out << '\n';
  }
  if (listed < group.count()) out << "  ... and " << group.count() - listed << " more\n";
}

void write_stack(std::ostream& out, const Thread& thread, const text::ShortPaths& paths,
                 const TextOptions& options) {
  for (std::size_t i = 0; i < thread.frames.size(); ++i) {
    out << "  " << text::format_frame(i, thread.frames[i], paths, options.show_addresses) << '\n';
  }
  if (thread.unwind_end != UnwindEnd::outermost) out << "  unwind stopped: " << to_string(thread.unwind_end) << '\n';
  if (!thread.error.empty()) out << "  error (partial result): " << escape_text(thread.error) << '\n';
  if (thread.start_routine && *thread.start_routine < thread.frames.size()) {
    const Frame& frame = thread.frames[*thread.start_routine];
    out << "  started by: " << escape_text(frame_label(frame));
    const std::string location = text::format_location(frame, paths);
    if (!location.empty() && !frame.function.empty()) out << " (" << location << ')';
    out << '\n';
  }
}

// Rules that matched a survivor of the group but had used up their max:.
void write_full_rules(std::ostream& out, const CheckResult& result, const std::vector<Rule>& rules,
                      const std::vector<std::size_t>& member_indices) {
  std::vector<std::size_t> listed;
  for (std::size_t index : member_indices) {
    const std::optional<std::size_t> rule = result.judgement.verdicts[index].rule;
    if (!rule || std::find(listed.begin(), listed.end(), *rule) != listed.end()) continue;
    listed.push_back(*rule);
    out << "  matched " << escape_text(rules[*rule].origin) << " (" << escape_text(format_rule(rules[*rule]))
        << "), but it already excused its max:" << *rules[*rule].max << " threads\n";
  }
}

}  // namespace

void write_verdict_text(std::ostream& out, const CheckResult& result, const std::vector<Rule>& rules,
                        const TextOptions& options) {
  const Snapshot survivors = survivors_of(result);
  const std::vector<ThreadGroup> groups = group_threads(survivors);
  const text::ShortPaths paths = text::short_paths_of(survivors);
  std::vector<std::size_t> survivor_indices;  // into result.snapshot, parallel to survivors
  for (std::size_t i = 0; i < result.snapshot.threads.size(); ++i) {
    if (result.judgement.verdicts[i].kind == VerdictKind::survivor) survivor_indices.push_back(i);
  }

  write_summary(out, result, groups.size());
  write_expected(out, result, rules);
  for (const ThreadGroup& group : groups) {
    const Thread& thread = survivors.threads[group.thread_indices.front()];
    std::vector<std::size_t> member_indices;
    for (std::size_t index : group.thread_indices) member_indices.push_back(survivor_indices[index]);
    out << "\nunexpected: ";
    write_title(out, group, thread);
    write_members(out, survivors, group, options);
    write_stack(out, thread, paths, options);
    write_full_rules(out, result, rules, member_indices);
  }
}

}  // namespace stray
