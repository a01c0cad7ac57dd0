// Reduces symbol names to the part the classifier matches on.
#include <string>
#include <string_view>

#include "classify/internal.hpp"

namespace stray::classify_detail {

namespace {

// Position of the '(' that opens the parameter list, or npos when the name
// has none. Searched from the right, because the return type and template
// arguments may contain parentheses of their own ("void (*)()"), while the
// parameter list is the last balanced group before qualifiers such as
// " const" or " [clone .cold]".
std::size_t parameter_list_start(std::string_view name) {
  // The closing ')' must stand outside template brackets: a name taken
  // from DWARF has no parameter list, and "_M_invoke<0>" or
  // "wait<...<lambda()> >" end in a template argument list instead.
  std::size_t close = std::string_view::npos;
  int angle_depth = 0;
  for (std::size_t i = name.size(); i-- > 0;) {
    if (name[i] == '>') ++angle_depth;
    if (name[i] == '<') --angle_depth;
    if (name[i] == ')' && angle_depth == 0) {
      close = i;
      break;
    }
  }
  if (close == std::string_view::npos) return std::string_view::npos;
  int depth = 0;
  for (std::size_t i = close + 1; i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// Start of the last "operator" token, whose symbols ("<", "()", "->") would
// unbalance the bracket count; npos when the name is no operator.
std::size_t operator_start(std::string_view name) {
  std::size_t position = name.rfind("operator");
  if (position == std::string_view::npos) return position;
  if (position == 0 || name[position - 1] == ':' || name[position - 1] == ' ') return position;
  return std::string_view::npos;
}

// Start of the qualified name in `name`: just after the last space outside
// any brackets, which ends the return type of a function template.
std::size_t qualified_name_start(std::string_view name) {
  std::size_t end = operator_start(name);
  if (end == std::string_view::npos) end = name.size();
  int depth = 0;
  for (std::size_t i = end; i-- > 0;) {
    char c = name[i];
    if (c == '>' || c == ')' || c == '}' || c == ']') ++depth;
    if (c == '<' || c == '(' || c == '{' || c == '[') --depth;
    if (c == ' ' && depth == 0) return i + 1;
  }
  return 0;
}

bool consume_prefix(std::string_view& text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  return true;
}

bool consume_suffix(std::string_view& text, std::string_view suffix) {
  if (text.size() <= suffix.size() || text.substr(text.size() - suffix.size()) != suffix) {
    return false;
  }
  text.remove_suffix(suffix.size());
  return true;
}

void strip_leading_underscores(std::string_view& text) {
  while (!text.empty() && text.front() == '_') text.remove_prefix(1);
}

}  // namespace

std::string_view qualified_name(std::string_view demangled) {
  std::size_t parameters = parameter_list_start(demangled);
  std::string_view name =
      parameters == std::string_view::npos ? demangled : demangled.substr(0, parameters);
  return name.substr(qualified_name_start(name));
}

std::string glibc_base_name(std::string_view symbol) {
  std::string_view name = symbol.substr(0, symbol.find('@'));  // "sem_wait@@GLIBC_2.34"
  strip_leading_underscores(name);
  if (consume_prefix(name, "GI_")) strip_leading_underscores(name);
  if (consume_prefix(name, "libc_")) strip_leading_underscores(name);
  if (!consume_suffix(name, "_time64")) consume_suffix(name, "64");
  return std::string(name);
}

}  // namespace stray::classify_detail
