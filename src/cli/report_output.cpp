#include "cli/report_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace stray::cli {

ReportOutput::ReportOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

ReportOutput::ReportOutput(const std::string& path, std::string name, ErrorKind open_error)
    : owned_(true), name_(std::move(name)) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) throw Error(open_error, "cannot open " + name_ + ": " + std::strerror(errno));
}

ReportOutput::~ReportOutput() { close(); }

void ReportOutput::write(std::string_view text) {
  while (!text.empty() && !failed()) {
    const ssize_t count = ::write(fd_, text.data(), text.size());
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      note_failure(errno);
    } else {
      text.remove_prefix(static_cast<std::size_t>(count));
    }
  }
}

void ReportOutput::close() {
  if (!owned_ || fd_ < 0) return;
  // close() reports a deferred write error, as on NFS. The descriptor is
  // released even when it fails, so it is never closed twice.
  if (::close(fd_) != 0 && errno != EINTR) note_failure(errno);
  fd_ = -1;
}

void ReportOutput::finish() {
  close();
  if (failed()) throw Error(ErrorKind::system, error_);
}

void ReportOutput::note_failure(int error_number) {
  if (error_.empty()) error_ = "writing " + name_ + " failed: " + std::strerror(error_number);
}

}  // namespace stray::cli
