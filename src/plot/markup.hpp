// Escaping for HTML and SVG text and attribute values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace stray::plot {

// A raw string from the target made safe as HTML or SVG text or a quoted
// attribute value: first escape_text (control characters and invalid UTF-8
// become visible escapes), then &, <, >, " and ' become character
// references. "<script>" comes out as "&lt;script&gt;".
std::string escape_markup(std::string_view raw);

// `raw` cut to at most `max_bytes` at a UTF-8 character boundary, with "…"
// appended when something was cut. For labels that must fit a legend.
std::string shorten(std::string_view raw, std::size_t max_bytes);

}  // namespace stray::plot
