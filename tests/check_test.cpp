// Leak checks of real processes: ignore rules, max:, baselines, the grace
// period, generated rules and the exit codes of `stray check`.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <string>

#include "report/report.hpp"
#include "stray/check.hpp"
#include "stray/inspect.hpp"
#include "stray/rules.hpp"
#include "support/service.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::run_command;
using test::TargetProcess;

// Excuses the pool workers of tests/targets/leak_and_pool.cpp.
const char* const kPoolRule =
    "start:*pool_worker any:*wait_for_job class:condvar  # the job queue's workers\n";

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "stray_check_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

std::vector<int> tids_of(const TargetProcess& target, const std::string& key) {
  std::vector<int> tids;
  auto [first, last] = target.values().equal_range(key);
  for (auto it = first; it != last; ++it) tids.push_back(std::stoi(it->second));
  return tids;
}

std::set<int> survivor_tids(const CheckResult& result) {
  std::set<int> tids;
  for (std::size_t i = 0; i < result.snapshot.threads.size(); ++i) {
    if (result.judgement.verdicts[i].kind == VerdictKind::survivor) tids.insert(result.snapshot.threads[i].tid);
  }
  return tids;
}

const ThreadVerdict& verdict_of(const CheckResult& result, int tid) {
  for (std::size_t i = 0; i < result.snapshot.threads.size(); ++i) {
    if (result.snapshot.threads[i].tid == tid) return result.judgement.verdicts[i];
  }
  static const ThreadVerdict missing{VerdictKind::main_thread, std::nullopt};
  ADD_FAILURE() << "tid " << tid << " is not in the snapshot";
  return missing;
}

CheckOptions options_with(const std::string& rules_text, std::chrono::milliseconds grace = {}) {
  CheckOptions options;
  options.rules = parse_rules(rules_text, "test.supp");
  options.grace = grace;
  return options;
}

