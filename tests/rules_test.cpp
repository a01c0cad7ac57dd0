// The rules-file parser and the glob matcher over demangled names.
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "io/input_file.hpp"
#include "model/function_names.hpp"
#include "rules/glob.hpp"
#include "stray/rules.hpp"

namespace stray {
namespace {

using rules::glob_matches;
using rules::pattern_has_parameters;

TEST(RulesParser, ValidFile) {
  const std::string text =
      "# pool of the job queue\n"
      "\n"
      "start:\"(anonymous namespace)::pool_worker()\" top:*wait_for_job class:condvar max:8  # 8 workers\n"
      "  name:worker-?\tmodule:libfoo.so*\n"
      "any:grpc::*\n";
  std::vector<Rule> rules = parse_rules(text, "app.supp");
  ASSERT_EQ(rules.size(), 3u);

  ASSERT_EQ(rules[0].terms.size(), 3u);
  EXPECT_EQ(rules[0].terms[0].key, RuleKey::start);
  EXPECT_EQ(rules[0].terms[0].pattern, "(anonymous namespace)::pool_worker()");
  EXPECT_EQ(rules[0].terms[1].key, RuleKey::top);
  EXPECT_EQ(rules[0].terms[1].pattern, "*wait_for_job");
  EXPECT_EQ(rules[0].terms[2].key, RuleKey::thread_class);
  EXPECT_EQ(rules[0].terms[2].pattern, "condvar");
  EXPECT_EQ(rules[0].max, std::optional<std::size_t>(8));
  EXPECT_EQ(rules[0].origin, "app.supp:3");

  ASSERT_EQ(rules[1].terms.size(), 2u);
  EXPECT_EQ(rules[1].terms[0].key, RuleKey::name);
  EXPECT_EQ(rules[1].terms[0].pattern, "worker-?");
  EXPECT_EQ(rules[1].terms[1].key, RuleKey::module);
  EXPECT_EQ(rules[1].terms[1].pattern, "libfoo.so*");
  EXPECT_FALSE(rules[1].max.has_value());
  EXPECT_EQ(rules[1].origin, "app.supp:4");

  ASSERT_EQ(rules[2].terms.size(), 1u);
  EXPECT_EQ(rules[2].terms[0].key, RuleKey::any);
  EXPECT_EQ(rules[2].origin, "app.supp:5");
}

TEST(RulesParser, EscapesAndQuotes) {
  std::vector<Rule> rules = parse_rules(
      "top:Vec::operator\\*() name:\"say \\\"hi\\\" # not a comment\" any:a\\ b\\#c\r\n", "f");
  ASSERT_EQ(rules.size(), 1u);
  ASSERT_EQ(rules[0].terms.size(), 3u);
  EXPECT_EQ(rules[0].terms[0].pattern, "Vec::operator\\*()");
  EXPECT_EQ(rules[0].terms[1].pattern, "say \\\"hi\\\" # not a comment");
  EXPECT_EQ(rules[0].terms[2].pattern, "a\\ b\\#c");
  EXPECT_TRUE(glob_matches(rules[0].terms[1].pattern, "say \"hi\" # not a comment"));
  EXPECT_TRUE(glob_matches(rules[0].terms[2].pattern, "a b#c"));
}

TEST(RulesParser, EmptyAndCommentOnlyFiles) {
  EXPECT_TRUE(parse_rules("", "f").empty());
  EXPECT_TRUE(parse_rules("# only a comment\n   \n\t# another\n", "f").empty());
}

struct MalformedCase {
  std::string text;
  std::size_t line;
  std::size_t column;
  std::string message;
};

TEST(RulesParser, QuotedPatternGetsNoQuotingHint) {
  try {
    parse_rules("start:\"(anonymous namespace)::run()\" stray", "bad.supp");
    ADD_FAILURE() << "accepted";
  } catch (const RulesSyntaxError& error) {
    EXPECT_NE(error.message().find("got 'stray'"), std::string::npos) << error.message();
    EXPECT_EQ(error.message().find("double quotes"), std::string::npos) << error.message();
  }
}

TEST(RulesParser, MalformedLines) {
  const std::vector<MalformedCase> cases = {
      {"top", 1, 1, "expected KEY:PATTERN, got 'top'"},
      {"top:a  stray", 1, 8, "expected KEY:PATTERN, got 'stray'"},
      {"tpo:foo", 1, 1, "unknown key 'tpo', expected one of top, any, start, name, class, module, max"},
      {"TOP:foo", 1, 1, "unknown key 'TOP'"},
      {":foo", 1, 1, "expected a key before ':'"},
      {"top:", 1, 5, "expected a pattern after 'top:'"},
      {"top: any:x", 1, 5, "expected a pattern after 'top:'"},
      {"top:\"\"", 1, 5, "expected a pattern after 'top:'"},
      {"name:\"abc", 1, 6, "expected a closing '\"' for the quote opened here"},
      {"top:\"a\"b", 1, 8, "expected whitespace after the closing '\"'"},
      {"top:a\"b", 1, 6, "expected '\"' only at the start of a pattern"},
      {"top:abc\\", 1, 8, "expected a character after '\\'"},
      {"top:a max:0", 1, 11, "expected a thread count from 1 to 1000000 after 'max:', got '0'"},
      {"top:a max:x", 1, 11, "got 'x'"},
      {"top:a max:-1", 1, 11, "got '-1'"},
      {"top:a max:99999999999999999999", 1, 11, "got '99999999999999999999'"},
      {"top:a max:2 max:3", 1, 13, "duplicate 'max:' in one rule"},
      {"max:3", 1, 1, "expected at least one KEY:PATTERN term besides 'max:'"},
      {"class:condvra", 1, 7, "unknown class 'condvra', expected one of running, mutex"},
      {"top:a\n# fine\n\n  tpo:b", 4, 3, "unknown key 'tpo'"},
      {"start:(anonymous namespace)::run()", 1, 18,
       "unknown key 'namespace)', expected one of top, any, start, name, class, module, max; if the "
       "pattern of 'start:(anonymous' goes on after a space, put the whole pattern in double quotes"},
      {"name:foo bar", 1, 10, "got 'bar'; if the pattern of 'name:foo' goes on after a space"},
  };
  for (const MalformedCase& c : cases) {
    try {
      parse_rules(c.text, "bad.supp");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const RulesSyntaxError& error) {
      EXPECT_EQ(error.file(), "bad.supp") << c.text;
      EXPECT_EQ(error.line(), c.line) << c.text;
      EXPECT_EQ(error.column(), c.column) << c.text;
      EXPECT_NE(error.message().find(c.message), std::string::npos) << c.text << "\n" << error.message();
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << c.text;
      const std::string position =
          "bad.supp:" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ";
      EXPECT_EQ(std::string(error.what()).rfind(position, 0), 0u) << error.what();
    }
  }
}

TEST(RulesParser, ClassGlobIsNotValidated) {
  std::vector<Rule> rules = parse_rules("class:*wait*", "f");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].terms[0].pattern, "*wait*");
}

