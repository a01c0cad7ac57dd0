// Writes what `stray run` found: one block per judged process as it exits,
// or one JSON document, or generated rules, at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>

#include <nlohmann/json.hpp>

#include "cli/report_output.hpp"
#include "report/report.hpp"
#include "run/launcher.hpp"

namespace stray::cli {

struct RunReportOptions {
  bool json = false;
  bool gen_rules = false;
  bool catch_faults = false;  // stray run --catch-faults was given
  std::optional<std::chrono::milliseconds> timeout;  // stray run --timeout
  TextOptions text;
};

class RunReporter {
 public:
  // A failed write to `out` does not stop the run: the command goes on,
  // and the caller sees the failure in out.failed().
  RunReporter(ReportOutput& out, const RunReportOptions& options, const CheckOptions& check);

  // Takes one process report; text is written at once.
  void add(const run::ProcessReport& report);
  // Writes what waits for the end (JSON, rules), the note on a crash whose
  // stacks could not be taken or on a timeout, and the note on child
  // processes that a shell started and that exited unjudged.
  void finish(const run::LaunchResult& result);

  std::size_t survivors() const { return survivors_; }
  std::size_t failed_inspections() const { return failed_; }

 private:
  void write_exit_text(std::ostream& out, const run::ProcessReport& report);
  void write_signal_text(std::ostream& out, const run::ProcessReport& report);
  void write_timeout_text(std::ostream& out, const run::ProcessReport& report);
  void write_unseen_signal_text(std::ostream& out, int signal);
  void write_unjudged_note(std::ostream& out, const run::LaunchResult& result);

  ReportOutput& out_;
  RunReportOptions options_;
  const CheckOptions& check_;
  nlohmann::json processes_ = nlohmann::json::array();
  int main_pid_ = 0;
  bool saw_fatal_signal_ = false;
  std::size_t survivors_ = 0;
  std::size_t failed_ = 0;
};

}  // namespace stray::cli
