#include "report/json_fields.hpp"

#include "report/escape.hpp"

namespace stray::json_fields {

namespace {

constexpr std::size_t kMaxQuotedValue = 60;

std::string count_of(std::size_t count, const char* noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// A short, escaped rendering of the offending value for the message,
// because the value may come from a hostile file. Arrays and objects are
// only counted: dumping them would take time and stack in proportion to
// their size and depth.
std::string describe(const json& value) {
  if (value.is_array()) return "an array of " + count_of(value.size(), "element");
  if (value.is_object()) return "an object of " + count_of(value.size(), "member");
  if (!value.is_string()) return escape_text(value.dump());

  const std::string& text = value.get_ref<const std::string&>();
  const json head = text.substr(0, kMaxQuotedValue);
  std::string quoted = head.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxQuotedValue) quoted += "...";
  return escape_text(quoted);
}

std::string prefix(const std::string& path) { return "invalid snapshot JSON: " + path + ": "; }

int hex_digit_value(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

}  // namespace

void fail(const std::string& path, const std::string& expected, const json& value) {
  throw Error(ErrorKind::invalid_input,
              prefix(path) + "expected " + expected + ", got " + describe(value));
}

void fail_missing(const std::string& path, const std::string& expected) {
  throw Error(ErrorKind::invalid_input, prefix(path) + "missing, expected " + expected);
}

std::string child_path(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + '.' + key;
}

std::string element_path(const std::string& path, std::size_t index) {
  return path + '[' + std::to_string(index) + ']';
}

const json& require_object(const json& value, const std::string& path) {
  if (!value.is_object()) fail(path.empty() ? "(top level)" : path, "an object", value);
  return value;
}

const json& require_array(const json& value, const std::string& path) {
  if (!value.is_array()) fail(path, "an array", value);
  return value;
}

const json* find_field(const json& value, const std::string& path, const char* key) {
  require_object(value, path);
  const auto found = value.find(key);
  return found == value.end() ? nullptr : &*found;
}

const json& require_field(const json& value, const std::string& path, const char* key,
                          const std::string& expected) {
  const json* field = find_field(value, path, key);
  if (field == nullptr) fail_missing(child_path(path, key), expected);
  return *field;
}

std::string read_string(const json& value, const std::string& path) {
  if (!value.is_string()) fail(path, "a string", value);
  std::optional<std::string> raw = from_valid_utf8(value.get_ref<const std::string&>());
  if (!raw) fail(path, "a string whose only backslash escapes are \\\\ and \\xNN", value);
  return std::move(*raw);
}

bool read_bool(const json& value, const std::string& path) {
  if (!value.is_boolean()) fail(path, "true or false", value);
  return value.get<bool>();
}

std::uint64_t read_hex(const json& value, const std::string& path) {
  const char* expected = "a hex string \"0x...\" of 1 to 16 digits";
  if (!value.is_string()) fail(path, expected, value);
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() < 3 || text.size() > 18 || text[0] != '0' || text[1] != 'x') {
    fail(path, expected, value);
  }

  std::uint64_t number = 0;
  for (std::size_t i = 2; i < text.size(); ++i) {
    const int digit = hex_digit_value(text[i]);
    if (digit < 0) fail(path, expected, value);
    number = (number << 4) | static_cast<std::uint64_t>(digit);
  }
  return number;
}

std::int64_t read_int64(const json& value, const std::string& path, std::int64_t min,
                        std::int64_t max, const std::string& expected) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (std::cmp_less(number, min) || std::cmp_greater(number, max)) fail(path, expected, value);
    return static_cast<std::int64_t>(number);
  }
  if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (number < min || number > max) fail(path, expected, value);
    return number;
  }
  fail(path, expected, value);
}

std::uint64_t read_uint64(const json& value, const std::string& path) {
  const char* expected = "a non-negative integer";
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  // A document built in memory stores small non-negative numbers as signed.
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0) fail(path, expected, value);
  return static_cast<std::uint64_t>(value.get<std::int64_t>());
}

}  // namespace stray::json_fields