test::CommandResult check(const std::vector<std::string>& arguments, int pid) {
  std::vector<std::string> argv = {STRAY_BINARY, "check"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  argv.push_back(std::to_string(pid));
  return run_command(argv);
}

TEST(Check, PoolRuleLeavesOnlyTheLeak) {
  TargetProcess target("leak_and_pool", {"3", "leak"});
  ASSERT_GT(target.pid(), 0);
  Inspector inspector;
  CheckResult result = check_process(inspector, target.pid(), options_with(kPoolRule));

  const int leak = std::stoi(target.value("leak_tid"));
  EXPECT_EQ(survivor_tids(result), std::set<int>{leak});
  EXPECT_EQ(result.judgement.survivors, 1u);
  ASSERT_EQ(result.judgement.excused_by_rule.size(), 1u);
  EXPECT_EQ(result.judgement.excused_by_rule[0], 3u);
  for (int tid : tids_of(target, "pool_tid")) {
    EXPECT_EQ(verdict_of(result, tid).kind, VerdictKind::rule) << "tid " << tid;
    EXPECT_EQ(verdict_of(result, tid).rule, std::optional<std::size_t>(0)) << "tid " << tid;
  }
  EXPECT_EQ(verdict_of(result, target.pid()).kind, VerdictKind::main_thread);
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Check, RuleFormsMatchDemangledNames) {
  TargetProcess target("leak_and_pool", {"2", "leak"});
  ASSERT_GT(target.pid(), 0);
  Inspector inspector;
  Snapshot snapshot = inspector.inspect(target.pid());
  const int leak = std::stoi(target.value("leak_tid"));
  const Thread* leaked = nullptr;
  for (const Thread& thread : snapshot.threads) {
    if (thread.tid == leak) leaked = &thread;
  }
  ASSERT_NE(leaked, nullptr);

  auto matches = [&](const std::string& text) { return rule_matches(parse_rules(text, "f").at(0), *leaked); };
  EXPECT_TRUE(matches("start:\"(anonymous namespace)::leaked_reader\""));
  EXPECT_TRUE(matches("start:\"(anonymous namespace)::leaked_reader()\""));
  EXPECT_TRUE(matches("start:*::leaked_reader"));
  EXPECT_FALSE(matches("start:leaked_reader")) << "the namespace is part of the name";
  EXPECT_FALSE(matches("start:*leaked_reader(int)"));
  EXPECT_TRUE(matches("top:*read_forever"));
  EXPECT_TRUE(matches("any:*read_forever any:*leaked_reader"));
  EXPECT_TRUE(matches("any:libstdc++.so*+0x*")) << "an unnamed frame matches by its label";
  EXPECT_TRUE(matches("class:read"));
  EXPECT_FALSE(matches("class:condvar"));
  EXPECT_TRUE(matches("module:leak_and_pool"));
  EXPECT_TRUE(matches("module:*/targets/leak_and_pool"));
  EXPECT_FALSE(matches("module:libc.so*"));
  EXPECT_TRUE(matches("name:leak_and_p*"));
  EXPECT_FALSE(matches("top:*read_forever class:epoll"));
}

TEST(Check, MaxCatchesOneThreadTooMany) {
  TargetProcess target("leak_and_pool", {"3"});
  ASSERT_GT(target.pid(), 0);
  Inspector inspector;
  CheckResult result = check_process(inspector, target.pid(), options_with("start:*pool_worker max:2"));

  std::vector<int> pool = tids_of(target, "pool_tid");
  ASSERT_EQ(pool.size(), 3u);
  const int highest = *std::max_element(pool.begin(), pool.end());
  EXPECT_EQ(survivor_tids(result), std::set<int>{highest});
  EXPECT_EQ(result.judgement.excused_by_rule[0], 2u);
  EXPECT_EQ(verdict_of(result, highest).rule, std::optional<std::size_t>(0))
      << "the survivor names the rule whose max: was reached";

  auto cli = check({"--no-builtin-rules", "--grace", "0ms", "--rules",
                    write_file("max.supp", "start:*pool_worker max:2\n")}, target.pid());
  EXPECT_EQ(cli.exit_code(), 1) << cli.err;
  EXPECT_NE(cli.out.find("1 unexpected survivor in 1 group"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("tid " + std::to_string(highest)), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("already excused its max:2 threads"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("2 threads by "), std::string::npos) << cli.out;
}

TEST(Check, ExitCodes) {
  TargetProcess target("leak_and_pool", {"2", "leak"});
  ASSERT_GT(target.pid(), 0);
  const std::string pool_rules = write_file("pool.supp", kPoolRule);
  const std::string all_rules =
      write_file("all.supp", std::string(kPoolRule) + "start:*leaked_reader class:read max:1\n");

  auto found = check({"--grace", "0ms", "--rules", pool_rules}, target.pid());
  EXPECT_EQ(found.exit_code(), 1) << found.err;
  EXPECT_NE(found.out.find("leaked_reader"), std::string::npos) << found.out;
  EXPECT_EQ(found.out.find("started by: (anonymous namespace)::pool_worker"), std::string::npos)
      << "only survivors are listed\n" << found.out;

  auto chosen = check({"--grace", "0ms", "--error-exitcode", "9", "--rules", pool_rules}, target.pid());
  EXPECT_EQ(chosen.exit_code(), 9) << chosen.err;

  auto clean = check({"--rules", all_rules}, target.pid());
  EXPECT_EQ(clean.exit_code(), 0) << clean.err << clean.out;
  EXPECT_NE(clean.out.find("no unexpected survivors"), std::string::npos) << clean.out;
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Check, InvalidArgumentsExitWithTwo) {
  TargetProcess target("leak_and_pool", {"1"});
  ASSERT_GT(target.pid(), 0);
  EXPECT_EQ(check({"--error-exitcode", "3"}, target.pid()).exit_code(), 2);
  EXPECT_EQ(check({"--error-exitcode", "0"}, target.pid()).exit_code(), 2);
  EXPECT_EQ(check({"--grace", "5"}, target.pid()).exit_code(), 2);
  EXPECT_EQ(check({"--grace", "soon"}, target.pid()).exit_code(), 2);
  EXPECT_EQ(check({"--rules", "/nonexistent.supp"}, target.pid()).exit_code(), 2);
  EXPECT_EQ(check({"--baseline-groups"}, target.pid()).exit_code(), 2);
  EXPECT_EQ(check({"--json", "--gen-rules"}, target.pid()).exit_code(), 2);
  auto help = run_command({STRAY_BINARY, "check", "--help"});
  EXPECT_EQ(help.exit_code(), 0);
  EXPECT_NE(help.out.find("1  unexpected survivors found"), std::string::npos) << help.out;
}

TEST(Check, MalformedRulesRejectedBeforeAttach) {
  TargetProcess target("leak_and_pool", {"1"});
  ASSERT_GT(target.pid(), 0);
  const std::string bad = write_file("bad.supp", "# fine\nstart:*pool_worker  tpo:x\n");
  auto result = check({"--rules", bad}, target.pid());
  EXPECT_EQ(result.exit_code(), 2);
  EXPECT_NE(result.err.find(bad + ":2:21: unknown key 'tpo'"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");

  // A pid that does not exist would give exit code 4 if it were touched.
  target.kill();
  auto gone = check({"--rules", bad}, target.pid());
  EXPECT_EQ(gone.exit_code(), 2) << gone.err;
}

// A report lost to a full disk fails the check, even with survivors.
TEST(Check, WriteFailureExitsSix) {
  TargetProcess target("leak_and_pool", {"1", "leak"});
  ASSERT_GT(target.pid(), 0);
  ASSERT_EQ(check({"--grace", "0ms"}, target.pid()).exit_code(), 1) << "the check itself finds the leak";
  for (const char* format : {"--addresses", "--json", "--gen-rules"}) {
    auto result = run_command({"/bin/sh", "-c", "exec \"$0\" check --grace 0ms \"$1\" \"$2\" > /dev/full",
                               STRAY_BINARY, format, std::to_string(target.pid())});
    EXPECT_EQ(result.exit_code(), 6) << format << "\n" << result.err;
    EXPECT_NE(result.err.find("stray: writing standard output failed: No space left on device"),
              std::string::npos)
        << format << "\n" << result.err;
  }
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Check, DeeplyNestedBaselineExitsTwo) {
  TargetProcess target("leak_and_pool", {"1"});
  ASSERT_GT(target.pid(), 0);
  const std::string deep = write_file("deep.json", std::string(100'000, '[') + std::string(100'000, ']'));
  auto result = check({"--baseline", deep}, target.pid());
  ASSERT_TRUE(WIFEXITED(result.status)) << "killed by signal " << WTERMSIG(result.status);
  EXPECT_EQ(result.exit_code(), 2) << result.err;
  EXPECT_NE(result.err.find("baseline " + deep + ": invalid snapshot JSON: arrays and objects nested "
                            "deeper than 64 levels"),
            std::string::npos)
      << result.err;

  std::string elements;
  for (int i = 0; i < 500'000; ++i) elements += "1,";
  const std::string flat = write_file("flat.json", "[" + elements + "1]");
  auto array = check({"--baseline", flat}, target.pid());
  EXPECT_EQ(array.exit_code(), 2) << array.err;
  EXPECT_NE(array.err.find("(top level): expected an object, got an array of 500001 elements"),
            std::string::npos)
      << array.err.substr(0, 500);
  EXPECT_LT(array.err.size(), 500u) << "the value is not dumped into the message";
  EXPECT_EQ(result.out, "");
  std::remove(deep.c_str());
  std::remove(flat.c_str());
}

TEST(Check, OversizedRulesFileExitsTwo) {
  TargetProcess target("leak_and_pool", {"1"});
  ASSERT_GT(target.pid(), 0);
  // A sparse file of zero bytes, 1 byte over the limit: like /dev/zero, but finite.
  const std::string zeros = write_file("zeros.supp", "");
  ASSERT_EQ(::truncate(zeros.c_str(), (off_t{64} << 20) + 1), 0);
  auto result = check({"--rules", zeros}, target.pid());
  EXPECT_EQ(result.exit_code(), 2) << result.err;
  EXPECT_NE(result.err.find("rules file " + zeros + ": larger than 64 MiB"), std::string::npos)
      << result.err.substr(0, 500);
  std::remove(zeros.c_str());
}

TEST(Check, GeneratedRulesExcuseTheSurvivors) {
  TargetProcess target("leak_and_pool", {"3", "leak"});
  ASSERT_GT(target.pid(), 0);
  const std::string pool_rules = write_file("gen_pool.supp", "start:*pool_worker max:2\n");

  auto generated = check({"--grace", "0ms", "--gen-rules", "--rules", pool_rules}, target.pid());
  ASSERT_EQ(generated.exit_code(), 0) << generated.err;
  EXPECT_EQ(generated.out.rfind("# stray check: 2 rules for the unexpected survivors of pid ", 0), 0u)
      << generated.out;
  EXPECT_NE(generated.out.find("start:\"(anonymous namespace)::leaked_reader\""), std::string::npos)
      << generated.out;
  EXPECT_NE(generated.out.find("class:read"), std::string::npos) << generated.out;
  EXPECT_EQ(parse_rules(generated.out, "generated").size(), 2u)
      << "one rule for the leak, one for the pool worker over max:\n" << generated.out;

  const std::string generated_rules = write_file("generated.supp", generated.out);
  auto fed_back = check({"--grace", "0ms", "--rules", pool_rules, "--rules", generated_rules}, target.pid());
  EXPECT_EQ(fed_back.exit_code(), 0) << fed_back.out << fed_back.err;

  // Without any rules, every thread but the main one is a survivor; the
  // generated rules alone excuse them all.
  auto everything = check({"--grace", "0ms", "--no-builtin-rules", "--gen-rules"}, target.pid());
  ASSERT_EQ(everything.exit_code(), 0) << everything.err;
  const std::string everything_rules = write_file("everything.supp", everything.out);
  auto alone = check({"--grace", "0ms", "--no-builtin-rules", "--rules", everything_rules}, target.pid());
  EXPECT_EQ(alone.exit_code(), 0) << everything.out << alone.out;
}

// The command that docs/rules.md gives for --gen-rules, in a script that
// stops at the first failing command.
TEST(Check, GenRulesAppendPassesSetE) {
  TargetProcess target("leak_and_pool", {"1", "leak"});
  ASSERT_GT(target.pid(), 0);
  const std::string rules = write_file("set_e.supp", "");
  const std::string script = "set -e; \"$0\" check --grace 0ms --gen-rules --rules \"$1\" \"$2\" >> \"$1\"; "
                             "echo appended";
  auto result = run_command({"/bin/sh", "-c", script, STRAY_BINARY, rules, std::to_string(target.pid())});
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_EQ(result.out, "appended\n") << result.err;

  std::ifstream appended(rules);
  const std::string text((std::istreambuf_iterator<char>(appended)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("start:\"(anonymous namespace)::leaked_reader\""), std::string::npos) << text;
  auto fed_back = check({"--grace", "0ms", "--rules", rules}, target.pid());
  EXPECT_EQ(fed_back.exit_code(), 0) << fed_back.out << fed_back.err;

  auto with_exit_code = check({"--gen-rules", "--error-exitcode", "9"}, target.pid());
  EXPECT_EQ(with_exit_code.exit_code(), 2) << with_exit_code.err;
}

// Threads that never named themselves carry the executable's name, so a
// generated rule must not name them, or it would miss them in a copy of
// the program under another file name.
TEST(Check, GeneratedRulesMatchRenamedCopy) {
  const std::string copy = testing::TempDir() + "pool_copy_" + std::to_string(::getpid());
  std::filesystem::copy_file(test::target_path("leak_and_pool"), copy,
                             std::filesystem::copy_options::overwrite_existing);
  struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() { std::filesystem::remove(path); }
  } remove_copy{copy};

  TargetProcess original("leak_and_pool", {"2", "leak"});
  ASSERT_GT(original.pid(), 0);
  auto generated = check({"--grace", "0ms", "--no-builtin-rules", "--gen-rules"}, original.pid());
  ASSERT_EQ(generated.exit_code(), 0) << generated.err;
  EXPECT_EQ(generated.out.find("name:"), std::string::npos) << generated.out;
  original.kill();

  const std::string generated_rules = write_file("renamed.supp", generated.out);
  TargetProcess renamed(copy, {"2", "leak"});
  ASSERT_GT(renamed.pid(), 0);
  auto checked = check({"--grace", "0ms", "--no-builtin-rules", "--rules", generated_rules}, renamed.pid());
  EXPECT_EQ(checked.exit_code(), 0) << generated.out << checked.out;
}

TEST(Check, JsonCarriesVerdicts) {
  TargetProcess target("leak_and_pool", {"2", "leak"});
  ASSERT_GT(target.pid(), 0);
  auto result = check({"--grace", "0ms", "--json", "--rules", write_file("json.supp", kPoolRule)},
                      target.pid());
  ASSERT_EQ(result.exit_code(), 1) << result.err;
  auto json = nlohmann::json::parse(result.out);
  const int leak = std::stoi(target.value("leak_tid"));
  ASSERT_TRUE(json["threads"].is_array());
  for (const auto& thread : json["threads"]) {
    ASSERT_TRUE(thread.contains("verdict")) << thread["tid"];
    const std::string kind = thread["verdict"]["kind"];
    if (thread["tid"] == leak) {
      EXPECT_EQ(kind, "survivor");
    } else if (thread["tid"] == target.pid()) {
      EXPECT_EQ(kind, "main_thread");
    } else {
      EXPECT_EQ(kind, "rule") << thread["tid"];
      EXPECT_NE(thread["verdict"]["rule"]["origin"].get<std::string>().find("json.supp:1"), std::string::npos);
    }
  }
  EXPECT_EQ(json["check"]["survivors"], 1);
  EXPECT_EQ(json["check"]["grace_ns"], 0);
  // The document is still a snapshot that a baseline can be made of.
  Snapshot again = parse_snapshot_json(result.out);
  EXPECT_EQ(again.threads.size(), json["threads"].size());
}

TEST(Check, BaselineExcusesSameThreadsOnly) {
  TargetProcess target("leak_and_pool", {"2", "leak"});
  ASSERT_GT(target.pid(), 0);
  auto saved = run_command({STRAY_BINARY, "snapshot", "--json", std::to_string(target.pid())});
  ASSERT_EQ(saved.exit_code(), 0) << saved.err;
  const std::string baseline = write_file("baseline.json", saved.out);

  auto same = check({"--grace", "0ms", "--no-builtin-rules", "--baseline", baseline}, target.pid());
  EXPECT_EQ(same.exit_code(), 0) << same.out << same.err;
  EXPECT_NE(same.out.find("3 threads by the baseline"), std::string::npos) << same.out;

  // A reused tid: the kernel gives a new thread the tid of one that exited,
  // with a later start time. Waiting for the kernel to recycle a tid is
  // slow and unreliable, so the saved baseline is edited instead: the leak
  // tid now names a thread that started one tick before the live one.
  const int leak = std::stoi(target.value("leak_tid"));
  auto json = nlohmann::json::parse(saved.out);
  for (auto& thread : json["threads"]) {
    if (thread["tid"] == leak) thread["start_time"] = thread["start_time"].get<std::uint64_t>() - 1;
  }
  const std::string reused = write_file("reused.json", json.dump());
  auto result = check({"--grace", "0ms", "--no-builtin-rules", "--baseline", reused}, target.pid());
  EXPECT_EQ(result.exit_code(), 1) << result.out << result.err;
  EXPECT_NE(result.out.find("tid " + std::to_string(leak)), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("1 unexpected survivor in 1 group"), std::string::npos) << result.out;
}

TEST(Check, BaselineGroupsCompareCounts) {
  TargetProcess before("leak_and_pool", {"2", "leak"});
  ASSERT_GT(before.pid(), 0);
  auto saved = run_command({STRAY_BINARY, "snapshot", "--json", std::to_string(before.pid())});
  ASSERT_EQ(saved.exit_code(), 0) << saved.err;
  const std::string baseline = write_file("groups.json", saved.out);
  before.kill();

  TargetProcess same_size("leak_and_pool", {"2", "leak"});
  ASSERT_GT(same_size.pid(), 0);
  auto replaced = check({"--grace", "0ms", "--no-builtin-rules", "--baseline", baseline,
                         "--baseline-groups"}, same_size.pid());
  EXPECT_EQ(replaced.exit_code(), 0) << replaced.out << replaced.err;
  auto by_tid = check({"--grace", "0ms", "--no-builtin-rules", "--baseline", baseline}, same_size.pid());
  EXPECT_EQ(by_tid.exit_code(), 1) << "other threads, other tids\n" << by_tid.out;
  EXPECT_NE(by_tid.err.find("use --baseline-groups"), std::string::npos) << by_tid.err;

  TargetProcess grown("leak_and_pool", {"3", "leak"});
  ASSERT_GT(grown.pid(), 0);
  auto result = check({"--grace", "0ms", "--no-builtin-rules", "--baseline", baseline,
                       "--baseline-groups"}, grown.pid());
  EXPECT_EQ(result.exit_code(), 1) << result.out << result.err;
  EXPECT_NE(result.out.find("1 unexpected survivor in 1 group"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("pool_worker"), std::string::npos) << result.out;
}

TEST(Check, GraceLetsStoppingThreadFinish) {
  TargetProcess target("leak_and_pool", {"2", "stopping"});
  ASSERT_GT(target.pid(), 0);
  const int stopping = std::stoi(target.value("stopping_tid"));
  Inspector inspector;

  // Without SIGUSR1 the thread stays, so the check takes the whole grace
  // period, which is one total duration.
  CheckResult waited = check_process(inspector, target.pid(), options_with(kPoolRule, std::chrono::milliseconds(300)));
  EXPECT_EQ(survivor_tids(waited), std::set<int>{stopping});
  EXPECT_GE(waited.duration, std::chrono::milliseconds(300));
  EXPECT_LT(waited.duration, std::chrono::milliseconds(1500));
  EXPECT_GE(waited.rechecks, 3u);

  ASSERT_EQ(::kill(target.pid(), SIGUSR1), 0);
  CheckResult result = check_process(inspector, target.pid(), options_with(kPoolRule, std::chrono::seconds(3)));
  EXPECT_EQ(result.judgement.survivors, 0u);
  EXPECT_GE(result.rechecks, 1u);
  EXPECT_LT(result.duration, std::chrono::seconds(2)) << "the check ends when the thread is gone";
  std::cout << "grace: " << result.rechecks << " re-checks, "
            << std::chrono::duration_cast<std::chrono::milliseconds>(result.duration).count()
            << " ms until the stopping thread was gone\n";
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Check, GraceOnTheCommandLine) {
  TargetProcess target("leak_and_pool", {"1", "stopping"});
  ASSERT_GT(target.pid(), 0);
  const std::string pool_rules = write_file("grace.supp", kPoolRule);
  ASSERT_EQ(::kill(target.pid(), SIGUSR1), 0);
  auto result = check({"--grace", "3s", "--rules", pool_rules}, target.pid());
  EXPECT_EQ(result.exit_code(), 0) << result.out << result.err;
}

TEST(Check, BuiltinRulesExcuseGlibcTimerHelper) {
  TargetProcess target("leak_and_pool", {"1", "timer"});
  ASSERT_GT(target.pid(), 0);
  Inspector inspector;
  Snapshot snapshot = inspector.inspect(target.pid());
  bool named = false;
  for (const Thread& thread : snapshot.threads) {
    for (const Frame& frame : thread.frames) named = named || frame.function == "timer_helper_thread";
  }
  if (!named) GTEST_SKIP() << "libc's timer_helper_thread is not symbolized (no libc debug symbols)";

  const std::string pool_rules = write_file("timer.supp", kPoolRule);
  auto with_builtin = check({"--grace", "0ms", "--rules", pool_rules}, target.pid());
  EXPECT_EQ(with_builtin.exit_code(), 0) << with_builtin.out << with_builtin.err;
  EXPECT_NE(with_builtin.out.find("builtin:glibc-timer-helper"), std::string::npos) << with_builtin.out;
  auto without = check({"--grace", "0ms", "--no-builtin-rules", "--rules", pool_rules}, target.pid());
  EXPECT_EQ(without.exit_code(), 1) << without.out << without.err;
  EXPECT_NE(without.out.find("timer_helper_thread"), std::string::npos) << without.out;
}

TEST(Check, RedisWithExampleRules) {
  if (!test::have_program("redis-server")) GTEST_SKIP() << "redis-server is not installed";
  test::Service redis({"redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--loglevel", "warning"});
  ASSERT_GT(redis.pid(), 0);
  ASSERT_TRUE(redis.wait_for_reply("PING\r\n", "+PONG\r\n")) << "redis-server did not finish starting";
  const std::string rules = std::string(STRAY_SOURCE_DIR) + "/examples/rules/redis.supp";
  auto result = check({"--no-builtin-rules", "--rules", rules}, redis.pid());
  EXPECT_EQ(result.exit_code(), 0) << result.out << result.err;
  auto none = check({"--grace", "0ms", "--no-builtin-rules"}, redis.pid());
  EXPECT_EQ(none.exit_code(), 1) << "without the rules its threads are survivors\n" << none.out;
  EXPECT_EQ(redis.request("PING\r\n", "\r\n"), "+PONG\r\n");
}

TEST(Check, MemcachedWithExampleRules) {
  if (!test::have_program("memcached")) GTEST_SKIP() << "memcached is not installed";
  test::Service memcached({"memcached", "-u", "root", "-l", "127.0.0.1", "-p", "{port}", "-U", "0", "-t", "4"});
  ASSERT_GT(memcached.pid(), 0);
  const std::string rules = std::string(STRAY_SOURCE_DIR) + "/examples/rules/memcached.supp";
  auto result = check({"--no-builtin-rules", "--rules", rules}, memcached.pid());
  EXPECT_EQ(result.exit_code(), 0) << result.out << result.err;
  EXPECT_EQ(memcached.request("version\r\n", "\r\n").rfind("VERSION ", 0), 0u);
}

}  // namespace
}  // namespace stray
