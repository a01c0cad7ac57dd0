#include <cstdio>
#include <vector>

#include "report/escape.hpp"
#include "report/text_parts.hpp"

namespace stray::text {

namespace {

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string joined;
  for (const std::string& part : parts) {
    if (!joined.empty()) joined += separator;
    joined += part;
  }
  return joined;
}

// "tcp 127.0.0.1:8080->127.0.0.1:5555", or empty when nothing is known.
std::string format_socket(const WaitObject& wait) {
  if (wait.socket_protocol.empty() && wait.socket_local.empty() && wait.socket_peer.empty()) {
    return {};
  }
  std::string text = wait.socket_protocol.empty() ? "socket" : escape_text(wait.socket_protocol);
  if (!wait.socket_local.empty()) text += ' ' + escape_text(wait.socket_local);
  if (!wait.socket_peer.empty()) text += "->" + escape_text(wait.socket_peer);
  return text;
}

}  // namespace

std::string format_duration(std::chrono::nanoseconds duration) {
  const double nanoseconds = static_cast<double>(duration.count());
  char buffer[48];
  if (duration >= std::chrono::seconds(1)) {
    std::snprintf(buffer, sizeof buffer, "%.3f s", nanoseconds / 1e9);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f ms", nanoseconds / 1e6);
  }
  return buffer;
}

std::string format_wait(const WaitObject& wait) {
  std::vector<std::string> parts;
  if (wait.fd) {
    std::string fd = "fd " + std::to_string(*wait.fd);
    if (!wait.fd_target.empty()) fd += " -> " + escape_text(wait.fd_target);
    parts.push_back(std::move(fd));
  } else if (!wait.fd_target.empty()) {
    parts.push_back("file " + escape_text(wait.fd_target));
  }
  if (std::string socket = format_socket(wait); !socket.empty()) parts.push_back(std::move(socket));
  if (wait.futex_address) parts.push_back("futex " + format_address(*wait.futex_address));
  if (wait.mutex_owner) parts.push_back("held by tid " + std::to_string(*wait.mutex_owner));
  if (wait.timeout) parts.push_back("timeout " + format_duration(*wait.timeout));
  if (wait.child_pid) parts.push_back("child pid " + std::to_string(*wait.child_pid));
  return join(parts, ", ");
}

}  // namespace stray::text
