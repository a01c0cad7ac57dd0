// Reading a baseline snapshot from a file.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "report/report.hpp"
#include "stray/rules.hpp"

namespace stray {

Baseline load_baseline(const std::string& path, bool by_group) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw Error(ErrorKind::invalid_input,
                "baseline " + path + ": cannot be opened: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  try {
    return Baseline{parse_snapshot_json(text.str()), by_group};
  } catch (const Error& error) {
    throw Error(ErrorKind::invalid_input, "baseline " + path + ": " + error.what());
  }
}

}  // namespace stray
