// JSON Lines form of the series: writing one record per line, and reading
// a whole file back. The format is documented in docs/series.md.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "watch/series.hpp"

namespace stray::watch {

// One JSON object per record, each with a "type" field. Strings from the
// target go through to_valid_utf8, so any byte sequence survives the trip.
nlohmann::json header_to_json(const SeriesHeader& header);
nlohmann::json sample_to_json(const SeriesSample& sample);
nlohmann::json alert_to_json(const SeriesAlert& alert);
nlohmann::json end_to_json(const SeriesEnd& end);

// Parses the text of a series file. Throws stray::Error(invalid_input)
// naming the line and field when the header is missing, the schema or
// version is not this one, or a line is malformed. An incomplete last line
// (no newline at the end, as when stray was killed mid-write) is skipped
// with a warning. Record types this version does not know are skipped.
Series parse_series(std::string_view text);

// Reads and parses a series file; a file that cannot be read throws
// stray::Error(invalid_input) with the path and the cause.
Series read_series_file(const std::string& path);

// Appends records to a series file, one complete line each, flushed after
// every line, so a reader never sees half a record unless stray is killed
// in the middle of a write.
class SeriesWriter {
 public:
  // Creates or truncates `path`. Throws stray::Error(invalid_input) when it
  // cannot be opened.
  explicit SeriesWriter(const std::string& path);
  ~SeriesWriter();
  SeriesWriter(const SeriesWriter&) = delete;
  SeriesWriter& operator=(const SeriesWriter&) = delete;

  // Throws stray::Error(system) when the write fails (a full disk).
  void write(const nlohmann::json& record);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace stray::watch
