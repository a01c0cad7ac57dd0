#include "symbolize/dwarf_names.hpp"

#include <dwarf.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "model/function_names.hpp"
#include "symbolize/demangle.hpp"
#include "symbolize/dwarf_spelling.hpp"

namespace stray::symbolize {

namespace dwarf_spelling {

bool referenced_die(Dwarf_Die* die, int attribute_name, Dwarf_Die* target) {
  Dwarf_Attribute attribute;
  return dwarf_attr(die, attribute_name, &attribute) != nullptr &&
         dwarf_formref_die(&attribute, target) != nullptr;
}

std::vector<Dwarf_Die> children_of(Dwarf_Die* die) {
  std::vector<Dwarf_Die> children;
  Dwarf_Die child;
  if (dwarf_child(die, &child) != 0) return children;
  do {
    children.push_back(child);
  } while (dwarf_siblingof(&child, &child) == 0);
  return children;
}

bool is_artificial(Dwarf_Die* die) {
  Dwarf_Attribute attribute;
  bool flag = false;
  return dwarf_formflag(dwarf_attr(die, DW_AT_artificial, &attribute), &flag) == 0 && flag;
}

std::string_view without_template_arguments(std::string_view name) {
  std::size_t search_from = 0;
  if (name.starts_with("operator")) {
    search_from = 8;
    while (search_from < name.size() &&
           std::string_view("+-*/%^&|~!=<>,[]()").find(name[search_from]) != std::string_view::npos)
      ++search_from;
  }
  return name.substr(0, name.find('<', search_from));
}

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) {
    if (!text.empty()) text += ", ";
    text += part;
  }
  return text;
}

}  // namespace dwarf_spelling

