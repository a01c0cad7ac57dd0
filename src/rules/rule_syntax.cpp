#include "rules/rule_syntax.hpp"

#include <array>
#include <utility>

namespace stray::rules {

namespace {

constexpr std::array<std::pair<std::string_view, RuleKey>, 6> kKeys = {{
    {"top", RuleKey::top},
    {"any", RuleKey::any},
    {"start", RuleKey::start},
    {"name", RuleKey::name},
    {"class", RuleKey::thread_class},
    {"module", RuleKey::module},
}};

bool needs_quotes(std::string_view pattern) {
  return pattern.find_first_of(" \t\r#\"") != std::string_view::npos;
}

}  // namespace

std::optional<RuleKey> rule_key_from_string(std::string_view text) {
  for (const auto& [name, key] : kKeys) {
    if (name == text) return key;
  }
  return std::nullopt;
}

const char* rule_key_list() { return "top, any, start, name, class, module, max"; }

std::string quote_pattern(std::string_view pattern) {
  if (!needs_quotes(pattern)) return std::string(pattern);
  std::string quoted = "\"";
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      quoted += pattern[i];
      quoted += pattern[++i];
    } else if (pattern[i] == '"') {
      quoted += "\\\"";
    } else {
      quoted += pattern[i];
    }
  }
  return quoted + '"';
}

}  // namespace stray::rules

namespace stray {

const char* to_string(RuleKey key) {
  for (const auto& [name, value] : rules::kKeys) {
    if (value == key) return name.data();
  }
  return "unknown";
}

std::string format_rule(const Rule& rule) {
  std::string line;
  for (const RuleTerm& term : rule.terms) {
    if (!line.empty()) line += ' ';
    line += to_string(term.key);
    line += ':';
    line += rules::quote_pattern(term.pattern);
  }
  if (rule.max) line += (line.empty() ? "max:" : " max:") + std::to_string(*rule.max);
  return line;
}

}  // namespace stray
