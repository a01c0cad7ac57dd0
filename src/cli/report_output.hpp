// The destination of a command's report: standard output, standard error
// or a file. Each write goes to the file descriptor at once, so a failure
// is seen with its own errno, and a report lost to a full disk is reported
// as an error.
#pragma once

#include <string>
#include <string_view>

#include "stray/error.hpp"

namespace stray::cli {

class ReportOutput {
 public:
  // Writes to `fd`, which stays open. `name` ("standard output") names the
  // destination in messages.
  ReportOutput(int fd, std::string name);
  // Creates or truncates the file at `path`, close-on-exec so that a
  // command started later does not inherit it. Throws stray::Error of
  // `open_error` when it cannot be opened.
  ReportOutput(const std::string& path, std::string name, ErrorKind open_error);
  ~ReportOutput();
  ReportOutput(const ReportOutput&) = delete;
  ReportOutput& operator=(const ReportOutput&) = delete;

  // Writes all of `text`. A failed write is not thrown but kept for
  // finish(), and every later write is skipped.
  void write(std::string_view text);

  // Closes a file opened by the constructor; a failed close counts as a
  // failed write. Does nothing more after the first call.
  void close();

  // Calls close(), then throws stray::Error(system) with error() if a write
  // or the close failed.
  void finish();

  bool failed() const { return !error_.empty(); }
  // "writing NAME failed: REASON", or "" while every write succeeded.
  const std::string& error() const { return error_; }

 private:
  void note_failure(int error_number);

  int fd_ = -1;
  bool owned_ = false;
  std::string name_;
  std::string error_;
};

}  // namespace stray::cli
