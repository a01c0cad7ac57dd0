#include "run/listener_keeper.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "run/exit_listener.hpp"

namespace stray::run {

namespace {

void detach_standard_streams() {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return;
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
  ::close(null);
}

[[noreturn]] void answer_until_hangup(int listener_fd) {
  ExitListener listener(listener_fd);
  for (;;) {
    pollfd entry{listener.fd(), POLLIN, 0};
    if (::poll(&entry, 1, -1) < 0 && errno != EINTR) break;
    if (entry.revents & POLLIN) {
      HeldCall call;
      try {
        if (listener.receive(call)) listener.let_continue(call.id);
      } catch (const std::exception&) {
        break;
      }
    } else if (entry.revents & (POLLHUP | POLLERR)) {
      break;
    }
  }
  ::_exit(0);
}

}  // namespace

void keep_answering_in_background(int listener_fd) {
  pid_t helper = ::fork();
  if (helper == 0) {
    ::setsid();  // out of the test's process group, so Ctrl-C does not end it early
    detach_standard_streams();
    answer_until_hangup(listener_fd);
  }
  if (helper < 0) {
    spdlog::warn("fork of the listener helper failed: {}; processes the command left running will "
                 "not end with exit_group",
                 std::strerror(errno));
  } else {
    spdlog::debug("listener helper pid {} answers for processes the command left running", helper);
  }
  ::close(listener_fd);
}

}  // namespace stray::run
