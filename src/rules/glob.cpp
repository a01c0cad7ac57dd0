#include "rules/glob.hpp"

#include <vector>

#include "model/function_names.hpp"

namespace stray::rules {

namespace {


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

bool pattern_has_parameters(std::string_view pattern) { return has_parameter_list(pattern); }

}  // namespace stray::rules