TEST(RulesParser, MissingFileIsInvalidInput) {
  try {
    load_rules_file("/nonexistent/stray.supp");
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("/nonexistent/stray.supp"), std::string::npos);
  }
}

TEST(RulesParser, MessagesEscapeControlBytes) {
  const std::vector<MalformedCase> cases = {
      {"tp\x1b[31m:x", 1, 1, "unknown key 'tp\\x1b[31m', expected one of"},
      {"\x1b]0;title\x07", 1, 1, "expected KEY:PATTERN, got '\\x1b]0;title\\x07'"},
      {"top:a max:\x07", 1, 11, "after 'max:', got '\\x07'"},
      {"class:cond\x9bvar", 1, 7, "unknown class 'cond\\x9bvar'"},
      {"class:\xe2\x80\xae" "condvar", 1, 7, "unknown class '\\xe2\\x80\\xaecondvar'"},
  };
  for (const MalformedCase& c : cases) {
    try {
      parse_rules(c.text, "bad\x1b[2J.supp");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const RulesSyntaxError& error) {
      const std::string full_message = error.what();
      EXPECT_NE(error.message().find(c.message), std::string::npos) << error.message();
      EXPECT_EQ(full_message.rfind("bad\\x1b[2J.supp:1:", 0), 0u) << full_message;
      EXPECT_EQ(full_message.find('\x1b'), std::string::npos) << full_message;
      EXPECT_EQ(full_message.find('\x07'), std::string::npos) << full_message;
      EXPECT_EQ(full_message.find("\xe2\x80\xae"), std::string::npos) << full_message;
      EXPECT_EQ(error.file(), "bad\x1b[2J.supp") << "file() keeps the raw name";
    }
  }
}

