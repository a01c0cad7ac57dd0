// Renders a Snapshot: grouped text for people, versioned JSON for programs.
#pragma once

#include <ostream>
#include <set>

#include <nlohmann/json.hpp>

#include "stray/model.hpp"

namespace stray {

// Version of the JSON schema documented in docs/json.md. Raise it when a
// field changes meaning or disappears; adding a field keeps it.
inline constexpr int kJsonSchemaVersion = 1;

struct TextOptions {
  bool show_addresses = false;  // also print each frame's pc
};

// Writes the header (pid, exe, thread count, freeze duration) and the
// threads grouped by class and stack, each group once with count, tids and
// names.
void write_text(std::ostream& out, const Snapshot& snapshot, const TextOptions& options = {});

nlohmann::json to_json(const Snapshot& snapshot);
// Reads back what to_json wrote. Throws stray::Error(invalid_input) naming
// the offending field.
Snapshot snapshot_from_json(const nlohmann::json& json);

}  // namespace stray
