// Typed, path-aware access to the fields of a snapshot JSON document. Every
// function throws stray::Error(invalid_input) with a message such as
// "invalid snapshot JSON: threads[2].tid: expected a positive integer, got
// -5", and never lets a nlohmann::json exception escape.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "stray/error.hpp"
#include "stray/model.hpp"

namespace stray::json_fields {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& expected, const json& value);
[[noreturn]] void fail_missing(const std::string& path, const std::string& expected);

// "threads[2]" + "tid" -> "threads[2].tid".
std::string child_path(const std::string& path, const char* key);
std::string element_path(const std::string& path, std::size_t index);

// Requires `value` to be an object and returns its field `key` or nullptr.
const json* find_field(const json& value, const std::string& path, const char* key);
// Like find_field, but a missing field fails with `expected` in the message.
const json& require_field(const json& value, const std::string& path, const char* key,
                          const std::string& expected);

const json& require_array(const json& value, const std::string& path);
const json& require_object(const json& value, const std::string& path);

// A string written by to_valid_utf8, returned as the raw bytes.
std::string read_string(const json& value, const std::string& path);
bool read_bool(const json& value, const std::string& path);
// "0x" followed by 1 to 16 hex digits.
std::uint64_t read_hex(const json& value, const std::string& path);

std::int64_t read_int64(const json& value, const std::string& path, std::int64_t min,
                        std::int64_t max, const std::string& expected);
std::uint64_t read_uint64(const json& value, const std::string& path);

template <typename Integer>
Integer read_integer(const json& value, const std::string& path, Integer min,
                     const std::string& expected) {
  return static_cast<Integer>(
      read_int64(value, path, static_cast<std::int64_t>(min),
                 static_cast<std::int64_t>(std::numeric_limits<Integer>::max()), expected));
}

// One of the names that to_string(Enum) returns for 0..last.
template <typename Enum>
Enum read_enum(const json& value, const std::string& path, Enum last, const std::string& kind) {
  const std::string name = read_string(value, path);
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    if (name == to_string(static_cast<Enum>(i))) return static_cast<Enum>(i);
  }
  fail(path, "a " + kind + " name", value);
}

}  // namespace stray::json_fields
