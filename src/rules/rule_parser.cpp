// The rules-file parser. One rule per line, made of whitespace-separated
// KEY:PATTERN terms; '#' outside a quoted pattern starts a comment. The
// format is documented in docs/rules.md.
#include "io/input_file.hpp"
#include "report/escape.hpp"
#include "rules/rule_syntax.hpp"
#include "stray/rules.hpp"

namespace stray {

namespace {

// Upper bound of max:, far above any real thread count, so that a typo
// with extra digits is reported instead of silently meaning "unlimited".
constexpr std::size_t kMaxThreadCount = 1'000'000;

// Bytes of a key or pattern quoted in an error message. The rest is cut, so
// that a long line does not make a long message.
constexpr std::size_t kMaxQuotedBytes = 200;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool has_glob_characters(std::string_view pattern) {
  return pattern.find_first_of("*?\\") != std::string_view::npos;
}

std::string class_name_list() {
  std::string list;
  for (int i = 0; i <= static_cast<int>(ThreadClass::unknown); ++i) {
    if (!list.empty()) list += ", ";
    list += to_string(static_cast<ThreadClass>(i));
  }
  return list;
}

// Reads the terms of one line. Positions are 0-based here; errors report
// them 1-based.
class LineParser {
 public:
  LineParser(std::string_view line, const std::string& file, std::size_t line_number)
      : line_(line), file_(file), line_number_(line_number) {}

  // The rule on this line, or nullopt for a blank or comment line.
  std::optional<Rule> parse() {
    Rule rule;
    std::size_t max_column = 0;
    while (skip_spaces()) {
      const std::size_t term_start = pos_;
      const std::string key = read_key();
      const std::size_t pattern_start = pos_;
      const std::string pattern = read_pattern(key);
      previous_term_ = key + ':' + std::string(line_.substr(pattern_start, pos_ - pattern_start));
      previous_bare_ = line_[pattern_start] != '"';
      if (key == "max") {
        if (rule.max) fail(term_start, "duplicate 'max:' in one rule");
        rule.max = parse_max(pattern, pattern_start);
        max_column = term_start;
        continue;
      }
      RuleKey rule_key = *rules::rule_key_from_string(key);
      if (rule_key == RuleKey::thread_class) check_class(pattern, pattern_start);
      rule.terms.push_back(RuleTerm{rule_key, pattern});
    }
    if (rule.terms.empty() && !rule.max) return std::nullopt;
    if (rule.terms.empty()) fail(max_column, "expected at least one KEY:PATTERN term besides 'max:'");
    rule.origin = file_ + ':' + std::to_string(line_number_);
    return rule;
  }

 private:
  [[noreturn]] void fail(std::size_t position, const std::string& message) const {
    throw RulesSyntaxError(file_, line_number_, position + 1, message);
  }

  // Text from the file, escaped like target strings in the text report, so
  // that control bytes in the file cannot act on the terminal.
  static std::string quote(std::string_view text) { return escape_text(cap_length(text, kMaxQuotedBytes)); }

  // Names such as "(anonymous namespace)::run()" contain spaces, so a
  // pattern copied from a report without quotes splits into two terms, and
  // the second one fails. Returns advice for that case.
  std::string quoting_hint() const {
    if (!previous_bare_) return {};
    return "; if the pattern of '" + quote(previous_term_) +
           "' goes on after a space, put the whole pattern in double quotes";
  }

  // Skips whitespace; false at the end of the line or at a comment.
  bool skip_spaces() {
    while (pos_ < line_.size() && is_space(line_[pos_])) ++pos_;
    return pos_ < line_.size() && line_[pos_] != '#';
  }

