// libFuzzer target for the JSON snapshot reader, which reads files a user
// passes in (baselines, saved snapshots). Any input must either parse or
// throw stray::Error; any other exception or crash is a finding. A parsed
// snapshot must write and read back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "report/report.hpp"
#include "stray/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  stray::Snapshot snapshot;
  try {
    snapshot = stray::parse_snapshot_json(text);
  } catch (const stray::Error&) {
    return 0;
  }
  nlohmann::json written = stray::to_json(snapshot);
  stray::Snapshot again = stray::parse_snapshot_json(written.dump());
  if (stray::to_json(again) != written) std::abort();
  return 0;
}
