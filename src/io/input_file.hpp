// Reading the files a user passes to stray (rules files, baselines, series)
// with a size limit, so that `--rules /dev/zero` fails at once instead of
// filling memory.
#pragma once

#include <cstddef>
#include <string>

namespace stray::io {

// Maximum size of a rules file.
inline constexpr std::size_t kMaxRulesFileBytes = std::size_t{64} << 20;
// Maximum size of a baseline. `stray snapshot --json` writes about 10 KB per
// thread with 20 frames, so this fits about 25,000 such threads.
inline constexpr std::size_t kMaxBaselineBytes = std::size_t{256} << 20;
// Maximum length of one line of a series file. A series as a whole has no
// limit, because a long watch writes many lines and they are read one by one.
inline constexpr std::size_t kMaxSeriesLineBytes = std::size_t{64} << 20;

// "64 MiB" for a limit above.
std::string format_size_limit(std::size_t bytes);

// An open input file. Every error is a stray::Error(invalid_input) whose
// message starts with the description, such as "rules file app.supp: ".
class InputFile {
 public:
  // Opens `path` for reading. `kind` ("rules file", "baseline") starts the
  // description in messages.
  InputFile(const std::string& path, const std::string& kind);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Appends up to `max_bytes` bytes to `text` and returns how many were
  // read, or 0 at the end of the file.
  std::size_t read_some(std::string& text, std::size_t max_bytes);

  // Throws stray::Error(invalid_input) with the description and `problem`.
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  std::string description_;  // kind and escaped path
  int fd_ = -1;
};

// Reads the whole file, failing when it is larger than `max_bytes`.
std::string read_input_file(const std::string& path, const std::string& kind, std::size_t max_bytes);

}  // namespace stray::io
