// Escaping of strings that come from the target (thread names, paths,
// symbol names). Every output format goes through one of these.
#pragma once

#include <string>
#include <string_view>

namespace stray {

// For terminal text: printable ASCII and valid UTF-8 pass; control bytes,
// backslash and invalid UTF-8 become C-style escapes (\n, \x1b).
std::string escape_text(std::string_view raw);

// Valid UTF-8 for JSON: invalid bytes become U+FFFD... NOTE: the helper that
// implements this documents the exact rule here.
std::string to_valid_utf8(std::string_view raw);

}  // namespace stray