namespace {

using dwarf_spelling::children_of;
using dwarf_spelling::DemanglerSpelling;
using dwarf_spelling::is_artificial;
using dwarf_spelling::Name;
using dwarf_spelling::referenced_die;
using dwarf_spelling::without_template_arguments;

bool same_die(Dwarf_Die* a, Dwarf_Die* b) { return dwarf_dieoffset(a) == dwarf_dieoffset(b); }

bool is_class_tag(int tag) {
  return tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

bool is_template_parameter(int tag) {
  return tag == DW_TAG_template_type_parameter || tag == DW_TAG_template_value_parameter ||
         tag == DW_TAG_GNU_template_parameter_pack || tag == DW_TAG_GNU_template_template_param;
}

// Follows DW_AT_abstract_origin and DW_AT_specification to the DIE that
// declares the function or class. Its enclosing scopes are its namespaces
// and class, and its children the typed parameters.
Dwarf_Die declaration_of(Dwarf_Die die) {
  for (int hops = 0; hops < 8; ++hops) {
    Dwarf_Die next;
    if (!referenced_die(&die, DW_AT_abstract_origin, &next) &&
        !referenced_die(&die, DW_AT_specification, &next))
      break;
    die = next;
  }
  return die;
}

// The first of `die` and the DIEs it refers to through
// DW_AT_abstract_origin and DW_AT_specification that lists template
// parameters. Empty for a DIE that is no template instance.
std::optional<Dwarf_Die> template_parameters_owner(Dwarf_Die die) {
  for (int hops = 0; hops < 8; ++hops) {
    for (Dwarf_Die child : children_of(&die)) {
      if (is_template_parameter(dwarf_tag(&child))) return die;
    }
    Dwarf_Die next;
    if (!referenced_die(&die, DW_AT_abstract_origin, &next) &&
        !referenced_die(&die, DW_AT_specification, &next))
      break;
    die = next;
  }
  return std::nullopt;
}

// The `this` parameter of a member function's declaration: the one that
// DW_AT_object_pointer names, else the first artificial parameter.
std::optional<Dwarf_Die> object_parameter_of(Dwarf_Die* declaration) {
  Dwarf_Die parameter;
  if (referenced_die(declaration, DW_AT_object_pointer, &parameter)) return parameter;
  for (Dwarf_Die child : children_of(declaration)) {
    if (dwarf_tag(&child) == DW_TAG_formal_parameter && is_artificial(&child)) return child;
  }
  return std::nullopt;
}

std::optional<Dwarf_Die> member_named(Dwarf_Die* die, std::string_view name) {
  for (Dwarf_Die child : children_of(die)) {
    const char* child_name = dwarf_diename(&child);
    if (dwarf_tag(&child) == DW_TAG_subprogram && child_name != nullptr && child_name == name)
      return child;
  }
  return std::nullopt;
}

// A lambda's closure type: a class without a name whose member is
// operator(). GCC 12 gives closure types no DW_AT_name.
bool is_closure(Dwarf_Die* die) {
  return is_class_tag(dwarf_tag(die)) && dwarf_diename(die) == nullptr &&
         member_named(die, "operator()").has_value();
}

// True when the compiler that built `die`'s unit numbers every lambda of a
// scope in one sequence, as GCC did before GCC 13 (commit r13-3601, "c++:
// per-scope, per-signature lambda discriminators"). Later GCC and Clang
// number the lambdas of each signature apart, as the Itanium C++ ABI specifies.
// NOTE: GCC 13 and later with an older -fabi-version are taken to number
// per signature too, which has not been checked.
bool numbers_all_lambdas_together(Dwarf_Die* die) {
  Dwarf_Die unit;
  if (dwarf_diecu(die, &unit, nullptr, nullptr) == nullptr) return false;
  Dwarf_Attribute attribute;
  const char* producer = dwarf_formstring(dwarf_attr(&unit, DW_AT_producer, &attribute));
  if (producer == nullptr) return false;
  // "GNU C++17 12.2.0 -mtune=generic ...": the version is the third word.
  std::string_view text(producer);
  if (!text.starts_with("GNU ")) return false;
  std::size_t language_end = text.find(' ', 4);
  if (language_end == std::string_view::npos) return false;
  std::string_view version = text.substr(language_end + 1);
  int major = 0;
  std::from_chars(version.data(), version.data() + version.size(), major);
  return major > 0 && major <= 12;
}

bool is_cplusplus_unit(Dwarf_Die* die) {
  // dwarf_srclang reads DW_AT_language of the DIE it is given (elfutils
  // 0.188), so it needs the unit's DIE.
  Dwarf_Die unit;
  if (dwarf_diecu(die, &unit, nullptr, nullptr) == nullptr) return false;
  switch (dwarf_srclang(&unit)) {
    case DW_LANG_C_plus_plus:
    case DW_LANG_C_plus_plus_03:
    case DW_LANG_C_plus_plus_11:
    case DW_LANG_C_plus_plus_14:
      return true;
    default:
      return false;
  }
}

// True when the symbol of a function without a linkage name is its plain
// DW_AT_name: every function of a C unit, and a C++ function with C
// linkage (or main), which GCC marks DW_AT_external. GCC 12 also leaves the
// linkage name out of C++ functions with internal linkage (static, in an
// anonymous namespace, lambdas) and of templates instantiated with a
// lambda, whose symbols are mangled.
bool has_plain_symbol(Dwarf_Die* function, bool member_or_template) {
  if (!is_cplusplus_unit(function)) return true;
  if (member_or_template) return false;
  Dwarf_Attribute attribute;
  bool external = false;
  return dwarf_formflag(dwarf_attr_integrate(function, DW_AT_external, &attribute), &external) == 0 &&
         external;
}

// The standard abbreviations abi::__cxa_demangle prints (Ss, Si, So, Sd).
std::string abbreviated(std::string name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kAbbreviations = {{
      {"std::basic_string<char, std::char_traits<char>, std::allocator<char> >", "std::string"},
      {"std::basic_istream<char, std::char_traits<char> >", "std::istream"},
      {"std::basic_ostream<char, std::char_traits<char> >", "std::ostream"},
      {"std::basic_iostream<char, std::char_traits<char> >", "std::iostream"},
  }};
  for (const auto& [full, shorter] : kAbbreviations) {
    if (name == full) return std::string(shorter);
  }
  return name;
}

// --- GCC's spelling, the fallback ---

// GCC's DW_AT_name prefixed with the namespaces and classes that enclose
// the function's declaration, as "ns::Class::name"; an unnamed class is
// written "{lambda}".
std::string gcc_spelling(Dwarf_Die* die, const char* name, DieParents& parents) {
  Dwarf_Die declaration = declaration_of(*die);
  std::string prefix;
  for (Dwarf_Die scope : parents.enclosing_scopes(&declaration)) {
    int tag = dwarf_tag(&scope);
    const char* scope_name = dwarf_diename(&scope);
    if (tag == DW_TAG_namespace) {
      prefix = std::string(scope_name != nullptr ? scope_name : "(anonymous namespace)") + "::" + prefix;
    } else if (is_class_tag(tag)) {
      prefix = std::string(scope_name != nullptr ? scope_name : "{lambda}") + "::" + prefix;
    } else if (tag == DW_TAG_subprogram && scope_name != nullptr) {
      prefix = std::string(scope_name) + "::" + prefix;  // the function around a local class
    }
  }
  return prefix + name;
}

}  // namespace

namespace dwarf_spelling {

Name DemanglerSpelling::function(Dwarf_Die* die, bool with_return_type) {
  Level level(depth_);
  if (level.too_deep()) return std::nullopt;

  Dwarf_Die declaration = declaration_of(*die);
  const char* raw_name = dwarf_diename(&declaration);
  if (raw_name == nullptr) return std::nullopt;
  std::optional<Dwarf_Die> template_owner = template_parameters_owner(*die);
  std::vector<Dwarf_Die> scopes = parents_.enclosing_scopes(&declaration);
  const bool member = !scopes.empty() && is_class_tag(dwarf_tag(&scopes.front()));
  if (has_plain_symbol(die, member || template_owner)) return std::string(raw_name);

  Name prefix = scope_prefix(&declaration);
  if (!prefix) return std::nullopt;
  std::string name = *prefix;
  if (template_owner) {
    Name arguments = template_arguments(&*template_owner, raw_name);
    if (!arguments) return std::nullopt;
    name += std::string(without_template_arguments(raw_name)) + *arguments;
  } else {
    name += raw_name;
  }

  Name parameters = parameter_types(&declaration);
  if (!parameters) return std::nullopt;
  name += *parameters;
  if (std::optional<Dwarf_Die> object_parameter = object_parameter_of(&declaration))
    name += object_qualifiers(&*object_parameter);
  if (!template_owner || !with_return_type) return name;

  // A function template's mangled name carries its return type, except for
  // constructors, destructors and conversion operators.
  std::string_view base = without_template_arguments(raw_name);
  const char* class_name_text = member ? dwarf_diename(&scopes.front()) : nullptr;
  bool constructor =
      class_name_text != nullptr && without_template_arguments(class_name_text) == base;
  if (constructor || base.starts_with("~") || base.starts_with("operator ")) return name;
  Dwarf_Die return_type;
  Name returned = referenced_die(&declaration, DW_AT_type, &return_type) ? type(&return_type)
                                                                          : Name("void");
  if (!returned) return std::nullopt;
  return *returned + " " + name;
}

// The name a function has as the scope of a local class or lambda: the
// demangled linkage name, or the rebuilt one, without the return type that
// the demangler leaves out there: "run<int>(int)::{lambda()#1}".
Name DemanglerSpelling::function_in_scope(Dwarf_Die* die) {
  Dwarf_Attribute attribute;
  const char* linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attribute));
  if (linkage == nullptr) return function(die, false);
  std::string demangled = demangle(linkage);
  std::string_view name = qualified_name(demangled);
  return demangled.substr(static_cast<std::size_t>(name.data() - demangled.data()));
}

