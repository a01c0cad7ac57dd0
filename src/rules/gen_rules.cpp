// Rules generated from survivors, ready to paste into a rules file.
#include <map>
#include <string_view>

#include <spdlog/spdlog.h>

#include "model/function_names.hpp"
#include "report/grouping.hpp"
#include "rules/glob.hpp"
#include "stray/rules.hpp"

namespace stray {

namespace {

// A pattern that matches exactly `text`. A rules file has one rule per
// line, so control characters (a newline in a thread name) become '?'.
std::string literal_pattern(std::string_view text) {
  std::string pattern = rules::escape_glob(text);
  for (char& c : pattern) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return pattern;
}

// A frame by its qualified name, not its whole demangled name. Return and
// parameter types may change between builds, and only optimized builds
// have suffixes such as "[clone .isra.0]".
std::string frame_pattern(const Frame& frame) {
  if (frame.function.empty()) return literal_pattern(frame_label(frame));
  return literal_pattern(qualified_name(frame.function));
}

bool all_names_equal(const ThreadGroup& group) {
  for (const std::string& name : group.names) {
    if (name != group.names.front()) return false;
  }
  return true;
}

// True when `name` is one a thread inherits without naming itself: the
// process name (the main thread's comm), or the executable's file name cut
// to the 15 bytes of a comm, for threads started before the main thread
// renamed itself. Such a name would tie a rule to the binary's file name.
bool is_process_name(std::string_view name, const Snapshot& snapshot) {
  constexpr std::size_t kCommBytes = 15;
  constexpr std::string_view kDeleted = " (deleted)";
  if (name == snapshot.comm) return true;

  std::string_view exe = snapshot.exe;
  if (exe.ends_with(kDeleted)) exe.remove_suffix(kDeleted.size());
  const std::size_t slash = exe.rfind('/');
  if (slash != std::string_view::npos) exe.remove_prefix(slash + 1);
  return !exe.empty() && name == exe.substr(0, kCommBytes);
}

// A thread without a start routine or top frame (every frame is runtime)
// is pinned by its outermost or innermost frame instead.
std::vector<RuleTerm> terms_for(const Thread& thread, const ThreadGroup& group,
                                const Snapshot& snapshot) {
  std::vector<RuleTerm> terms;
  if (thread.start_routine && *thread.start_routine < thread.frames.size()) {
    terms.push_back({RuleKey::start, frame_pattern(thread.frames[*thread.start_routine])});
  } else if (!thread.frames.empty()) {
    terms.push_back({RuleKey::any, frame_pattern(thread.frames.back())});
  }
  if (thread.top_frame && *thread.top_frame < thread.frames.size()) {
    terms.push_back({RuleKey::top, frame_pattern(thread.frames[*thread.top_frame])});
  } else if (thread.frames.size() > 1 && thread.start_routine != std::optional<std::size_t>(0)) {
    // Innermost frame, unless it is the start routine already in a term.
    terms.push_back({RuleKey::any, frame_pattern(thread.frames.front())});
  }
  terms.push_back({RuleKey::thread_class, to_string(thread.thread_class)});
  if (!thread.name.empty() && all_names_equal(group) && !is_process_name(thread.name, snapshot))
    terms.push_back({RuleKey::name, literal_pattern(thread.name)});
  return terms;
}

// Drops a term that does not match a thread of the group, which happens
// only for names that the qualified-name form cuts differently from how
// they were printed.
void keep_matching_terms(std::vector<RuleTerm>& terms, const Snapshot& snapshot, const ThreadGroup& group) {
  std::erase_if(terms, [&](const RuleTerm& term) {
    Rule single{{term}, std::nullopt, {}};
    for (std::size_t index : group.thread_indices) {
      if (rule_matches(single, snapshot.threads[index])) continue;
      spdlog::debug("pid {}: generated term {} does not match tid {}, left out", snapshot.pid,
                    format_rule(single), snapshot.threads[index].tid);
      return true;
    }
    return false;
  });
}

Snapshot survivors_of(const Snapshot& snapshot, const Judgement& judgement) {
  Snapshot survivors;
  survivors.pid = snapshot.pid;
  survivors.exe = snapshot.exe;
  survivors.comm = snapshot.comm;
  for (std::size_t i = 0; i < snapshot.threads.size(); ++i) {
    // A starting thread has no frame to match yet; a rule made from it
    // would match every thread caught inside clone.
    if (snapshot.threads[i].thread_class == ThreadClass::starting) continue;
    if (judgement.verdicts[i].kind == VerdictKind::survivor) survivors.threads.push_back(snapshot.threads[i]);
  }
  return survivors;
}

}  // namespace

std::vector<Rule> generate_rules(const Snapshot& snapshot, const Judgement& judgement) {
  const Snapshot survivors = survivors_of(snapshot, judgement);
  std::vector<Rule> rules;
  std::map<std::string, std::size_t> rule_by_text;
  for (const ThreadGroup& group : group_threads(survivors)) {
    std::vector<RuleTerm> terms = terms_for(survivors.threads[group.thread_indices.front()], group, survivors);
    keep_matching_terms(terms, survivors, group);
    Rule rule{std::move(terms), group.count(), "generated"};
    const std::string text = format_rule(Rule{rule.terms, std::nullopt, {}});
    auto [entry, inserted] = rule_by_text.try_emplace(text, rules.size());
    if (inserted) {
      rules.push_back(std::move(rule));
    } else {
      *rules[entry->second].max += group.count();
    }
  }
  return rules;
}

}  // namespace stray
