// Ignore rules, baselines and the verdict on each thread of a snapshot:
// expected (by the main-thread rule, an ignore rule or the baseline) or an
// unexpected survivor. The rules-file format and the matching semantics are
// documented in docs/rules.md.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stray/error.hpp"
#include "stray/model.hpp"

namespace stray {

// The part of a thread that a rule term is matched against.
enum class RuleKey {
  top,     // the innermost frame outside the C and C++ runtime
  any,     // any frame, runtime frames included
  start,   // the start routine
  name,    // the thread name
  thread_class,  // the class name ("condvar", "epoll"...); written "class:"
  module,  // the module of the start routine or of the top frame
};

struct RuleTerm {
  RuleKey key = RuleKey::any;
  // The glob as written in the file, after quotes are removed and before
  // backslash escapes are resolved: "grpc::*", "park\*".
  std::string pattern;
};

struct Rule {
  std::vector<RuleTerm> terms;     // all must match
  std::optional<std::size_t> max;  // threads this rule may excuse; unlimited when absent
  // The origin of the rule: "FILE:LINE" or "builtin:NAME".
  std::string origin;
};

// A rules file that could not be parsed. what() reads
// "FILE:LINE:COLUMN: MESSAGE"; line and column count from 1, the column in
// bytes. The file name in what() and the text quoted from the file in
// message() are escaped as the text report escapes target strings.
class RulesSyntaxError : public Error {
 public:
  RulesSyntaxError(std::string file, std::size_t line, std::size_t column, std::string message);
  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }
  std::size_t column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::size_t line_;
  std::size_t column_;
  std::string message_;
};

// The "class:" key is spelled "class" in files and messages.
const char* to_string(RuleKey key);

// Parses the text of a rules file. `file` names it in origins and errors.
// Throws RulesSyntaxError on the first malformed line.
std::vector<Rule> parse_rules(std::string_view text, const std::string& file);

// Reads and parses a rules file. Throws RulesSyntaxError, or
// Error(invalid_input) when the file cannot be read.
std::vector<Rule> load_rules_file(const std::string& path);

// Rules for threads that glibc and common runtimes start on their own,
// listed in docs/rules.md.
const std::vector<Rule>& builtin_rules();

// The rule as one line of a rules file, quoted and escaped so that
// parse_rules reads back the same terms.
std::string format_rule(const Rule& rule);

// True when every term of `rule` matches `thread` (max: is not considered).
bool rule_matches(const Rule& rule, const Thread& thread);

// A snapshot saved earlier with `stray snapshot --json`, whose threads are
// expected.
struct Baseline {
  Snapshot snapshot;
  // Compare thread counts per group key (start routine, top frame, class)
  // instead of the identity of each thread (tid and start time).
  bool by_group = false;
};

// Reads a baseline file. Throws Error(invalid_input) naming the file when it
// cannot be read or is not a snapshot JSON document.
Baseline load_baseline(const std::string& path, bool by_group);

enum class VerdictKind {
  main_thread,  // the thread whose tid is the pid: never a survivor
  rule,         // excused by an ignore rule
  baseline,     // present in the baseline
  survivor,     // unexpected
};

const char* to_string(VerdictKind kind);

struct ThreadVerdict {
  VerdictKind kind = VerdictKind::survivor;
  // Index into the rules passed to judge: the rule that excused the thread
  // (kind == rule), or for a survivor a rule that matched but had already
  // excused its max: threads.
  std::optional<std::size_t> rule;
};

struct Judgement {
  std::vector<ThreadVerdict> verdicts;  // parallel to Snapshot::threads
  std::vector<std::size_t> excused_by_rule;  // parallel to the rules
  std::size_t excused_by_baseline = 0;
  std::size_t survivors = 0;
};

// Judges every thread of `snapshot`. Threads are taken in ascending tid
// order, so when a rule's max: is reached, the threads with the highest
// tids are the survivors. Each thread is checked in this order: main
// thread, the rules in their order (the first matching rule with room
// excuses it), then the baseline.
Judgement judge(const Snapshot& snapshot, const std::vector<Rule>& rules,
                const Baseline* baseline = nullptr);

// One rule per group of survivors (threads with the same group key and
// stack), the narrowest that excuses exactly that group: the start routine
// and top frame by their qualified names, the class, the thread name when
// the group shares one other than the process or executable name, and max:
// set to the group's size. Groups that give the same terms share one rule
// whose max: is their sum. Appended to the rules that produced `judgement`,
// they excuse every survivor of it.
std::vector<Rule> generate_rules(const Snapshot& snapshot, const Judgement& judgement);

}  // namespace stray
