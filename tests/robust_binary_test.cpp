// Odd binaries: a shared library replaced on disk (renamed over) after the
// target loaded it, the target's executable deleted, and a target chrooted
// in another mount namespace under a path that does not exist here. The
// stacks must stay as they were, and symbols must never come from a file
// whose build-id differs from the mapped one. Also a process whose main
// thread has exited, whose memory and files only its other threads reach.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <gtest/gtest.h>

#include "stray/inspect.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

namespace fs = std::filesystem;
using test::TargetProcess;

// A fresh directory under the system temporary directory, removed with
// everything in it on scope exit.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (fs::temp_directory_path() / "stray-robust-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const Thread* find_thread(const Snapshot& snapshot, int tid) {
  auto it = std::find_if(snapshot.threads.begin(), snapshot.threads.end(),
                         [&](const Thread& thread) { return thread.tid == tid; });
  return it == snapshot.threads.end() ? nullptr : &*it;
}

// Function names of the frames, with the build-id of each frame's module.
std::vector<std::string> named_frames(const Thread& thread) {
  std::vector<std::string> names;
  for (const Frame& frame : thread.frames) names.push_back(frame.function + " @" + frame.build_id);
  return names;
}

// The state letter of /proc/PID/stat, or '?' when it cannot be read.
char proc_state(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() ? text[close + 2] : '?';
}

bool mentions(const Thread& thread, const std::string& text) {
  return std::any_of(thread.frames.begin(), thread.frames.end(), [&](const Frame& frame) {
    return frame.function.find(text) != std::string::npos;
  });
}

// Compiles tests/targets/robust_plugin.c as a shared library.
bool build_plugin(const fs::path& output, int variant) {
  auto result = test::run_command({"cc", "-shared", "-fPIC", "-O2", "-g",
                                   "-DPLUGIN_VARIANT=" + std::to_string(variant), "-o",
                                   output.string(),
                                   std::string(STRAY_SOURCE_DIR) + "/tests/targets/robust_plugin.c"});
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  return result.exit_code() == 0;
}

TEST(OddBinaries, ReplacedLibraryAndDeletedExecutable) {
  TemporaryDirectory directory;
  ASSERT_FALSE(directory.path().empty());
  fs::path library = directory.path() / "libplugin.so";
  fs::path impostor = directory.path() / "libplugin.so.new";
  fs::path executable = directory.path() / "robust_plugin_host";
  ASSERT_TRUE(build_plugin(library, 1));
  ASSERT_TRUE(build_plugin(impostor, 2));
  fs::copy_file(test::target_path("robust_plugin_host"), executable);

  TargetProcess target(executable.string(), {library.string()});
  ASSERT_GT(target.pid(), 0);
  int tid = std::stoi(target.value("tid_plugin"));
  Inspector cached;
  Snapshot before = cached.inspect(target.pid());
  const Thread* plugin = find_thread(before, tid);
  const Thread* main_thread = find_thread(before, target.pid());
  ASSERT_NE(plugin, nullptr);
  ASSERT_NE(main_thread, nullptr);
  ASSERT_TRUE(mentions(*plugin, "plugin_read")) << "no plugin frame before the swap";
  ASSERT_TRUE(mentions(*main_thread, "main")) << "no frame of the executable before the swap";

  fs::rename(impostor, library);
  fs::remove(executable);

  Inspector fresh;
  for (Inspector* inspector : {&cached, &fresh}) {
    const char* which = inspector == &fresh ? "fresh inspector" : "cached inspector";
    Snapshot after = inspector->inspect(target.pid());
    for (const Thread* thread : {plugin, main_thread}) {
      const Thread* again = find_thread(after, thread->tid);
      ASSERT_NE(again, nullptr) << which;
      EXPECT_EQ(named_frames(*again), named_frames(*thread)) << which;
      EXPECT_FALSE(mentions(*again, "impostor")) << which << ": symbols from the replacement";
      EXPECT_EQ(again->unwind_end, thread->unwind_end) << which;
    }
    EXPECT_EQ(after.build_id, before.build_id) << which;
  }
}

