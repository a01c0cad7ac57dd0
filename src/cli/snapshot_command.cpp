#include <unistd.h>

#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/report_output.hpp"
#include "report/report.hpp"
#include "stray/inspect.hpp"

namespace stray::cli {

namespace {

struct SnapshotArguments {
  int pid = 0;
  bool json = false;
  bool addresses = false;
  InspectOptions inspect;
};

bool any_partial(const Snapshot& snapshot) {
  for (const Thread& thread : snapshot.threads) {
    if (!thread.error.empty()) return true;
  }
  return false;
}

int run_snapshot(const SnapshotArguments& arguments) {
  Inspector inspector;
  Snapshot snapshot = inspector.inspect(arguments.pid, arguments.inspect);
  ReportOutput out(STDOUT_FILENO, "standard output");
  if (arguments.json) {
    std::string json;
    write_json(json, snapshot, [&out](std::string& text) {
      out.write(text);
      text.clear();
    });
    json += '\n';
    out.write(json);
  } else {
    std::ostringstream text;
    TextOptions options;
    options.show_addresses = arguments.addresses;
    write_text(text, snapshot, options);
    out.write(text.str());
  }
  out.finish();
  return any_partial(snapshot) ? kPartial : kSuccess;
}

}  // namespace

Action add_snapshot_command(CLI::App& app) {
  auto arguments = std::make_shared<SnapshotArguments>();
  CLI::App* command = app.add_subcommand(
      "snapshot", "Freeze a process briefly, then print every thread's stack and what it waits on");
  command->add_option("pid", arguments->pid, "Process to inspect")->required()->check(kPidRange);
  command->add_flag("--json", arguments->json, "Print JSON (schema in docs/json.md) instead of text");
  command->add_option("--tid", arguments->inspect.tids, "Report only this thread (repeatable)")
      ->allow_extra_args(false);
  command->add_flag("--addresses", arguments->addresses, "Also print each frame's pc");
  command->add_flag("--runtime-lines", arguments->inspect.runtime_source,
                    "Also show file:line and inlined calls inside libc, libstdc++ and the other "
                    "runtime libraries (slower: their debug info is large)");
  command->add_option("--stack-cap", arguments->inspect.stack_cap,
                      "Bytes copied per thread stack, from its stack pointer")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{512}, std::size_t{1} << 30));
  command->add_option("--max-frames", arguments->inspect.max_frames,
                      "Frames printed per thread, counted as numbered: inlined frames count too, as in "
                      "gdb's backtrace N. A longer stack ends with 'unwind stopped: frame_limit'")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  command->add_option("--stop-timeout", arguments->inspect.stop_timeout_ms,
                      "Milliseconds to wait for one thread to stop")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  command->footer(kExitCodeHelp);
  return [command, arguments]() -> int {
    if (!command->parsed()) return -1;
    return run_snapshot(*arguments);
  };
}

}  // namespace stray::cli
