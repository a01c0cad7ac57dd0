#include "symbolize/symbolizer.hpp"

#include <algorithm>

#include <libelf.h>

#include "model/runtime_modules.hpp"
#include "proc/module_files.hpp"
#include "symbolize/debuginfo.hpp"
#include "symbolize/module_cache.hpp"
#include "symbolize/snapshot_modules.hpp"

namespace stray {

namespace {

// A return address points after its call, which may already be the next
// line or function, so it is looked up at pc - 1. The innermost frame and a
// signal frame hold the address of the next instruction to run, and so does
// the frame a signal interrupted, so those are looked up at pc itself.
bool looks_up_exact_pc(const std::vector<Frame>& frames, std::size_t index) {
  const Frame& frame = frames[index];
  if (index == 0 || frame.kind == FrameKind::innermost || frame.kind == FrameKind::signal)
    return true;
  return frames[index - 1].kind == FrameKind::signal;
}

Frame without_symbols(const Frame& frame) {
  Frame bare;
  bare.pc = frame.pc;
  bare.sp = frame.sp;
  bare.kind = frame.kind;
  return bare;
}

}  // namespace

struct Symbolizer::Impl {
  explicit Impl(SymbolizerOptions options)
      : search{std::move(options.debug_roots)},
        modules(search),
        runtime_source(options.runtime_source) {}

  void name_frame(const Frame& frame, bool exact_pc, symbolize::SnapshotModules& snapshot,
                  std::vector<Frame>& named);

  symbolize::DebugSearch search;
  symbolize::ModuleCache modules;
  bool runtime_source;
  SymbolizerStats stats;
};

void Symbolizer::Impl::name_frame(const Frame& frame, bool exact_pc,
                                  symbolize::SnapshotModules& snapshot,
                                  std::vector<Frame>& named) {
  Frame base = without_symbols(frame);
  RemoteAddress lookup = exact_pc ? frame.pc : frame.pc - 1;
  symbolize::AddressModule found =
      frame.pc == 0 ? symbolize::AddressModule{} : snapshot.find(lookup);
  if (found.mapping == nullptr) {
    named.push_back(std::move(base));
    return;
  }
  base.module = found.mapping->path;
  base.module_offset = frame.pc - found.bias;
  if (found.module == nullptr) {
    named.push_back(std::move(base));
    return;
  }
  base.build_id = found.module->build_id();

  bool cache_hit = false;
  bool with_source = runtime_source || !is_runtime_module(base.module);
  const auto& levels = found.module->describe(lookup - found.bias, with_source, cache_hit);
  ++(cache_hit ? stats.cache_hits : stats.lookups);
  for (const symbolize::SourceFrame& level : levels) {
    Frame out = base;
    out.function = level.function;
    out.file = level.file;
    out.line = level.line;
    out.column = level.column;
    if (level.inlined) out.kind = FrameKind::inlined;
    named.push_back(std::move(out));
  }
}

Symbolizer::Symbolizer() : Symbolizer(SymbolizerOptions{}) {}

Symbolizer::Symbolizer(SymbolizerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  elf_version(EV_CURRENT);
}

Symbolizer::~Symbolizer() = default;

void Symbolizer::symbolize(const RawSnapshot& raw, ModuleFiles& files,
                           std::vector<Frame>& frames) {
  std::erase_if(frames, [](const Frame& frame) { return frame.kind == FrameKind::inlined; });
  symbolize::SnapshotModules snapshot(raw, files, impl_->modules);
  std::vector<Frame> named;
  named.reserve(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i)
    impl_->name_frame(frames[i], looks_up_exact_pc(frames, i), snapshot, named);
  frames = std::move(named);
  impl_->stats.modules_opened = impl_->modules.modules_opened();
}

std::string Symbolizer::build_id(const Mapping& mapping, ModuleFiles& files) {
  return impl_->modules.file_build_id(mapping, files);
}

const SymbolizerStats& Symbolizer::stats() const { return impl_->stats; }

}  // namespace stray
