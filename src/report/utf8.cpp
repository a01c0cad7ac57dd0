#include "report/utf8.hpp"

namespace stray::utf8 {

namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xc0) == 0x80; }

// Length announced by a lead byte, 0 for a continuation byte or 0xf8-0xff.
std::size_t announced_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) return 2;
  if ((lead & 0xf0) == 0xe0) return 3;
  if ((lead & 0xf8) == 0xf0) return 4;
  return 0;
}

// Smallest code point that needs `length` bytes. A smaller one is overlong.
char32_t min_code_point(std::size_t length) {
  switch (length) {
    case 2: return 0x80;
    case 3: return 0x800;
    case 4: return 0x10000;
    default: return 0;
  }
}

}  // namespace

Sequence decode(std::string_view text, std::size_t position) {
  const auto lead = static_cast<unsigned char>(text[position]);
  const std::size_t length = announced_length(lead);
  if (length == 0 || position + length > text.size()) return {};
  if (length == 1) return {1, lead};

  static constexpr unsigned char kLeadMask[] = {0, 0, 0x1f, 0x0f, 0x07};
  char32_t code_point = lead & kLeadMask[length];
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[position + i]);
    if (!is_continuation(byte)) return {};
    code_point = (code_point << 6) | (byte & 0x3f);
  }

  if (code_point < min_code_point(length)) return {};
  if (code_point >= 0xd800 && code_point <= 0xdfff) return {};
  if (code_point > 0x10ffff) return {};
  return {length, code_point};
}

}  // namespace stray::utf8
