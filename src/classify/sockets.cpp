// Socket addresses from /proc/PID/net, read once per snapshot.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "classify/internal.hpp"
#include "proc/proc.hpp"

namespace stray {

namespace classify_detail {

namespace {

template <typename Number>
bool parse_hex(std::string_view text, Number& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return error == std::errc() && end == text.data() + text.size();
}

// The kernel prints each 32-bit word of the address as it lies in memory,
// read as a host-order number, so storing the parsed number back as a host
// word restores the network-order bytes.
std::string format_ip(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return {};
  std::uint32_t words[4] = {};
  std::size_t count = hex.size() / 8;
  for (std::size_t i = 0; i < count; ++i) {
    if (!parse_hex(hex.substr(i * 8, 8), words[i])) return {};
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (count == 1) {
    in_addr address{};
    std::memcpy(&address, words, sizeof address);
    return inet_ntop(AF_INET, &address, text, sizeof text) ? text : std::string();
  }
  in6_addr address{};
  std::memcpy(&address, words, sizeof address);
  if (!inet_ntop(AF_INET6, &address, text, sizeof text)) return {};
  return "[" + std::string(text) + "]";
}

bool parse_decimal(std::string_view text, std::uint64_t& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

bool is_unspecified(std::string_view hex) { return hex.find_first_not_of("0:") == hex.npos; }

std::vector<std::string> split_fields(const std::string& line) {
  std::istringstream stream(line);
  std::vector<std::string> fields;
  for (std::string field; stream >> field;) fields.push_back(field);
  return fields;
}

}  // namespace

std::string format_inet_address(std::string_view hex) {
  std::size_t colon = hex.find(':');
  if (colon == hex.npos) return {};
  std::string ip = format_ip(hex.substr(0, colon));
  std::uint16_t port = 0;
  if (ip.empty() || !parse_hex(hex.substr(colon + 1), port)) return {};
  return ip + ":" + std::to_string(port);
}

std::map<std::uint64_t, ClassifyContext::Socket> parse_inet_sockets(std::string_view text,
                                                                    const std::string& protocol) {
  // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode"
  constexpr std::size_t kLocal = 1, kPeer = 2, kInode = 9;
  std::map<std::uint64_t, ClassifyContext::Socket> sockets;
  std::istringstream lines{std::string(text)};
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::vector<std::string> fields = split_fields(line);
    std::uint64_t inode = 0;
    if (fields.size() <= kInode || !parse_decimal(fields[kInode], inode)) continue;
    ClassifyContext::Socket socket{protocol, format_inet_address(fields[kLocal]), {}};
    if (!is_unspecified(fields[kPeer])) socket.peer = format_inet_address(fields[kPeer]);
    sockets[inode] = socket;
  }
  return sockets;
}

std::map<std::uint64_t, ClassifyContext::Socket> parse_unix_sockets(std::string_view text) {
  // "Num RefCount Protocol Flags Type St Inode Path", where Path is absent
  // for an unbound socket and starts with '@' in the abstract namespace.
  constexpr std::size_t kInode = 6;
  std::map<std::uint64_t, ClassifyContext::Socket> sockets;
  std::istringstream lines{std::string(text)};
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream stream(line);
    std::string field;
    for (std::size_t i = 0; i < kInode && stream >> field; ++i) {
    }
    std::uint64_t inode = 0;
    if (!(stream >> field) || !parse_decimal(field, inode)) continue;
    std::string path;
    std::getline(stream >> std::ws, path);
    sockets[inode] = ClassifyContext::Socket{"unix", path, {}};
  }
  return sockets;
}

}  // namespace classify_detail

ClassifyContext::ClassifyContext(int pid, int proc_tid) : pid_(pid), proc_tid_(proc_tid > 0 ? proc_tid : pid) {}

ClassifyContext::~ClassifyContext() = default;

const ClassifyContext::Socket* ClassifyContext::find_socket(std::uint64_t inode) {
  if (!sockets_loaded_) load_sockets();
  auto entry = sockets_.find(inode);
  return entry == sockets_.end() ? nullptr : &entry->second;
}

// The files list every socket of the target's network namespace, so one
// read serves all threads of the snapshot. The target may have exited by
// now; its sockets then stay unknown.
void ClassifyContext::load_sockets() {
  sockets_loaded_ = true;
  std::string net = "/proc/" + std::to_string(proc_tid_) + "/net/";
  for (const char* protocol : {"tcp", "tcp6", "udp", "udp6"}) {
    auto text = proc::try_read_file(net + protocol);
    if (!text) {
      spdlog::debug("pid {}: cannot read {}{}; its sockets stay unknown", pid_, net, protocol);
      continue;
    }
    sockets_.merge(classify_detail::parse_inet_sockets(*text, protocol));
  }
  if (auto text = proc::try_read_file(net + "unix")) {
    sockets_.merge(classify_detail::parse_unix_sockets(*text));
  } else {
    spdlog::debug("pid {}: cannot read {}unix; its sockets stay unknown", pid_, net);
  }
}

}  // namespace stray
