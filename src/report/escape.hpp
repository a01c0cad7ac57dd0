// Escaping of strings that come from the target (thread names, paths,
// symbol names, fd targets, socket addresses). Every output format goes
// through one of these, so a hostile string can neither move the terminal
// cursor nor make the JSON writer throw.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stray {

// Maximum number of raw bytes kept of one string. Longer strings (a 1 MB
// symbol name) keep their first bytes, cut at a UTF-8 character boundary,
// followed by the marker "...[truncated, N bytes]" where N is the original
// length, so that the result including the marker is at most this long.
inline constexpr std::size_t kMaxStringBytes = 16 * 1024;

// Returns `raw` unchanged when it fits in `max_bytes`, otherwise its head
// plus the truncation marker described above. Idempotent.
std::string cap_length(std::string_view raw, std::size_t max_bytes = kMaxStringBytes);

// For terminal text, after cap_length. Printable ASCII and valid UTF-8 pass,
// and the rest becomes C-style escapes. Newline, tab, carriage return and
// backslash become \n, \t, \r and \\. Each byte of another control
// character (0x00-0x1f, 0x7f), of a C1 control (U+0080-U+009F) or of a
// character that reorders or breaks a line (U+061C, U+200E, U+200F,
// U+2028-U+202E, U+2066-U+2069) becomes \xNN in lower-case hex. So does
// each byte outside a valid UTF-8 sequence, where overlong forms,
// surrogates and code points above U+10FFFF count as invalid.
std::string escape_text(std::string_view raw);

// escape_text inside double quotes, with '"' escaped as \" as well, so a
// name cannot close its quotes and forge the rest of the line.
std::string quote_text(std::string_view raw);

// For JSON, after cap_length. Valid UTF-8 passes unchanged except for the
// backslash, which is doubled ("\\"), and each byte that is not part of a
// valid UTF-8 sequence becomes the four characters \xNN (lower-case hex).
// The result is always valid UTF-8 and from_valid_utf8 restores the raw
// bytes exactly.
std::string to_valid_utf8(std::string_view raw);

// Inverts to_valid_utf8: "\\" becomes one backslash and \xNN the byte NN.
// Returns nullopt when a backslash starts anything else.
std::optional<std::string> from_valid_utf8(std::string_view escaped);

}  // namespace stray
