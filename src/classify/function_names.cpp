// Reduces glibc symbol names to the part the classifier matches on.
#include <string>
#include <string_view>

#include "classify/internal.hpp"

namespace stray::classify_detail {

namespace {

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

std::string glibc_base_name(std::string_view symbol) {
  std::string_view name = symbol.substr(0, symbol.find('@'));  // "sem_wait@@GLIBC_2.34"
  strip_leading_underscores(name);
  if (consume_prefix(name, "GI_")) strip_leading_underscores(name);
  if (consume_prefix(name, "libc_")) strip_leading_underscores(name);
  if (!consume_suffix(name, "_time64")) consume_suffix(name, "64");
  return std::string(name);
}

}  // namespace stray::classify_detail
