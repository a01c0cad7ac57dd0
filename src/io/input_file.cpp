#include "io/input_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "report/escape.hpp"
#include "stray/error.hpp"

namespace stray::io {

namespace {

constexpr std::size_t kReadChunkBytes = std::size_t{1} << 20;

}  // namespace

std::string format_size_limit(std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

InputFile::InputFile(const std::string& path, const std::string& kind)
    : description_(kind + " " + escape_text(path)) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(std::string("cannot be opened: ") + std::strerror(errno));
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t InputFile::read_some(std::string& text, std::size_t max_bytes) {
  const std::size_t old_size = text.size();
  text.resize(old_size + max_bytes);
  ssize_t count = -1;
  do {
    count = ::read(fd_, text.data() + old_size, max_bytes);
  } while (count < 0 && errno == EINTR);
  if (count < 0) {
    const int error = errno;
    text.resize(old_size);
    fail(std::string("read failed: ") + std::strerror(error));
  }
  text.resize(old_size + static_cast<std::size_t>(count));
  return static_cast<std::size_t>(count);
}

void InputFile::fail(const std::string& problem) const {
  throw Error(ErrorKind::invalid_input, description_ + ": " + problem);
}

std::string read_input_file(const std::string& path, const std::string& kind, std::size_t max_bytes) {
  InputFile file(path, kind);
  std::string text;
  // Reading one byte past the limit distinguishes a file of exactly
  // max_bytes from a larger one.
  while (text.size() <= max_bytes) {
    const std::size_t chunk_size = std::min(kReadChunkBytes, max_bytes + 1 - text.size());
    if (file.read_some(text, chunk_size) == 0) return text;
  }
  file.fail("larger than " + format_size_limit(max_bytes) + ", the maximum size of a " + kind);
}

}  // namespace stray::io
