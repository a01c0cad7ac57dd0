#include "report/grouping.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <utility>

#include "report/report.hpp"

namespace stray {

namespace {

std::string basename_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Appends fields with a length prefix, so no two different stacks produce
// the same identity string.
class IdentityBuilder {
 public:
  void add(const std::string& text) { identity_ += std::to_string(text.size()) + ':' + text; }
  void add(std::uint64_t number) { identity_ += std::to_string(number) + ';'; }
  std::string take() { return std::move(identity_); }

 private:
  std::string identity_;
};

void add_frame(IdentityBuilder& builder, const Frame& frame) {
  builder.add(frame.pc);
  builder.add(static_cast<std::uint64_t>(frame.kind));
  builder.add(frame.function);
  builder.add(frame.module);
  builder.add(frame.module_offset);
  builder.add(frame.file);
  builder.add(static_cast<std::uint64_t>(static_cast<std::uint32_t>(frame.line)));
  builder.add(static_cast<std::uint64_t>(static_cast<std::uint32_t>(frame.column)));
  builder.add(frame.build_id);
}

std::uint64_t optional_index(const std::optional<std::size_t>& index) {
  return index ? *index + 1 : 0;
}

std::string stack_identity(const Thread& thread) {
  IdentityBuilder builder;
  builder.add(thread.frames.size());
  for (const Frame& frame : thread.frames) add_frame(builder, frame);
  builder.add(static_cast<std::uint64_t>(thread.unwind_end));
  builder.add(thread.stack_truncated ? 1 : 0);
  builder.add(optional_index(thread.start_routine));
  builder.add(optional_index(thread.top_frame));
  builder.add(static_cast<std::uint64_t>(thread.syscall.number));
  builder.add(thread.syscall.interrupted ? 1 : 0);
  builder.add(thread.error);
  return builder.take();
}

std::string label_at(const Thread& thread, const std::optional<std::size_t>& index) {
  if (!index || *index >= thread.frames.size()) return {};
  return frame_label(thread.frames[*index]);
}

std::vector<std::size_t> indices_by_tid(const Snapshot& snapshot) {
  std::vector<std::size_t> order(snapshot.threads.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t left, std::size_t right) {
    return snapshot.threads[left].tid < snapshot.threads[right].tid;
  });
  return order;
}

}  // namespace

std::string frame_label(const Frame& frame) {
  if (!frame.function.empty()) return frame.function;
  if (!frame.module.empty()) return basename_of(frame.module) + '+' + hex_address(frame.module_offset);
  return hex_address(frame.pc);
}

GroupKey group_key(const Thread& thread) {
  return GroupKey{label_at(thread, thread.start_routine), label_at(thread, thread.top_frame),
                  thread.thread_class};
}

std::vector<ThreadGroup> group_threads(const Snapshot& snapshot) {
  std::map<std::pair<GroupKey, std::string>, ThreadGroup> by_identity;
  for (std::size_t index : indices_by_tid(snapshot)) {
    const Thread& thread = snapshot.threads[index];
    GroupKey key = group_key(thread);
    ThreadGroup& group = by_identity[{key, stack_identity(thread)}];
    group.key = std::move(key);
    group.thread_indices.push_back(index);
    group.tids.push_back(thread.tid);
    group.names.push_back(thread.name);
  }

  // The map is ordered by key and stack, and the stable sort keeps that
  // order among groups of equal size.
  std::vector<ThreadGroup> groups;
  groups.reserve(by_identity.size());
  for (auto& entry : by_identity) groups.push_back(std::move(entry.second));
  std::stable_sort(groups.begin(), groups.end(), [](const ThreadGroup& left, const ThreadGroup& right) {
    return left.count() > right.count();
  });
  return groups;
}

}  // namespace stray