TEST(RulesParser, LongTextIsCutInMessages) {
  const std::string key(100'000, 'k');
  try {
    parse_rules(key + "\n", "long.supp");
    ADD_FAILURE() << "accepted a line without ':'";
  } catch (const RulesSyntaxError& error) {
    EXPECT_LT(error.message().size(), 400u) << error.message().substr(0, 400);
    EXPECT_NE(error.message().find("[truncated, 100000 bytes]"), std::string::npos);
  }
}

// A file of zeros, made sparse so that creating it costs nothing.
std::string sparse_file(const std::string& name, off_t size) {
  const std::string path = testing::TempDir() + "stray_rules_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream{path};
  EXPECT_EQ(::truncate(path.c_str(), size), 0) << path;
  return path;
}

TEST(RulesParser, OversizedFileIsRejected) {
  const auto limit = static_cast<off_t>(io::kMaxRulesFileBytes);
  const std::string too_large = sparse_file("too_large.supp", limit + 1);
  try {
    load_rules_file(too_large);
    ADD_FAILURE() << "a file over the limit was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("rules file " + too_large + ": larger than 64 MiB"),
              std::string::npos)
        << error.what();
  }

  const std::string at_limit = sparse_file("at_limit.supp", limit);
  try {
    load_rules_file(at_limit);
    ADD_FAILURE() << "a line of zero bytes was accepted";
  } catch (const RulesSyntaxError& error) {
    EXPECT_NE(error.message().find("expected KEY:PATTERN"), std::string::npos)
        << "a file of exactly the limit is read and parsed: " << error.message().substr(0, 200);
  }
  std::remove(too_large.c_str());
  std::remove(at_limit.c_str());
}

TEST(RulesParser, FormatRoundTrips) {
  const std::string text =
      "start:\"(anonymous namespace)::f(int, char)\" top:a\\*b name:\"x \\\"y\\\"\" class:epoll max:3\n"
      "any:\"#hash\" module:/usr/lib/libz.so*\n";
  std::vector<Rule> rules = parse_rules(text, "f");
  ASSERT_EQ(rules.size(), 2u);
  for (const Rule& rule : rules) {
    std::vector<Rule> again = parse_rules(format_rule(rule), "g");
    ASSERT_EQ(again.size(), 1u) << format_rule(rule);
    ASSERT_EQ(again[0].terms.size(), rule.terms.size()) << format_rule(rule);
    for (std::size_t i = 0; i < rule.terms.size(); ++i) {
      EXPECT_EQ(again[0].terms[i].key, rule.terms[i].key) << format_rule(rule);
      EXPECT_EQ(again[0].terms[i].pattern, rule.terms[i].pattern) << format_rule(rule);
    }
    EXPECT_EQ(again[0].max, rule.max);
  }
  EXPECT_EQ(format_rule(rules[0]),
            "start:\"(anonymous namespace)::f(int, char)\" top:a\\*b name:\"x \\\"y\\\"\" class:epoll max:3");
}

TEST(RulesParser, BuiltinRulesParse) {
  const std::vector<Rule>& rules = builtin_rules();
  ASSERT_FALSE(rules.empty());
  for (const Rule& rule : rules) {
    EXPECT_EQ(rule.origin.rfind("builtin:", 0), 0u) << rule.origin;
    EXPECT_FALSE(rule.terms.empty()) << rule.origin;
  }
}

TEST(Glob, Wildcards) {
  EXPECT_TRUE(glob_matches("grpc::*", "grpc::Server::Run"));
  EXPECT_TRUE(glob_matches("*", ""));
  EXPECT_TRUE(glob_matches("a*b*c", "a__b__c"));
  EXPECT_TRUE(glob_matches("worker-?", "worker-7"));
  EXPECT_FALSE(glob_matches("worker-?", "worker-17"));
  EXPECT_FALSE(glob_matches("grpc::*", "xgrpc::Server"));
  EXPECT_FALSE(glob_matches("abc", "abcd"));
  EXPECT_TRUE(glob_matches("*::run", "ns::Task<int>::run"));
  EXPECT_FALSE(glob_matches("*::run", "ns::Task<int>::run2"));
}

