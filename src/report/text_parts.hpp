// Pieces of the text report, each already escaped for a terminal.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

#include "stray/model.hpp"

namespace stray::text {

// Short form of each source file path in a snapshot, from shorten_paths.
using ShortPaths = std::map<std::string, std::string>;

ShortPaths short_paths_of(const Snapshot& snapshot);

// "1.25 ms" below one second, "5.000 s" from one second on.
std::string format_duration(std::chrono::nanoseconds duration);

// "0x7f3c2a1c0".
std::string format_address(RemoteAddress address);

// "file:line" when the file is known, else "MODULE_BASENAME+0xOFFSET", else
// an empty string.
std::string format_location(const Frame& frame, const ShortPaths& paths);

// "#3  function (location) [inlined]", with the pc after the index when
// `show_address` is set. Markers: [inlined], [guessed] for a frame found by
// following the frame pointer, [signal] for a signal trampoline.
std::string format_frame(std::size_t index, const Frame& frame, const ShortPaths& paths,
                         bool show_address);

// "fd 5 -> pipe:[123], futex 0x7f3c2a1c0, timeout 5.000 s", or empty when the
// wait object has no field set.
std::string format_wait(const WaitObject& wait);

}  // namespace stray::text
