// Spelling of rule keys and quoting of patterns, shared by the parser and
// by format_rule so that what one writes the other reads back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "stray/rules.hpp"

namespace stray::rules {

// The key spelled `text` in a rules file ("class" for RuleKey::thread_class);
// nullopt for "max" and unknown words.
std::optional<RuleKey> rule_key_from_string(std::string_view text);

// "top, any, start, name, class, module, max", for error messages.
const char* rule_key_list();

// The pattern as it must be written after "KEY:": unchanged when it has no
// whitespace, '#' or '"', otherwise in double quotes with each unescaped
// '"' written as \".
std::string quote_pattern(std::string_view pattern);

}  // namespace stray::rules
