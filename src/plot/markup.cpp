#include "plot/markup.hpp"

#include "report/escape.hpp"
#include "report/utf8.hpp"

namespace stray::plot {

std::string escape_markup(std::string_view raw) {
  std::string escaped;
  for (char c : escape_text(raw)) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

std::string shorten(std::string_view raw, std::size_t max_bytes) {
  if (raw.size() <= max_bytes) return std::string(raw);
  std::size_t end = 0;
  while (end < raw.size()) {
    std::size_t length = utf8::decode(raw, end).length;
    if (length == 0) length = 1;
    if (end + length > max_bytes) break;
    end += length;
  }
  return std::string(raw.substr(0, end)) + "\xe2\x80\xa6";
}

}  // namespace stray::plot
