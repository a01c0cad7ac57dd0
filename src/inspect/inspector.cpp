#include "stray/inspect.hpp"

#include <algorithm>
#include <string_view>

#include <spdlog/spdlog.h>

#include "capture/capture.hpp"
#include "inspect/stack_symbol_cache.hpp"
#include "classify/classifier.hpp"
#include "proc/module_files.hpp"
#include "symbolize/symbolizer.hpp"
#include "unwind/unwinder.hpp"

namespace stray {

struct Inspector::Impl {
  std::size_t max_frames = 0;
  std::unique_ptr<Unwinder> unwinder;
  bool runtime_source = false;
  std::unique_ptr<Symbolizer> symbolizer = std::make_unique<Symbolizer>();
  StackSymbolCache stack_symbols;

  Symbolizer& symbolizer_for(bool with_runtime_source) {
    // Like the frame cap, the runtime source choice is fixed per Symbolizer.
    if (with_runtime_source != runtime_source) {
      SymbolizerOptions options;
      options.runtime_source = with_runtime_source;
      symbolizer = std::make_unique<Symbolizer>(options);
      stack_symbols = StackSymbolCache();
      runtime_source = with_runtime_source;
    }
    return *symbolizer;
  }

  Unwinder& unwinder_for(std::size_t frames) {
    // The frame cap is fixed per Unwinder; a new cap costs the unwind cache.
    if (!unwinder || frames != max_frames) {
      UnwindOptions options;
      options.max_frames = frames;
      unwinder = std::make_unique<Unwinder>(options);
      max_frames = frames;
    }
    return *unwinder;
  }
};

namespace {

// Keeps only the requested threads, so later stages do no work for the
// others. Throws when a requested tid was not a thread of the process.
void select_threads(RawSnapshot& raw, const std::vector<int>& tids) {
  if (tids.empty()) return;
  for (int tid : tids) {
    bool found = std::any_of(raw.threads.begin(), raw.threads.end(),
                             [&](const RawThread& thread) { return thread.tid == tid; });
    if (!found) {
      throw Error(ErrorKind::invalid_input, "pid " + std::to_string(raw.pid) + ": tid " +
                                                std::to_string(tid) + " is not a thread of it");
    }
  }
  std::erase_if(raw.threads, [&](const RawThread& thread) {
    return std::find(tids.begin(), tids.end(), thread.tid) == tids.end();
  });
}

Thread make_thread(const RawThread& raw_thread, UnwoundStack&& stack) {
  Thread thread;
  thread.tid = raw_thread.tid;
  thread.name = raw_thread.name;
  thread.state = raw_thread.state;
  thread.start_time = raw_thread.start_time;
  thread.stop = raw_thread.stop;
  thread.frames = std::move(stack.frames);
  thread.unwind_end = stack.end;
  thread.stack_truncated = raw_thread.stack.truncated;
  thread.error = raw_thread.error;
  if (thread.error.empty() && stack.end == UnwindEnd::error) thread.error = stack.detail;
  return thread;
}

// Cuts `thread` to `max_frames` frames, inlined frames included, as gdb 13.1
// counts them for `backtrace N`. The unwinder counts only the frames it
// unwinds, and symbolization may add inlined frames beyond the cap.
void apply_frame_limit(Thread& thread, std::size_t max_frames) {
  if (thread.frames.size() <= max_frames) return;
  thread.frames.resize(max_frames);
  thread.unwind_end = UnwindEnd::frame_limit;
}

std::string executable_build_id(const RawSnapshot& raw, ModuleFiles& files, Symbolizer& symbolizer) {
  // The exe link of a deleted executable ends in " (deleted)", but the
  // paths of the mappings carry that as Mapping::deleted instead.
  std::string_view exe = raw.exe;
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe.ends_with(kDeleted)) exe.remove_suffix(kDeleted.size());
  for (const Mapping& mapping : raw.mappings) {
    if (mapping.path == exe && mapping.file_backed()) return symbolizer.build_id(mapping, files);
  }
  return {};
}

}  // namespace

Inspector::Inspector() : impl_(std::make_unique<Impl>()) {}
Inspector::~Inspector() = default;

Snapshot Inspector::inspect(int pid, const InspectOptions& options) {
  auto started = std::chrono::steady_clock::now();
  ModuleFiles files(pid);
  CaptureOptions capture_options;
  capture_options.stack_cap = options.stack_cap;
  capture_options.freeze.stop_timeout = std::chrono::milliseconds(options.stop_timeout_ms);
  capture_options.freeze.only_tids = options.tids;
  capture_options.freeze.traced_by_caller = options.traced_by_caller;
  capture_options.freeze.held_tids = options.held_tids;
  capture_options.freeze.excluded_tids = options.excluded_tids;
  RawSnapshot raw = capture_process(pid, files, capture_options);
  select_threads(raw, options.tids);
  auto captured = std::chrono::steady_clock::now();

  std::vector<UnwoundStack> stacks = impl_->unwinder_for(options.max_frames).unwind(raw, files);
  auto unwound = std::chrono::steady_clock::now();

  Snapshot snapshot;
  snapshot.pid = raw.pid;
  snapshot.exe = raw.exe;
  snapshot.comm = raw.comm;
  snapshot.time = raw.time;
  snapshot.freeze_duration = raw.freeze_duration;
  snapshot.bytes_copied = raw.bytes_copied;
  snapshot.warnings = raw.warnings;
  Symbolizer& symbolizer = impl_->symbolizer_for(options.runtime_source);
  snapshot.build_id = executable_build_id(raw, files, symbolizer);

  ClassifyContext context(pid, raw.memory_tid);
  impl_->stack_symbols.begin_snapshot(raw);
  for (std::size_t i = 0; i < raw.threads.size(); ++i) {
    Thread thread = make_thread(raw.threads[i], std::move(stacks[i]));
    impl_->stack_symbols.symbolize(symbolizer, raw, files, thread.frames);
    apply_frame_limit(thread, options.max_frames);
    classify(thread, raw.threads[i], context);
    snapshot.threads.push_back(std::move(thread));
  }
  auto finished = std::chrono::steady_clock::now();
  snapshot.total_duration = finished - started;
  auto us = [](auto duration) {
    return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  };
  spdlog::debug("pid {}: {} threads; capture {} us (freeze {} us), unwind {} us, symbolize and "
                "classify {} us",
                pid, snapshot.threads.size(), us(captured - started), us(snapshot.freeze_duration),
                us(unwound - captured), us(finished - unwound));
  return snapshot;
}

}  // namespace stray