TEST(Glob, EscapesAndBrackets) {
  EXPECT_TRUE(glob_matches("operator\\*", "operator*"));
  EXPECT_FALSE(glob_matches("operator\\*", "operator*="));
  EXPECT_TRUE(glob_matches("a\\?", "a?"));
  EXPECT_FALSE(glob_matches("a\\?", "ab"));
  EXPECT_TRUE(glob_matches("operator[]", "operator[]"));
  EXPECT_TRUE(glob_matches(rules::escape_glob("f<*?\\>"), "f<*?\\>"));
  EXPECT_FALSE(glob_matches(rules::escape_glob("f*"), "fx"));
}

TEST(Glob, QualifiedName) {
  EXPECT_EQ(qualified_name("worker_main"), "worker_main");
  EXPECT_EQ(qualified_name("ns::Pool::run(int) const"), "ns::Pool::run");
  EXPECT_EQ(qualified_name("(anonymous namespace)::park()"), "(anonymous namespace)::park");
  EXPECT_EQ(qualified_name("void std::__invoke_impl<void, F>(std::__invoke_other, F&&)"),
            "std::__invoke_impl<void, F>");
  EXPECT_EQ(qualified_name("std::vector<int, std::allocator<int> >::push_back(int const&)"),
            "std::vector<int, std::allocator<int> >::push_back");
  EXPECT_EQ(qualified_name("Task::operator()() const"), "Task::operator()");
  EXPECT_EQ(qualified_name("bool operator<<int>(A<int> const&, A<int> const&)"), "operator<<int>");
  EXPECT_EQ(qualified_name("Stream::operator<<(int)"), "Stream::operator<<");
  EXPECT_EQ(qualified_name("operator new(unsigned long)"), "operator new");
  EXPECT_EQ(qualified_name("Wrapper::operator int() const"), "Wrapper::operator int");
  EXPECT_EQ(qualified_name("main::{lambda()#1}::operator()() const"), "main::{lambda()#1}::operator()");
  EXPECT_EQ(qualified_name("fill(char*) [clone .cold]"), "fill");
  EXPECT_EQ(qualified_name("bool std::operator< <char>(std::string const&, std::string const&)"),
            "std::operator< <char>");
  EXPECT_EQ(qualified_name("Wrapper::operator unsigned long() const"),
            "Wrapper::operator unsigned long");
  EXPECT_EQ(qualified_name("char const* name_of(int)"), "name_of");
  EXPECT_EQ(qualified_name("decltype ({parm#1}()) call<F>(F)"), "call<F>");
}

// Local entities carry the parameter list of the function around them,
// which is part of the name, and a template function's return type may
// name the same lambdas as its template arguments.
TEST(Glob, QualifiedNameOfLocalEntities) {
  EXPECT_EQ(qualified_name("f(int)::{lambda()#1}::operator()() const"),
            "f(int)::{lambda()#1}::operator()");
  EXPECT_EQ(qualified_name("void run<int>(int)::{lambda()#1}::operator()() const"),
            "run<int>(int)::{lambda()#1}::operator()");
  EXPECT_EQ(qualified_name("main::{lambda()#1}::operator()() const::{lambda()#1}::operator()() const"),
            "main::{lambda()#1}::operator()() const::{lambda()#1}::operator()");
  EXPECT_EQ(qualified_name("void std::condition_variable::wait<main::{lambda()#1}::operator()() "
                           "const::{lambda()#1}>(std::unique_lock<std::mutex>&, "
                           "main::{lambda()#1}::operator()() const::{lambda()#1})"),
            "std::condition_variable::wait<main::{lambda()#1}::operator()() const::{lambda()#1}>");
  EXPECT_EQ(qualified_name("std::__invoke_result<main::{lambda()#1}>::type "
                           "std::__invoke<main::{lambda()#1}>(main::{lambda()#1}&&)"),
            "std::__invoke<main::{lambda()#1}>");
  EXPECT_EQ(qualified_name("(anonymous namespace)::Pool::Pool(int)::{lambda()#1}::operator()() const"),
            "(anonymous namespace)::Pool::Pool(int)::{lambda()#1}::operator()");
}