  std::string read_key() {
    const std::size_t start = pos_;
    while (pos_ < line_.size() && line_[pos_] != ':' && !is_space(line_[pos_]) && line_[pos_] != '#') {
      ++pos_;
    }
    const std::string key(line_.substr(start, pos_ - start));
    if (pos_ >= line_.size() || line_[pos_] != ':') {
      fail(start, "expected KEY:PATTERN, got '" + quote(key) + "'" + quoting_hint());
    }
    if (key.empty()) fail(start, "expected a key before ':' (one of " + std::string(rules::rule_key_list()) + ")");
    if (key != "max" && !rules::rule_key_from_string(key)) {
      fail(start, "unknown key '" + quote(key) + "', expected one of " + rules::rule_key_list() + quoting_hint());
    }
    ++pos_;  // the ':'
    return key;
  }

  std::string read_pattern(const std::string& key) {
    const std::size_t start = pos_;
    std::string pattern = pos_ < line_.size() && line_[pos_] == '"' ? read_quoted() : read_bare();
    if (pattern.empty()) fail(start, "expected a pattern after '" + key + ":'");
    return pattern;
  }

  // Keeps each backslash with the character after it; the glob resolves it.
  void take_escape(std::string& pattern) {
    if (pos_ + 1 >= line_.size()) fail(pos_, "expected a character after '\\'");
    pattern += line_[pos_++];
    pattern += line_[pos_++];
  }

  std::string read_bare() {
    std::string pattern;
    while (pos_ < line_.size() && !is_space(line_[pos_]) && line_[pos_] != '#') {
      if (line_[pos_] == '\\') {
        take_escape(pattern);
      } else if (line_[pos_] == '"') {
        fail(pos_, "expected '\"' only at the start of a pattern (write \\\" for a literal quote)");
      } else {
        pattern += line_[pos_++];
      }
    }
    return pattern;
  }

  std::string read_quoted() {
    const std::size_t open = pos_++;
    std::string pattern;
    while (pos_ < line_.size() && line_[pos_] != '"') {
      if (line_[pos_] == '\\') {
        take_escape(pattern);
      } else {
        pattern += line_[pos_++];
      }
    }
    if (pos_ >= line_.size()) fail(open, "expected a closing '\"' for the quote opened here");
    ++pos_;  // the closing quote
    if (pos_ < line_.size() && !is_space(line_[pos_]) && line_[pos_] != '#') {
      fail(pos_, "expected whitespace after the closing '\"'");
    }
    return pattern;
  }

  std::size_t parse_max(const std::string& text, std::size_t position) const {
    const std::string expected = "expected a thread count from 1 to " +
                                 std::to_string(kMaxThreadCount) + " after 'max:', got '" + quote(text) + "'";
    if (text.size() > 7 || text.find_first_not_of("0123456789") != std::string::npos) {
      fail(position, expected);
    }
    const std::size_t count = std::stoul(text);
    if (count < 1 || count > kMaxThreadCount) fail(position, expected);
    return count;
  }

  void check_class(const std::string& pattern, std::size_t position) const {
    if (has_glob_characters(pattern) || thread_class_from_string(pattern)) return;
    fail(position, "unknown class '" + quote(pattern) + "', expected one of " + class_name_list());
  }

  std::string_view line_;
  const std::string& file_;
  std::size_t line_number_;
  std::size_t pos_ = 0;
  // The text of the term before the current one, and whether its pattern
  // was bare (unquoted).
  std::string previous_term_;
  bool previous_bare_ = false;
};

}  // namespace

RulesSyntaxError::RulesSyntaxError(std::string file, std::size_t line, std::size_t column,
                                   std::string message)
    : Error(ErrorKind::invalid_input,
            escape_text(file) + ':' + std::to_string(line) + ':' + std::to_string(column) + ": " +
                message),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(std::move(message)) {}

std::vector<Rule> parse_rules(std::string_view text, const std::string& file) {
  std::vector<Rule> rules;
  std::size_t line_number = 0;
  while (!text.empty() || line_number == 0) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (std::optional<Rule> rule = LineParser(line, file, line_number).parse()) {
      rules.push_back(std::move(*rule));
    }
  }
  return rules;
}

std::vector<Rule> load_rules_file(const std::string& path) {
  return parse_rules(io::read_input_file(path, "rules file", io::kMaxRulesFileBytes), path);
}

}  // namespace stray
