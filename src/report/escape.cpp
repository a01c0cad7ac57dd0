#include "report/escape.hpp"

#include <cstdio>

#include "report/utf8.hpp"

namespace stray {

namespace {

void append_byte_escape(std::string& out, unsigned char byte) {
  char buffer[5];
  std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
  out += buffer;
}

bool is_unsafe_for_terminal(char32_t code_point) {
  if (code_point >= 0x80 && code_point <= 0x9f) return true;  // C1 controls, such as CSI
  if (code_point == 0x061c || code_point == 0x200e || code_point == 0x200f) return true;
  if (code_point >= 0x2028 && code_point <= 0x202e) return true;  // separators, bidi embeddings
  return code_point >= 0x2066 && code_point <= 0x2069;            // bidi isolates
}

// Appends one ASCII byte for the terminal and returns true, or returns false
// when the byte needs the UTF-8 path.
bool append_ascii_for_terminal(std::string& out, unsigned char byte, bool escape_quote) {
  if (byte >= 0x80) return false;
  switch (byte) {
    case '\n': out += "\\n"; return true;
    case '\t': out += "\\t"; return true;
    case '\r': out += "\\r"; return true;
    case '\\': out += "\\\\"; return true;
    default: break;
  }
  if (byte == '"' && escape_quote) {
    out += "\\\"";
  } else if (byte < 0x20 || byte == 0x7f) {
    append_byte_escape(out, byte);
  } else {
    out += static_cast<char>(byte);
  }
  return true;
}

std::string escape_for_terminal(std::string_view raw, bool escape_quote) {
  const std::string capped = cap_length(raw);
  const std::string_view text = capped;
  std::string out;
  out.reserve(text.size());

  std::size_t position = 0;
  while (position < text.size()) {
    const auto byte = static_cast<unsigned char>(text[position]);
    if (append_ascii_for_terminal(out, byte, escape_quote)) {
      ++position;
      continue;
    }
    const utf8::Sequence sequence = utf8::decode(text, position);
    if (sequence.length == 0) {
      append_byte_escape(out, byte);
      ++position;
      continue;
    }
    for (std::size_t i = 0; i < sequence.length; ++i) {
      const auto part = static_cast<unsigned char>(text[position + i]);
      if (is_unsafe_for_terminal(sequence.code_point)) {
        append_byte_escape(out, part);
      } else {
        out += static_cast<char>(part);
      }
    }
    position += sequence.length;
  }
  return out;
}

int hex_digit_value(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

}  // namespace

std::string cap_length(std::string_view raw, std::size_t max_bytes) {
  if (raw.size() <= max_bytes) return std::string(raw);

  const std::string marker = "...[truncated, " + std::to_string(raw.size()) + " bytes]";
  std::size_t keep = max_bytes > marker.size() ? max_bytes - marker.size() : 0;
  // Back up over continuation bytes so no UTF-8 character is cut in half.
  for (int step = 0; step < 3 && keep > 0; ++step) {
    if ((static_cast<unsigned char>(raw[keep]) & 0xc0) != 0x80) break;
    --keep;
  }
  return std::string(raw.substr(0, keep)) + marker;
}

std::string escape_text(std::string_view raw) { return escape_for_terminal(raw, false); }

std::string quote_text(std::string_view raw) {
  return '"' + escape_for_terminal(raw, true) + '"';
}

std::string to_valid_utf8(std::string_view raw) {
  const std::string capped = cap_length(raw);
  const std::string_view text = capped;
  std::string out;
  out.reserve(text.size());

  std::size_t position = 0;
  while (position < text.size()) {
    if (text[position] == '\\') {
      out += "\\\\";
      ++position;
      continue;
    }
    const utf8::Sequence sequence = utf8::decode(text, position);
    if (sequence.length == 0) {
      append_byte_escape(out, static_cast<unsigned char>(text[position]));
      ++position;
      continue;
    }
    out.append(text.substr(position, sequence.length));
    position += sequence.length;
  }
  return out;
}

std::optional<std::string> from_valid_utf8(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  std::size_t position = 0;
  while (position < escaped.size()) {
    const char current = escaped[position];
    if (current != '\\') {
      out += current;
      ++position;
      continue;
    }
    if (escaped.substr(position, 2) == "\\\\") {
      out += '\\';
      position += 2;
      continue;
    }
    if (position + 4 > escaped.size() || escaped[position + 1] != 'x') return std::nullopt;
    const int high = hex_digit_value(escaped[position + 2]);
    const int low = hex_digit_value(escaped[position + 3]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    position += 4;
  }
  return out;
}

}  // namespace stray