// Starts unwind_deep chrooted into `root` in a new mount namespace: /usr is
// bind-mounted, and the binary lives under /opt/stray-hidden-PID/ on a
// tmpfs mounted only inside, so no path on the host leads to it.
TEST(OddBinaries, OtherMountNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for unshare -m and chroot";
  TemporaryDirectory root;
  ASSERT_FALSE(root.path().empty());
  std::string hidden = "/opt/stray-hidden-" + std::to_string(::getpid());
  ASSERT_FALSE(fs::exists(hidden));
  fs::create_directories(root.path() / "opt");
  fs::create_directories(root.path() / "usr");
  fs::create_directories(root.path() / "proc");
  for (const char* link : {"lib", "lib64", "bin"}) {
    fs::create_directory_symlink(std::string("usr/") + link, root.path() / link);
  }
  std::string inside = root.path().string() + hidden;
  std::string script = "mount --make-rprivate / && mount --bind /usr '" +
                       (root.path() / "usr").string() + "' && mount -t tmpfs none '" +
                       (root.path() / "opt").string() + "' && mkdir '" + inside + "' && cp '" +
                       test::target_path("unwind_deep") + "' '" + inside + "/' && exec chroot '" +
                       root.path().string() + "' " + hidden + "/unwind_deep 100";
  TargetProcess target("/usr/bin/unshare", {"--mount", "--", "/bin/sh", "-c", script});
  ASSERT_GT(target.pid(), 0);

  Inspector inspector;
  Snapshot snapshot = inspector.inspect(target.pid());
  EXPECT_NE(snapshot.exe.find("unwind_deep"), std::string::npos) << snapshot.exe;
  EXPECT_FALSE(fs::exists(snapshot.exe)) << snapshot.exe << " is reachable from here";
  EXPECT_FALSE(fs::exists(inside + "/unwind_deep")) << "the tmpfs leaked out of the namespace";
  EXPECT_FALSE(snapshot.build_id.empty());
  const Thread* chain = find_thread(snapshot, std::stoi(target.value("tid_chain")));
  ASSERT_NE(chain, nullptr);
  std::vector<std::string> names;
  for (const Frame& frame : chain->frames) names.push_back(frame.function);
  for (const char* function : {"park_in_read", "chain_level4", "chain_level3", "chain_level2",
                               "chain_level1", "chain_thread"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), function), names.end())
        << function << " missing";
  }
  auto libc_frame = std::find_if(chain->frames.begin(), chain->frames.end(), [](const Frame& f) {
    return f.module.find("libc.so") != std::string::npos;
  });
  ASSERT_NE(libc_frame, chain->frames.end());
  EXPECT_FALSE(libc_frame->function.empty()) << "libc frame without a name";
}

// After pthread_exit in main, /proc/PID/maps reads empty and
// process_vm_readv(PID) fails, so everything goes through a live thread.
TEST(OddProcesses, MainThreadExitedStacksReadable) {
  TargetProcess target("parked", {"4", "main-exits"});
  ASSERT_GT(target.pid(), 0);
  std::vector<int> tids;
  for (const auto& [key, value] : target.values()) {
    if (key == "tid") tids.push_back(std::stoi(value));
  }
  ASSERT_EQ(tids.size(), 4u);
  // The main thread is a zombie once pthread_exit has run.
  auto stat = proc_state(target.pid());
  for (int i = 0; i < 200 && stat != 'Z'; ++i) {
    ::usleep(5000);
    stat = proc_state(target.pid());
  }
  ASSERT_EQ(stat, 'Z');

  Inspector inspector;
  Snapshot snapshot = inspector.inspect(target.pid());
  EXPECT_NE(snapshot.exe.find("parked"), std::string::npos) << snapshot.exe;
  for (int tid : tids) {
    const Thread* thread = find_thread(snapshot, tid);
    ASSERT_NE(thread, nullptr) << "tid " << tid;
    EXPECT_EQ(thread->error, "") << "tid " << tid;
    EXPECT_TRUE(mentions(*thread, "park_on_condvar") || mentions(*thread, "park_in_sleep"))
        << "tid " << tid;
    EXPECT_TRUE(thread->start_routine.has_value()) << "tid " << tid;
    EXPECT_TRUE(thread->thread_class == ThreadClass::condvar || thread->thread_class == ThreadClass::sleep)
        << "tid " << tid << ": " << to_string(thread->thread_class);
  }
}

}  // namespace
}  // namespace stray
