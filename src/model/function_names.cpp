#include "model/function_names.hpp"

#include <array>
#include <vector>

namespace stray {

namespace {

constexpr std::string_view kAnonymousNamespace = "(anonymous namespace)";
constexpr std::string_view kOperator = "operator";
constexpr std::string_view kDecltype = "decltype";

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_operator_symbol(char c) {
  return std::string_view("+-*/%^&|~!=<>,[]").find(c) != std::string_view::npos;
}

// Length of an operator name's symbols after "operator" at `at`: 2 for
// "()", the run of symbol characters for "<<=" or "->*", 0 for a word
// operator such as "operator new" or a conversion.
std::size_t operator_symbols_length(std::string_view name, std::size_t at) {
  if (name.substr(at, 2) == "()") return 2;
  std::size_t end = at;
  while (end < name.size() && is_operator_symbol(name[end])) ++end;
  return end - at;
}

bool starts_word(std::string_view name, std::size_t at, std::string_view word) {
  if (name.substr(at, word.size()) != word) return false;
  if (at > 0 && is_identifier_char(name[at - 1])) return false;
  std::size_t next = at + word.size();
  return next >= name.size() || !is_identifier_char(name[next]);
}

// True when the '(' at `at` opens the operand of "decltype" or "decltype ",
// which the demangler prints in return types.
bool follows_decltype(std::string_view name, std::size_t at) {
  std::string_view before = name.substr(0, at);
  if (before.ends_with(' ')) before.remove_suffix(1);
  return before.ends_with(kDecltype) &&
         (before.size() == kDecltype.size() ||
          !is_identifier_char(before[before.size() - kDecltype.size() - 1]));
}

// True when the space at `space` starts a cv- or ref-qualifier, as in
// "f() const::{lambda()#1}" or "char const*", and so ends no return type.
bool starts_qualifier(std::string_view name, std::size_t space) {
  constexpr std::array<std::string_view, 2> kWords = {"const", "volatile"};
  for (std::string_view word : kWords) {
    if (starts_word(name, space + 1, word)) return true;
  }
  return name.substr(space + 1, 1) == "&";
}

// Positions in a demangled name at bracket depth 0. "(anonymous namespace)"
// and an operator's symbols ("operator<", "operator()") are skipped whole,
// at any depth, so their brackets do not count.
struct TopLevel {
  std::vector<std::size_t> parameter_lists;  // '(' that may open a parameter list
  std::vector<std::size_t> spaces;
  std::size_t after_last_scope = 0;  // just after the last "::"
  std::size_t last_operator = std::string_view::npos;  // the last "operator" keyword
};

TopLevel scan_top_level(std::string_view name) {
  TopLevel marks;
  int depth = 0;
  for (std::size_t i = 0; i < name.size();) {
    if (name.substr(i, kAnonymousNamespace.size()) == kAnonymousNamespace) {
      i += kAnonymousNamespace.size();
      continue;
    }
    if (starts_word(name, i, kOperator)) {
      if (depth == 0) marks.last_operator = i;
      i += kOperator.size();
      i += operator_symbols_length(name, i);
      continue;
    }
    const char c = name[i];
    if (c == '<' || c == '(' || c == '{' || c == '[') {
      if (depth == 0 && c == '(' && !follows_decltype(name, i)) marks.parameter_lists.push_back(i);
      ++depth;
    } else if (c == '>' || c == ')' || c == '}' || c == ']') {
      if (depth > 0) --depth;
    } else if (depth == 0 && c == ' ') {
      marks.spaces.push_back(i);
    } else if (depth == 0 && name.substr(i, 2) == "::") {
      marks.after_last_scope = i + 2;
      ++i;
    }
    ++i;
  }
  return marks;
}

// Position of the '(' that opens the function's own parameter list, or
// npos. It is the first one after the last "::", because those before it
// belong to enclosing functions ("f(int)::{lambda()#1}::operator()()").
std::size_t own_parameter_list(const TopLevel& marks) {
  for (std::size_t position : marks.parameter_lists) {
    if (position >= marks.after_last_scope) return position;
  }
  return std::string_view::npos;
}

}  // namespace

bool has_parameter_list(std::string_view name) {
  return own_parameter_list(scan_top_level(name)) != std::string_view::npos;
}

std::string_view qualified_name(std::string_view demangled) {
  const TopLevel marks = scan_top_level(demangled);
  const std::string_view name = demangled.substr(0, own_parameter_list(marks));

  // The return type ends at the last space before the name, which is before
  // an operator keyword ("operator new", "operator unsigned long").
  std::size_t limit = name.size();
  if (marks.last_operator < limit) limit = marks.last_operator;
  std::size_t start = 0;
  for (std::size_t space : marks.spaces) {
    if (space >= limit) break;
    if (!starts_qualifier(name, space)) start = space + 1;
  }
  return name.substr(start);
}

}  // namespace stray