// "ns::Class::", "f(int)::" or "" for the scopes around a declaration.
Name DemanglerSpelling::scope_prefix(Dwarf_Die* declaration) {
  std::string prefix;
  for (Dwarf_Die scope : parents_.enclosing_scopes(declaration)) {
    int tag = dwarf_tag(&scope);
    if (tag == DW_TAG_namespace) {
      const char* name = dwarf_diename(&scope);
      prefix = std::string(name != nullptr ? name : "(anonymous namespace)") + "::" + prefix;
      continue;
    }
    if (is_class_tag(tag) || tag == DW_TAG_enumeration_type) {
      Name outer = class_name(&scope);  // spells its own scopes
      if (!outer) return std::nullopt;
      return *outer + "::" + prefix;
    }
    if (tag == DW_TAG_subprogram) {
      Name outer = function_in_scope(&scope);
      if (!outer) return std::nullopt;
      return *outer + "::" + prefix;
    }
    // Lexical blocks are no part of a name; the unit ends the chain.
  }
  return prefix;
}

Name DemanglerSpelling::class_name(Dwarf_Die* die) {
  Level level(depth_);
  if (level.too_deep()) return std::nullopt;
  if (is_closure(die)) return lambda_name(die);

  Dwarf_Die declaration = declaration_of(*die);
  const char* raw_name = dwarf_diename(&declaration);
  if (raw_name == nullptr) return std::nullopt;  // "{unnamed type#1}" is not rebuilt
  Name prefix = scope_prefix(&declaration);
  if (!prefix) return std::nullopt;

  std::optional<Dwarf_Die> template_owner = template_parameters_owner(*die);
  if (!template_owner) return abbreviated(*prefix + raw_name);
  Name arguments = template_arguments(&*template_owner, raw_name);
  if (!arguments) return std::nullopt;
  return abbreviated(*prefix + std::string(without_template_arguments(raw_name)) + *arguments);
}

