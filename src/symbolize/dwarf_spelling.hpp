// Internals of dwarf_function_name (dwarf_names.hpp), split by concept:
// dwarf_names.cpp spells functions, scopes and lambdas, and dwarf_types.cpp
// spells types and template arguments. Nothing else includes this header.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <elfutils/libdw.h>

#include "symbolize/dwarf_names.hpp"

namespace stray::symbolize::dwarf_spelling {

// A name in the demangler's spelling, or nullopt when some part of it
// cannot be spelled so.
using Name = std::optional<std::string>;

// Names nest (template arguments, enclosing scopes); this bounds the
// recursion on malformed DWARF whose references form a cycle.
inline constexpr int kMaxDepth = 32;

// Reads a reference attribute of `die` into `target`.
bool referenced_die(Dwarf_Die* die, int attribute_name, Dwarf_Die* target);

std::vector<Dwarf_Die> children_of(Dwarf_Die* die);

bool is_artificial(Dwarf_Die* die);

// The part of a DW_AT_name before GCC's template argument list:
// "wait<main()::<lambda()> >" gives "wait", "operator< <char>" gives
// "operator< ", which the demangler also writes with a space.
std::string_view without_template_arguments(std::string_view name);

// The parts separated by ", ".
std::string joined(const std::vector<std::string>& parts);

// Spells the names of one function. The depth of nested names is counted
// per object.
class DemanglerSpelling {
 public:
  explicit DemanglerSpelling(DieParents& parents) : parents_(parents) {}

  // The full name of a function DIE without a linkage name, parameter list
  // included. A function template's return type comes first when
  // `with_return_type` is set.
  Name function(Dwarf_Die* die, bool with_return_type = true);

 private:
  // Counts the nesting of the calls below while it lives.
  class Level {
   public:
    explicit Level(int& depth) : depth_(++depth) {}
    ~Level() { --depth_; }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;
    bool too_deep() const { return depth_ > kMaxDepth; }

   private:
    int& depth_;
  };

  // dwarf_names.cpp
  Name function_in_scope(Dwarf_Die* die);
  Name scope_prefix(Dwarf_Die* declaration);
  Name class_name(Dwarf_Die* die);
  Name lambda_name(Dwarf_Die* closure);
  int lambda_number(Dwarf_Die* closure, const std::string& signature);

  // dwarf_types.cpp
  Name type(Dwarf_Die* die);
  Name qualified_type(Dwarf_Die* die);
  Name parameter_types(Dwarf_Die* function);
  std::string object_qualifiers(Dwarf_Die* object_parameter);
  Name template_arguments(Dwarf_Die* owner, std::string_view raw_name);
  bool append_template_argument(Dwarf_Die* parameter, std::vector<std::string>& arguments);
  Name template_value(Dwarf_Die* parameter);

  DieParents& parents_;
  int depth_ = 0;
};

}  // namespace stray::symbolize::dwarf_spelling
