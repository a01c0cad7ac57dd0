// Whether a rule's terms match a thread. Function patterns follow the
// rules of rules/glob.hpp: a pattern with a parameter list is matched
// against the whole demangled name, any other against the qualified name.
#include <optional>
#include <string_view>

#include "model/function_names.hpp"
#include "report/grouping.hpp"
#include "rules/glob.hpp"
#include "stray/rules.hpp"

namespace stray {

namespace {

std::string_view file_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A frame without a function name is matched by its label,
// "MODULE_BASENAME+0xOFFSET" or "0xPC".
bool function_matches(std::string_view pattern, const Frame& frame) {
  if (frame.function.empty()) return rules::glob_matches(pattern, frame_label(frame));
  if (rules::pattern_has_parameters(pattern)) return rules::glob_matches(pattern, frame.function);
  return rules::glob_matches(pattern, qualified_name(frame.function));
}

const Frame* frame_at(const Thread& thread, const std::optional<std::size_t>& index) {
  if (!index || *index >= thread.frames.size()) return nullptr;
  return &thread.frames[*index];
}

// A pattern with a '/' is matched against the whole path, any other
// against the file name.
bool module_matches(std::string_view pattern, const Frame* frame) {
  if (frame == nullptr || frame->module.empty()) return false;
  if (pattern.find('/') != std::string_view::npos) return rules::glob_matches(pattern, frame->module);
  return rules::glob_matches(pattern, file_name(frame->module));
}

bool any_frame_matches(std::string_view pattern, const Thread& thread) {
  for (const Frame& frame : thread.frames) {
    if (function_matches(pattern, frame)) return true;
  }
  return false;
}

bool term_matches(const RuleTerm& term, const Thread& thread) {
  const Frame* top = frame_at(thread, thread.top_frame);
  const Frame* start = frame_at(thread, thread.start_routine);
  switch (term.key) {
    case RuleKey::top: return top != nullptr && function_matches(term.pattern, *top);
    case RuleKey::start: return start != nullptr && function_matches(term.pattern, *start);
    case RuleKey::any: return any_frame_matches(term.pattern, thread);
    case RuleKey::name: return rules::glob_matches(term.pattern, thread.name);
    case RuleKey::thread_class: return rules::glob_matches(term.pattern, to_string(thread.thread_class));
    case RuleKey::module:
      return module_matches(term.pattern, start) || module_matches(term.pattern, top);
  }
  return false;
}

}  // namespace

bool rule_matches(const Rule& rule, const Thread& thread) {
  for (const RuleTerm& term : rule.terms) {
    if (!term_matches(term, thread)) return false;
  }
  return !rule.terms.empty();
}

}  // namespace stray