TEST(Glob, ParameterListDetection) {
  EXPECT_FALSE(pattern_has_parameters("ns::*"));
  EXPECT_FALSE(pattern_has_parameters("(anonymous namespace)::park"));
  EXPECT_TRUE(pattern_has_parameters("(anonymous namespace)::park()"));
  EXPECT_TRUE(pattern_has_parameters("run(int*"));
  EXPECT_FALSE(pattern_has_parameters("Task::operator()"));
  EXPECT_FALSE(pattern_has_parameters("main::{lambda()#1}::operator()"));
  EXPECT_FALSE(pattern_has_parameters("f(int)::{lambda()#1}::operator()"));
  EXPECT_TRUE(pattern_has_parameters("main::{lambda()#1}::operator()() const"));
  EXPECT_TRUE(pattern_has_parameters("*::operator()(int)"));
}

// A survivor with one frame of its own, which is its start routine and top frame.
Thread survivor(int tid, const std::string& name, const std::string& function) {
  Thread thread;
  thread.tid = tid;
  thread.name = name;
  thread.thread_class = ThreadClass::read;
  Frame frame;
  frame.function = function;
  frame.module = "/opt/app/bin/very_long_program_name";
  thread.frames = {frame};
  thread.start_routine = 0;
  thread.top_frame = 0;
  return thread;
}

// The name term of the generated rule that excuses `tid`, or "" when it has none.
std::string generated_name_term(const std::vector<Rule>& rules, const Snapshot& snapshot, int tid) {
  for (const Thread& thread : snapshot.threads) {
    if (thread.tid != tid) continue;
    for (const Rule& rule : rules) {
      if (!rule_matches(rule, thread)) continue;
      for (const RuleTerm& term : rule.terms) {
        if (term.key == RuleKey::name) return term.pattern;
      }
      return "";
    }
  }
  ADD_FAILURE() << "no generated rule matches tid " << tid;
  return "";
}

TEST(GeneratedRules, NameTermOnlyForOwnNames) {
  Snapshot snapshot;
  snapshot.pid = 100;
  snapshot.comm = "renamed_main";
  snapshot.exe = "/opt/app/bin/very_long_program_name (deleted)";
  snapshot.threads = {
      survivor(101, "renamed_main", "inherits_the_process_name()"),
      survivor(102, "very_long_progr", "inherits_the_executable_name()"),
      survivor(103, "logger", "names_itself()"),
  };
  Judgement judgement;
  judgement.verdicts.assign(snapshot.threads.size(), ThreadVerdict{VerdictKind::survivor, std::nullopt});
  judgement.survivors = snapshot.threads.size();

  const std::vector<Rule> rules = generate_rules(snapshot, judgement);
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(generated_name_term(rules, snapshot, 101), "") << "the process name";
  EXPECT_EQ(generated_name_term(rules, snapshot, 102), "") << "the executable's name cut to 15 bytes";
  EXPECT_EQ(generated_name_term(rules, snapshot, 103), "logger");
}

// An optimized build names a function "[clone .isra.0]" and may show
// another return type; the rule generated from it must match the plain
// build's name.
TEST(GeneratedRules, NamesFramesByQualifiedName) {
  Snapshot snapshot;
  snapshot.pid = 100;
  snapshot.comm = "app";
  snapshot.threads = {survivor(101, "app", "void run_job<int>(int) [clone .isra.0]")};
  Judgement judgement;
  judgement.verdicts = {ThreadVerdict{VerdictKind::survivor, std::nullopt}};
  judgement.survivors = 1;

  const std::vector<Rule> rules = generate_rules(snapshot, judgement);
  ASSERT_EQ(rules.size(), 1u);
  ASSERT_FALSE(rules[0].terms.empty());
  EXPECT_EQ(rules[0].terms[0].key, RuleKey::start);
  EXPECT_EQ(rules[0].terms[0].pattern, "run_job<int>");
  Thread unoptimized = survivor(101, "app", "std::size_t run_job<int>(int)");
  EXPECT_TRUE(rule_matches(rules[0], unoptimized)) << format_rule(rules[0]);
}

}  // namespace
}  // namespace stray
