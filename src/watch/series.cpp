#include "watch/series.hpp"

namespace stray::watch {

std::string SeriesGroup::key() const {
  // A NUL cannot occur in a /proc name or a symbol, so it separates the
  // fields without ambiguity.
  std::string text = start_routine;
  text += '\0';
  text += top_frame;
  text += '\0';
  text += thread_name;
  text += '\0';
  text += thread_class;
  return text;
}

std::string SeriesGroup::label() const {
  std::string text;
  if (!start_routine.empty() || !top_frame.empty()) {
    text = start_routine.empty() ? "?" : start_routine;
    if (top_frame != start_routine) text += " > " + (top_frame.empty() ? "?" : top_frame);
  } else if (!thread_name.empty()) {
    text = "\"" + thread_name + "\"";
  } else {
    text = "?";
  }
  return text + " [" + thread_class + "]";
}

const char* to_string(SeriesMode mode) {
  switch (mode) {
    case SeriesMode::full: return "full";
    case SeriesMode::light: return "light";
  }
  return "full";
}

const char* to_string(EndReason reason) {
  switch (reason) {
    case EndReason::count: return "count";
    case EndReason::duration: return "duration";
    case EndReason::signal: return "signal";
    case EndReason::target_exited: return "target_exited";
    case EndReason::alert: return "alert";
  }
  return "count";
}

std::optional<SeriesMode> series_mode_from_string(const std::string& text) {
  for (SeriesMode mode : {SeriesMode::full, SeriesMode::light}) {
    if (text == to_string(mode)) return mode;
  }
  return std::nullopt;
}

std::optional<EndReason> end_reason_from_string(const std::string& text) {
  for (EndReason reason : {EndReason::count, EndReason::duration, EndReason::signal,
                           EndReason::target_exited, EndReason::alert}) {
    if (text == to_string(reason)) return reason;
  }
  return std::nullopt;
}

}  // namespace stray::watch
