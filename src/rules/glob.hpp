// Glob patterns over demangled names, thread names, class names and module
// paths, and which form of a demangled name a pattern is matched against.
#pragma once

#include <string>
#include <string_view>

namespace stray::rules {

// Matches `text` against `pattern` in full. '*' matches any run of
// characters (including none, "::", '<' and '('), '?' one character, and
// '\' makes the next character literal. '[' has no special meaning, so
// "operator[]" and array types need no escape.
bool glob_matches(std::string_view pattern, std::string_view text);

// Escapes the glob characters '*', '?' and '\' so that the result matches
// exactly `text`.
std::string escape_glob(std::string_view text);

// True when a pattern names a parameter list of its own, by the rules of
// has_parameter_list (model/function_names.hpp): the '(' of
// "(anonymous namespace)", of "operator()", of a lambda's "{lambda()#1}"
// and of an enclosing function's "f(int)::" opens none. Such a pattern is
// matched against the whole demangled name, any other against its
// qualified_name.
bool pattern_has_parameters(std::string_view pattern);

}  // namespace stray::rules
