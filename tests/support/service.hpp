// Real services (memcached, redis-server from Debian) started on a free
// loopback port for a test, and stopped when the object goes away.
#pragma once

#include <string>
#include <vector>

namespace stray::test {

class Service {
 public:
  // Starts `argv` (with "{port}" replaced by a free loopback port) and
  // waits up to five seconds until the port accepts connections. Fails the
  // current test and leaves pid() at 0 when it does not.
  explicit Service(std::vector<std::string> argv);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  int pid() const { return pid_; }
  int port() const { return port_; }
  // Sends `request` over a new loopback connection and returns what the
  // service wrote back before `terminator` (included) or a one second pause.
  std::string request(const std::string& request, const std::string& terminator) const;
  // Repeats `request` until the reply is `expected`, for up to five seconds.
  // redis-server accepts connections before it starts its background
  // threads and its event loop, so an accepted connection does not mean
  // that it has finished starting.
  bool wait_for_reply(const std::string& request, const std::string& expected) const;

 private:
  int pid_ = 0;
  int port_ = 0;
};

// True when `program` is found on PATH.
bool have_program(const std::string& program);

}  // namespace stray::test
