#include <cstdio>
#include <vector>

#include "report/escape.hpp"
#include "report/short_paths.hpp"
#include "report/text_parts.hpp"

namespace stray::text {

namespace {

std::string basename_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

const char* marker_of(FrameKind kind) {
  switch (kind) {
    case FrameKind::inlined: return " [inlined]";
    case FrameKind::frame_pointer: return " [guessed]";
    case FrameKind::return_address: return " [guessed from sp]";
    case FrameKind::signal: return " [signal]";
    case FrameKind::innermost:
    case FrameKind::cfi: break;
  }
  return "";
}

// "#3" padded to four columns, as gdb aligns frames below #10.
std::string format_index(std::size_t index) {
  std::string label = '#' + std::to_string(index);
  label.append(label.size() < 4 ? 4 - label.size() : 1, ' ');
  return label;
}

}  // namespace

ShortPaths short_paths_of(const Snapshot& snapshot) {
  std::vector<std::string> files;
  for (const Thread& thread : snapshot.threads) {
    for (const Frame& frame : thread.frames) {
      if (!frame.file.empty()) files.push_back(frame.file);
    }
  }
  return shorten_paths(files);
}

std::string format_address(RemoteAddress address) {
  char buffer[19];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(address));
  return buffer;
}

std::string format_location(const Frame& frame, const ShortPaths& paths) {
  if (!frame.file.empty()) {
    const auto found = paths.find(frame.file);
    std::string location = escape_text(found == paths.end() ? frame.file : found->second);
    if (frame.line > 0) location += ':' + std::to_string(frame.line);
    return location;
  }
  if (!frame.module.empty()) {
    return escape_text(basename_of(frame.module)) + '+' + format_address(frame.module_offset);
  }
  return {};
}

std::string format_frame(std::size_t index, const Frame& frame, const ShortPaths& paths,
                         bool show_address) {
  std::string line = format_index(index);
  if (show_address) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%016llx ", static_cast<unsigned long long>(frame.pc));
    line += buffer;
  }

  const std::string location = format_location(frame, paths);
  if (!frame.function.empty()) {
    line += escape_text(frame.function);
    if (!location.empty()) line += " (" + location + ')';
  } else if (!frame.file.empty()) {
    line += "?? (" + location + ')';
  } else if (!location.empty()) {
    line += location;
  } else if (!show_address) {
    line += format_address(frame.pc);
  } else {
    line += "??";
  }
  return line + marker_of(frame.kind);
}

}  // namespace stray::text
