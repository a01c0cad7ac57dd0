// Reading a baseline snapshot from a file.
#include "io/input_file.hpp"
#include "report/escape.hpp"
#include "report/report.hpp"
#include "stray/rules.hpp"

namespace stray {

Baseline load_baseline(const std::string& path, bool by_group) {
  const std::string text = io::read_input_file(path, "baseline", io::kMaxBaselineBytes);
  try {
    return Baseline{parse_snapshot_json(text), by_group};
  } catch (const Error& error) {
    throw Error(ErrorKind::invalid_input, "baseline " + escape_text(path) + ": " + error.what());
  }
}

}  // namespace stray
