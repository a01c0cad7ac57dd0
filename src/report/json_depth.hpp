// The nesting depth of JSON text, checked before a file from the user is
// parsed. nlohmann::json parses without recursion, but dump(), comparison
// and copies of the parsed value recurse once per level, so a file of
// 100,000 nested arrays would overflow the stack there.
#pragma once

#include <cstddef>
#include <string_view>

namespace stray {

// Maximum nesting of arrays and objects in a JSON document that stray reads.
// Its own formats nest at most 5 levels (snapshot, threads, thread, frames,
// frame).
inline constexpr std::size_t kMaxJsonDepth = 64;

// The deepest nesting of arrays and objects in `text`, counted from the
// brackets outside strings. Never less than the depth that a JSON parser
// reaches on the same text, valid or not: the count may only be higher
// after the point where the text stops being valid JSON.
std::size_t json_nesting_depth(std::string_view text);

}  // namespace stray
