#include "cli/run_report.hpp"

#include <string.h>
#include <sys/wait.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "report/report.hpp"
#include "report/text_parts.hpp"
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

const char* event_name(run::ExitEvent event) {
  switch (event) {
    case run::ExitEvent::exit: return "exit";
    case run::ExitEvent::fatal_signal: return "fatal_signal";
    case run::ExitEvent::timeout: return "timeout";
  }
  return "exit";
}

nlohmann::json report_to_json(const run::ProcessReport& report, const CheckOptions& check) {
  nlohmann::json json;
  json["pid"] = report.pid;
  if (report.parent_pid != 0) json["parent_pid"] = report.parent_pid;
  json["tid"] = report.tid;
  json["event"] = event_name(report.event);
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

// " (child of pid P)" for a process the command started, which otherwise
// looks like the command itself: a forked child has the same name.
std::string describe_parent(const run::ProcessReport& report) {
  if (report.parent_pid == 0) return "";
  return " (child of pid " + std::to_string(report.parent_pid) + ")";
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

RunReporter::RunReporter(ReportOutput& out, const RunReportOptions& options, const CheckOptions& check)
    : out_(out), options_(options), check_(check) {}

void RunReporter::add(const run::ProcessReport& report) {
  if (main_pid_ == 0) main_pid_ = report.pid;
  if (report.event == run::ExitEvent::fatal_signal) saw_fatal_signal_ = true;
  survivors_ += report.survivors();
  if (!report.error.empty()) ++failed_;

  std::ostringstream text;
  if (options_.json) {
    processes_.push_back(report_to_json(report, check_));
  } else if (options_.gen_rules) {
    // Every process of a --follow-forks run reports, and most have no survivor.
    if (report.check && report.survivors() > 0) {
      write_generated_rules(text, "stray run", report.check->snapshot, report.check->judgement);
    }
  } else if (report.event == run::ExitEvent::exit) {
    write_exit_text(text, report);
  } else if (report.event == run::ExitEvent::timeout) {
    write_timeout_text(text, report);
  } else {
    write_signal_text(text, report);
  }
  out_.write(text.str());
}

// A process without survivors is not mentioned, so passing tests stay quiet.
void RunReporter::write_exit_text(std::ostream& out, const run::ProcessReport& report) {
  if (report.error.empty() && report.survivors() == 0) return;
  out << "stray run: pid " << report.pid << describe_parent(report) << " began to exit (exit_group in tid "
       << report.tid << ")\n";
  if (!report.error.empty()) {
    out << "  not inspected: " << report.error << "\n\n";
    return;
  }
  write_verdict_text(out, *report.check, check_.rules, options_.text);
  out << '\n';
}

void RunReporter::write_signal_text(std::ostream& out, const run::ProcessReport& report) {
  const run::SignalOrigin& origin = report.origin;
  out << "stray run: pid " << report.pid << describe_parent(report);
  if (origin.has_fault_address) {
    out << ": tid " << report.tid << " faulted with " << signal_name(report.signal) << " at address "
         << hex_address(origin.fault_address);
  } else if (origin.raised_by_kernel) {
    out << ": tid " << report.tid << " received " << signal_name(report.signal) << " from the kernel";
  } else if (origin.sender_pid == report.pid) {
    out << " sent itself " << signal_name(report.signal) << " (tid " << report.tid << ")";
  } else {
    out << " received " << signal_name(report.signal) << " from pid " << origin.sender_pid
         << " (tid " << report.tid << ")";
  }
  out << "; every thread at that moment:\n";
  if (!report.error.empty()) {
    out << "  not inspected: " << report.error << "\n\n";
    return;
  }
  write_text(out, *report.snapshot, options_.text);
  out << '\n';
}

void RunReporter::write_timeout_text(std::ostream& out, const run::ProcessReport& report) {
  out << "stray run: pid " << report.pid << describe_parent(report) << " was still running at the ";
  if (options_.timeout) out << text::format_duration(*options_.timeout) << " ";
  out << "timeout; every thread before stray ends it:\n";
  if (!report.error.empty()) {
    out << "  not inspected: " << report.error << "\n\n";
    return;
  }
  write_text(out, *report.snapshot, options_.text);
  out << '\n';
}

// Says why the signal that killed the command came without stacks.
void RunReporter::write_unseen_signal_text(std::ostream& out, int signal) {
  out << "stray run: the command was killed by " << signal_name(signal) << "; no stacks were taken, ";
  if (!run::is_reported_signal(signal)) {
    out << "because stray takes them only for signals that dump core\n";
  } else if (!options_.catch_faults) {
    // A fault raised by the CPU or a signal from another process involves
    // no system call of the command, so the exit filter held no thread.
    out << "because it came from a CPU fault or from another process, which stray sees only when "
            "it traces the command; rerun with --catch-faults to get every thread's stack at that "
            "moment\n";
  } else {
    out << "because no thread was seen receiving it\n";
  }
}

// A shell that runs the test, as `sh -c TEST` does, has no thread of its
// own to leak, and the test it runs in a child exits unjudged without
// --follow-forks. A silent pass would hide every leak, so a note is printed.
// Test binaries that start helpers are not shells and get no note.
void RunReporter::write_unjudged_note(std::ostream& out, const run::LaunchResult& result) {
  static const std::set<std::string> kShells = {"sh", "dash", "bash", "zsh", "ksh", "mksh", "busybox"};
  std::string name = std::filesystem::path(result.lone_command_exe).filename().string();
  if (result.unjudged_exits == 0 || kShells.count(name) == 0) return;
  out << "stray run: note: the command is a shell (" << name << "), and " << result.unjudged_exits
       << (result.unjudged_exits == 1 ? " process" : " processes")
       << " that it started exited unjudged; use --follow-forks to judge the test it ran\n";
}

void RunReporter::finish(const run::LaunchResult& result) {
  const int wait_status = result.wait_status;
  bool unseen_crash = WIFSIGNALED(wait_status) && !saw_fatal_signal_;
  std::ostringstream text;
  if (options_.json) {
    nlohmann::json document;
    document["schema"] = kRunSchemaName;
    document["version"] = kRunSchemaVersion;
    document["status"] = status_to_json(wait_status);
    document["processes"] = processes_;
    document["unjudged_exits"] = result.unjudged_exits;
    document["timed_out"] = result.timed_out;
    text << document.dump(2) << '\n';
  } else if (!options_.gen_rules) {
    if (result.timed_out) {
      text << "stray run: the command ran longer than the timeout, and stray ended it\n";
    } else if (unseen_crash) {
      write_unseen_signal_text(text, WTERMSIG(wait_status));
    }
    write_unjudged_note(text, result);
  }
  out_.write(text.str());
}

}  // namespace stray::cli
