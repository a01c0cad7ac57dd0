#include "cli/run_report.hpp"

#include <string.h>
#include <sys/wait.h>

#include "report/report.hpp"
#include "run/exit_filter.hpp"
#include "report/verdict_report.hpp"

namespace stray::cli {

namespace {

constexpr const char* kRunSchemaName = "stray.run";
constexpr int kRunSchemaVersion = 1;

std::string signal_name(int signal) {
  const char* abbreviation = ::sigabbrev_np(signal);
  return abbreviation ? std::string("SIG") + abbreviation : "signal " + std::to_string(signal);
}

nlohmann::json report_to_json(const run::ProcessReport& report, const CheckOptions& check) {
  nlohmann::json json;
  json["pid"] = report.pid;
  json["tid"] = report.tid;
  json["event"] = report.event == run::ExitEvent::exit ? "exit" : "fatal_signal";
  if (report.event == run::ExitEvent::fatal_signal) {
    json["signal"] = signal_name(report.signal);
    if (report.origin.has_fault_address) {
      json["fault_address"] = hex_address(report.origin.fault_address);
    } else if (!report.origin.raised_by_kernel) {
      json["sender_pid"] = report.origin.sender_pid;
    }
  }
  if (report.check) json["check"] = verdict_to_json(*report.check, check.rules, check.grace);
  if (report.snapshot) json["snapshot"] = to_json(*report.snapshot);
  if (!report.error.empty()) json["error"] = report.error;
  return json;
}

nlohmann::json status_to_json(int wait_status) {
  nlohmann::json json;
  if (WIFSIGNALED(wait_status)) {
    json["signal"] = signal_name(WTERMSIG(wait_status));
  } else {
    json["exit_code"] = WEXITSTATUS(wait_status);
  }
  return json;
}

}  // namespace

RunReporter::RunReporter(std::ostream& out, const RunReportOptions& options, const CheckOptions& check)
    : out_(out), options_(options), check_(check) {}

void RunReporter::add(const run::ProcessReport& report) {
  if (main_pid_ == 0) main_pid_ = report.pid;
  if (report.event == run::ExitEvent::fatal_signal) saw_fatal_signal_ = true;
  survivors_ += report.survivors();
  if (!report.error.empty()) ++failed_;

  if (options_.json) {
    processes_.push_back(report_to_json(report, check_));
  } else if (options_.gen_rules) {
    if (report.check) write_generated_rules(out_, report.check->snapshot, report.check->judgement);
  } else if (report.event == run::ExitEvent::exit) {
    write_exit_text(report);
  } else {
    write_signal_text(report);
  }
  out_.flush();
}

// A process without survivors is not mentioned, so passing tests stay quiet.
void RunReporter::write_exit_text(const run::ProcessReport& report) {
  if (report.error.empty() && report.survivors() == 0) return;
  out_ << "stray run: pid " << report.pid << " began to exit (exit_group in tid " << report.tid
       << ")\n";
  if (!report.error.empty()) {
    out_ << "  not inspected: " << report.error << "\n\n";
    return;
  }
  write_verdict_text(out_, *report.check, check_.rules, options_.text);
  out_ << '\n';
}

void RunReporter::write_signal_text(const run::ProcessReport& report) {
  const run::SignalOrigin& origin = report.origin;
  out_ << "stray run: pid " << report.pid;
  if (origin.has_fault_address) {
    out_ << ": tid " << report.tid << " faulted with " << signal_name(report.signal) << " at address "
         << hex_address(origin.fault_address);
  } else if (origin.raised_by_kernel) {
    out_ << ": tid " << report.tid << " received " << signal_name(report.signal) << " from the kernel";
  } else if (origin.sender_pid == report.pid) {
    out_ << " sent itself " << signal_name(report.signal) << " (tid " << report.tid << ")";
  } else {
    out_ << " received " << signal_name(report.signal) << " from pid " << origin.sender_pid
         << " (tid " << report.tid << ")";
  }
  out_ << "; every thread at that moment:\n";
  if (!report.error.empty()) {
    out_ << "  not inspected: " << report.error << "\n\n";
    return;
  }
  write_text(out_, *report.snapshot, options_.text);
  out_ << '\n';
}

// Says why the signal that killed the command came without stacks.
void RunReporter::write_unseen_signal_text(int signal) {
  out_ << "stray run: the command was killed by " << signal_name(signal) << "; no stacks were taken, ";
  if (!run::is_reported_signal(signal)) {
    out_ << "because stray takes them only for signals that dump core\n";
  } else if (!options_.catch_faults) {
    // A fault raised by the CPU or a signal from another process involves
    // no system call of the command, so the exit filter held no thread.
    out_ << "because the signal was not sent by the process itself (--catch-faults traces every "
            "thread to catch it)\n";
  } else {
    out_ << "because no thread was seen receiving it\n";
  }
}

void RunReporter::finish(int wait_status) {
  bool unseen_crash = WIFSIGNALED(wait_status) && !saw_fatal_signal_;
  if (options_.json) {
    nlohmann::json document;
    document["schema"] = kRunSchemaName;
    document["version"] = kRunSchemaVersion;
    document["status"] = status_to_json(wait_status);
    document["processes"] = processes_;
    out_ << document.dump(2) << '\n';
  } else if (unseen_crash && !options_.gen_rules) {
    write_unseen_signal_text(WTERMSIG(wait_status));
  }
  out_.flush();
}

}  // namespace stray::cli
