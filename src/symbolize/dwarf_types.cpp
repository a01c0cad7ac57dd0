// Types and template arguments in the demangler's spelling, for
// dwarf_names.cpp.
#include <dwarf.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "symbolize/dwarf_spelling.hpp"

namespace stray::symbolize::dwarf_spelling {

namespace {

// GCC 12's DW_AT_name of a base type, as the demangler writes it.
std::string_view demangler_base_type(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kSpellings = {{
      {"long int", "long"},
      {"long unsigned int", "unsigned long"},
      {"long long int", "long long"},
      {"long long unsigned int", "unsigned long long"},
      {"short int", "short"},
      {"short unsigned int", "unsigned short"},
      {"__int128 unsigned", "unsigned __int128"},
  }};
  for (const auto& [dwarf, demangled] : kSpellings) {
    if (name == dwarf) return demangled;
  }
  return name;
}

// Suffix the demangler gives an integer template argument of `type`, or
// nullopt when it writes the argument as a cast: "(char)97".
std::optional<std::string_view> literal_suffix(std::string_view type) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kSuffixes = {{
      {"int", ""},
      {"unsigned int", "u"},
      {"long", "l"},
      {"unsigned long", "ul"},
      {"long long", "ll"},
      {"unsigned long long", "ull"},
  }};
  for (const auto& [name, suffix] : kSuffixes) {
    if (type == name) return suffix;
  }
  return std::nullopt;
}

// The number of template arguments in GCC's DW_AT_name, counted by the
// commas outside nested brackets, or nullopt when the name lists none.
std::optional<std::size_t> template_argument_count(std::string_view name) {
  std::string_view base = without_template_arguments(name);
  if (base.size() == name.size()) return std::nullopt;
  std::size_t count = 0;
  bool in_argument = false;
  int depth = 0;
  for (char c : name.substr(base.size() + 1)) {
    if (depth == 0 && c == '>') break;
    if (c == '<' || c == '(' || c == '[' || c == '{') ++depth;
    if (c == '>' || c == ')' || c == ']' || c == '}') --depth;
    if (depth == 0 && c == ',') {
      in_argument = false;
    } else if (c != ' ' && !in_argument) {
      in_argument = true;
      ++count;
    }
  }
  return count;
}

}  // namespace

// The type as the demangler writes it in a parameter list or template
// argument; a null `die` is void.
Name DemanglerSpelling::type(Dwarf_Die* die) {
  if (die == nullptr) return std::string("void");
  Level level(depth_);
  if (level.too_deep()) return std::nullopt;

  Dwarf_Die inner;
  switch (dwarf_tag(die)) {
    case DW_TAG_base_type:
    case DW_TAG_unspecified_type: {  // decltype(nullptr)
      const char* name = dwarf_diename(die);
      if (name == nullptr) return std::nullopt;
      return std::string(demangler_base_type(name));
    }
    case DW_TAG_typedef:
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
      return qualified_type(die);
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type: {
      bool has_inner = referenced_die(die, DW_AT_type, &inner);
      if (has_inner) {
        int inner_tag = dwarf_tag(&inner);
        // The demangler writes "void (*)(int)" and "int (&)[4]" around the
        // declarator, which this spelling does not do.
        if (inner_tag == DW_TAG_subroutine_type || inner_tag == DW_TAG_array_type ||
            inner_tag == DW_TAG_ptr_to_member_type)
          return std::nullopt;
      }
      Name pointee = type(has_inner ? &inner : nullptr);
      if (!pointee) return std::nullopt;
      int tag = dwarf_tag(die);
      if (tag == DW_TAG_pointer_type) return *pointee + "*";
      if (tag == DW_TAG_reference_type) return *pointee + "&";
      return *pointee + "&&";
    }
    case DW_TAG_class_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_enumeration_type:
      return class_name(die);
    default:
      return std::nullopt;
  }
}

// A type under typedefs and cv-qualifiers: typedefs are resolved, because
// mangled names have none, and the qualifiers follow the type in the
// demangler's order, "int const volatile".
Name DemanglerSpelling::qualified_type(Dwarf_Die* die) {
  bool is_const = false;
  bool is_volatile = false;
  Dwarf_Die current = *die;
  bool has_type = true;
  for (int hops = 0; hops < kMaxDepth; ++hops) {
    int tag = dwarf_tag(&current);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type) break;
    if (tag == DW_TAG_const_type) is_const = true;
    if (tag == DW_TAG_volatile_type) is_volatile = true;
    Dwarf_Die next;
    has_type = referenced_die(&current, DW_AT_type, &next);
    if (!has_type) break;
    current = next;
  }
  Name base = type(has_type ? &current : nullptr);
  if (!base) return std::nullopt;
  return *base + (is_const ? " const" : "") + (is_volatile ? " volatile" : "");
}

// "(int, char const*)" from the typed parameters of a declaration; the
// artificial object parameter (this, or a lambda's __closure) is left out.
Name DemanglerSpelling::parameter_types(Dwarf_Die* function) {
  std::vector<std::string> parameters;
  for (Dwarf_Die child : children_of(function)) {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_unspecified_parameters) {
      parameters.emplace_back("...");
      continue;
    }
    if (tag != DW_TAG_formal_parameter || is_artificial(&child)) continue;
    Dwarf_Die parameter_type;
    if (!referenced_die(&child, DW_AT_type, &parameter_type)) return std::nullopt;
    Name spelled = type(&parameter_type);
    if (!spelled) return std::nullopt;
    parameters.push_back(std::move(*spelled));
  }
  return "(" + joined(parameters) + ")";
}