// "{lambda(int)#2}" with the scopes around it.
Name DemanglerSpelling::lambda_name(Dwarf_Die* closure) {
  std::optional<Dwarf_Die> call_operator = member_named(closure, "operator()");
  if (!call_operator) return std::nullopt;
  // A generic lambda's operator() is a template, and the demangler names
  // its closure by the placeholders ("auto:1"), which DWARF does not keep.
  if (template_parameters_owner(*call_operator)) return std::nullopt;
  Name signature = parameter_types(&*call_operator);
  if (!signature) return std::nullopt;
  Name prefix = scope_prefix(closure);
  if (!prefix) return std::nullopt;
  return *prefix + "{lambda" + *signature + "#" + std::to_string(lambda_number(closure, *signature)) +
         "}";
}

// The closure's number in the demangled name, from 1: its position, in DIE
// order, among the closures of its scope. The scope is the function, class
// or namespace it is defined in, nested blocks included. Only closures with
// the same parameter list count, unless the compiler numbered all lambdas
// together.
// NOTE: a closure type that the compiler left out of DWARF (such as that of
// a lambda in a discarded `if constexpr` branch) shifts the numbers after it.
int DemanglerSpelling::lambda_number(Dwarf_Die* closure, const std::string& signature) {
  std::vector<Dwarf_Die> scopes = parents_.enclosing_scopes(closure);
  auto owner = scopes.begin();
  while (owner != scopes.end() && dwarf_tag(&*owner) == DW_TAG_lexical_block) ++owner;
  if (owner == scopes.end()) return 1;
  const bool all_together = numbers_all_lambdas_together(closure);

  int before = 0;
  std::vector<Dwarf_Die> pending = children_of(&*owner);
  std::size_t next = 0;
  while (next < pending.size()) {
    Dwarf_Die child = pending[next++];
    if (same_die(&child, closure)) break;
    if (dwarf_tag(&child) == DW_TAG_lexical_block) {
      // Depth first, so the block's closures count before its later siblings.
      std::vector<Dwarf_Die> nested = children_of(&child);
      pending.insert(pending.begin() + static_cast<std::ptrdiff_t>(next), nested.begin(), nested.end());
      continue;
    }
    if (!is_closure(&child)) continue;
    if (all_together) {
      ++before;
      continue;
    }
    std::optional<Dwarf_Die> call_operator = member_named(&child, "operator()");
    Name other_signature = call_operator ? parameter_types(&*call_operator) : std::nullopt;
    if (other_signature == signature) ++before;
  }
  return before + 1;
}

}  // namespace dwarf_spelling

// Tags of the DIEs whose scopes DieParents is asked for. It also keeps
// every DIE with children, which may be a scope on the way out.
bool is_indexed_tag(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block ||
         tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
         tag == DW_TAG_enumeration_type;
}

std::vector<Dwarf_Die> DieParents::enclosing_scopes(Dwarf_Die* die) {
  Dwarf_Die unit;
  if (dwarf_diecu(die, &unit, nullptr, nullptr) == nullptr) return {};
  if (indexed_units_.insert(unit.addr).second) index_unit(&unit);

  Dwarf* dwarf = dwarf_cu_getdwarf(die->cu);
  std::vector<Dwarf_Die> scopes;
  for (auto parent = parents_.find(die->addr); parent != parents_.end();
       parent = parents_.find(parent->second)) {
    Dwarf_Die scope;
    if (dwarf_die_addr_die(dwarf, const_cast<void*>(parent->second), &scope) == nullptr) break;
    scopes.push_back(scope);
  }
  return scopes;
}

void DieParents::index_unit(Dwarf_Die* unit) {
  std::vector<Dwarf_Die> pending{*unit};
  while (!pending.empty()) {
    Dwarf_Die parent = pending.back();
    pending.pop_back();
    Dwarf_Die child;
    if (dwarf_child(&parent, &child) != 0) continue;
    do {
      const bool has_children = dwarf_haschildren(&child) > 0;
      if (has_children || is_indexed_tag(dwarf_tag(&child))) parents_.emplace(child.addr, parent.addr);
      if (has_children) pending.push_back(child);
    } while (dwarf_siblingof(&child, &child) == 0);
  }
}

std::string dwarf_function_name(Dwarf_Die* die, DieParents& parents) {
  Dwarf_Attribute attribute;
  const char* linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attribute));
  if (linkage == nullptr)
    linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attribute));
  if (linkage != nullptr) return demangle(linkage);

  const char* name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attribute));
  if (name == nullptr) return {};
  DemanglerSpelling spelling(parents);
  if (Name rebuilt = spelling.function(die)) return *rebuilt;
  return gcc_spelling(die, name, parents);
}

}  // namespace stray::symbolize
