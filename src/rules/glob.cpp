#include "rules/glob.hpp"

#include <vector>

namespace stray::rules {

namespace {

constexpr std::string_view kAnonymousNamespace = "(anonymous namespace)";
constexpr std::string_view kOperator = "operator";

enum class TokenKind { literal, any_char, any_run };

struct Token {
  TokenKind kind = TokenKind::literal;
  char literal = 0;
};

// A trailing lone '\' is taken literally; the rules parser rejects it
// before a pattern gets here.
std::vector<Token> tokenize(std::string_view pattern) {
  std::vector<Token> tokens;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      tokens.push_back({TokenKind::literal, pattern[++i]});
    } else if (c == '*') {
      tokens.push_back({TokenKind::any_run, 0});
    } else if (c == '?') {
      tokens.push_back({TokenKind::any_char, 0});
    } else {
      tokens.push_back({TokenKind::literal, c});
    }
  }
  return tokens;
}

bool token_matches(const Token& token, char c) {
  return token.kind == TokenKind::any_char || (token.kind == TokenKind::literal && token.literal == c);
}

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_operator_symbol(char c) {
  return std::string_view("+-*/%^&|~!=<>,[]").find(c) != std::string_view::npos;
}

// Length of an operator name's symbols after "operator" at `at`: 2 for
// "()", the run of symbol characters for "<<=" or "->*", 0 for a word
// operator such as "operator new" or a conversion.
std::size_t operator_symbols_length(std::string_view name, std::size_t at) {
  if (name.substr(at, 2) == "()") return 2;
  std::size_t end = at;
  while (end < name.size() && is_operator_symbol(name[end])) ++end;
  return end - at;
}

bool starts_operator(std::string_view name, std::size_t at) {
  if (name.substr(at, kOperator.size()) != kOperator) return false;
  if (at > 0 && is_identifier_char(name[at - 1])) return false;
  std::size_t next = at + kOperator.size();
  return next >= name.size() || !is_identifier_char(name[next]);
}

// Calls visit(index) for each character of `name` outside brackets of any
// kind. "(anonymous namespace)" and an operator's symbols ("operator<",
// "operator()") are skipped whole, so their brackets do not count.
template <typename Visit>
void visit_top_level(std::string_view name, Visit visit) {
  int depth = 0;
  for (std::size_t i = 0; i < name.size();) {
    if (name.substr(i, kAnonymousNamespace.size()) == kAnonymousNamespace) {
      i += kAnonymousNamespace.size();
      continue;
    }
    if (starts_operator(name, i)) {
      i += kOperator.size();
      i += operator_symbols_length(name, i);
      continue;
    }
    char c = name[i];
    if (c == '<' || c == '(' || c == '{' || c == '[') {
      if (depth == 0 && !visit(i)) return;
      ++depth;
    } else if (c == '>' || c == ')' || c == '}' || c == ']') {
      if (depth > 0) --depth;
    } else if (depth == 0 && !visit(i)) {
      return;
    }
    ++i;
  }
}

bool preceded_by_operator(std::string_view name, std::size_t space) {
  return space >= kOperator.size() &&
         name.substr(space - kOperator.size(), kOperator.size()) == kOperator;
}

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view text) {
  const std::vector<Token> tokens = tokenize(pattern);
  std::size_t t = 0;  // next token
  std::size_t s = 0;  // next text character
  std::size_t star_token = std::string_view::npos;
  std::size_t star_text = 0;
  while (s < text.size()) {
    if (t < tokens.size() && tokens[t].kind == TokenKind::any_run) {
      star_token = t++;
      star_text = s;
    } else if (t < tokens.size() && token_matches(tokens[t], text[s])) {
      ++t;
      ++s;
    } else if (star_token != std::string_view::npos) {
      // Let the last '*' take one more character and retry after it.
      t = star_token + 1;
      s = ++star_text;
    } else {
      return false;
    }
  }
  while (t < tokens.size() && tokens[t].kind == TokenKind::any_run) ++t;
  return t == tokens.size();
}

std::string escape_glob(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (c == '*' || c == '?' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

std::string_view qualified_name(std::string_view demangled) {
  std::size_t parameters = std::string_view::npos;
  visit_top_level(demangled, [&](std::size_t i) {
    if (demangled[i] != '(') return true;
    parameters = i;
    return false;
  });
  std::string_view name = demangled.substr(0, parameters);

  std::size_t start = 0;
  visit_top_level(name, [&](std::size_t i) {
    if (name[i] == ' ' && !preceded_by_operator(name, i)) start = i + 1;
    return true;
  });
  return name.substr(start);
}

bool pattern_has_parameters(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.substr(i, kAnonymousNamespace.size()) == kAnonymousNamespace) {
      i += kAnonymousNamespace.size() - 1;
    } else if (pattern[i] == '(') {
      return true;
    }
  }
  return false;
}

}  // namespace stray::rules
