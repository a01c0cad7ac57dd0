// UTF-8 decoding for the escaping functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace stray::utf8 {

struct Sequence {
  std::size_t length = 0;  // 0 when the bytes at the position are not valid UTF-8
  char32_t code_point = 0;
};

// Decodes the character that starts at text[position] (position < size).
// Rejects overlong forms, surrogates (U+D800-U+DFFF) and code points above
// U+10FFFF, as RFC 3629 requires.
Sequence decode(std::string_view text, std::size_t position);

}  // namespace stray::utf8