// " const" for a member function whose object parameter points to a const
// object, and so on.
std::string DemanglerSpelling::object_qualifiers(Dwarf_Die* object_parameter) {
  Dwarf_Die current;
  if (!referenced_die(object_parameter, DW_AT_type, &current)) return {};
  // The parameter itself is "Class const* const" for a const member.
  for (int hops = 0; hops < 4; ++hops) {
    if (dwarf_tag(&current) != DW_TAG_const_type && dwarf_tag(&current) != DW_TAG_volatile_type) break;
    if (!referenced_die(&current, DW_AT_type, &current)) return {};
  }
  if (dwarf_tag(&current) != DW_TAG_pointer_type || !referenced_die(&current, DW_AT_type, &current))
    return {};
  bool is_const = false;
  bool is_volatile = false;
  for (int hops = 0; hops < 4; ++hops) {
    int tag = dwarf_tag(&current);
    if (tag == DW_TAG_const_type) {
      is_const = true;
    } else if (tag == DW_TAG_volatile_type) {
      is_volatile = true;
    } else {
      break;
    }
    if (!referenced_die(&current, DW_AT_type, &current)) break;
  }
  return std::string(is_const ? " const" : "") + (is_volatile ? " volatile" : "");
}

// "<int, std::allocator<int> >" from the template parameter DIEs, with the
// space the demangler puts between two closing brackets. `raw_name`, GCC's
// DW_AT_name, must list as many arguments: GCC 12 leaves some parameter
// packs of class templates empty ("tuple<main()::<lambda()> >" has none).
Name DemanglerSpelling::template_arguments(Dwarf_Die* owner, std::string_view raw_name) {
  std::vector<std::string> arguments;
  for (Dwarf_Die child : children_of(owner)) {
    if (!append_template_argument(&child, arguments)) return std::nullopt;
  }
  std::optional<std::size_t> named = template_argument_count(raw_name);
  if (named && *named != arguments.size()) return std::nullopt;
  std::string text = "<" + joined(arguments);
  return text + (text.ends_with('>') ? " >" : ">");
}

// Appends the argument (or a pack's arguments) of one child of a template
// DIE; other children are skipped. False when one cannot be spelled.
bool DemanglerSpelling::append_template_argument(Dwarf_Die* parameter,
                                                 std::vector<std::string>& arguments) {
  switch (dwarf_tag(parameter)) {
    case DW_TAG_template_type_parameter: {
      Dwarf_Die argument;
      Name spelled = type(referenced_die(parameter, DW_AT_type, &argument) ? &argument : nullptr);
      if (!spelled) return false;
      arguments.push_back(std::move(*spelled));
      return true;
    }
    case DW_TAG_template_value_parameter: {
      Name spelled = template_value(parameter);
      if (!spelled) return false;
      arguments.push_back(std::move(*spelled));
      return true;
    }
    case DW_TAG_GNU_template_parameter_pack:
      for (Dwarf_Die element : children_of(parameter)) {
        if (!append_template_argument(&element, arguments)) return false;
      }
      return true;
    case DW_TAG_GNU_template_template_param: {
      Dwarf_Attribute attribute;
      const char* name = dwarf_formstring(dwarf_attr(parameter, DW_AT_GNU_template_name, &attribute));
      if (name == nullptr) return false;
      arguments.emplace_back(name);
      return true;
    }
    default:
      return true;
  }
}

// An integer, bool or enumerator template argument, as the demangler
// writes it: "5", "0ul", "true", "(char)97". Pointers and other values
// given by DW_AT_location are not spelled.
Name DemanglerSpelling::template_value(Dwarf_Die* parameter) {
  Dwarf_Attribute value;
  Dwarf_Die value_type;
  if (dwarf_attr(parameter, DW_AT_const_value, &value) == nullptr ||
      !referenced_die(parameter, DW_AT_type, &value_type))
    return std::nullopt;
  for (int hops = 0; hops < kMaxDepth; ++hops) {
    int tag = dwarf_tag(&value_type);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type) break;
    if (!referenced_die(&value_type, DW_AT_type, &value_type)) return std::nullopt;
  }
  Name type_name = type(&value_type);
  if (!type_name) return std::nullopt;

  Dwarf_Attribute attribute;
  Dwarf_Word encoding = 0;
  dwarf_formudata(dwarf_attr(&value_type, DW_AT_encoding, &attribute), &encoding);
  std::string number;
  if (encoding == DW_ATE_unsigned || encoding == DW_ATE_unsigned_char || encoding == DW_ATE_boolean ||
      encoding == DW_ATE_UTF) {
    Dwarf_Word unsigned_value = 0;
    if (dwarf_formudata(&value, &unsigned_value) != 0) return std::nullopt;
    if (encoding == DW_ATE_boolean) return std::string(unsigned_value != 0 ? "true" : "false");
    number = std::to_string(unsigned_value);
  } else {
    Dwarf_Sword signed_value = 0;
    if (dwarf_formsdata(&value, &signed_value) != 0) return std::nullopt;
    number = std::to_string(signed_value);
  }
  std::optional<std::string_view> suffix = literal_suffix(*type_name);
  if (suffix) return number + std::string(*suffix);
  return "(" + *type_name + ")" + number;
}

}  // namespace stray::symbolize::dwarf_spelling
