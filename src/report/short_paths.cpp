#include "report/short_paths.hpp"

#include <set>
#include <string_view>

namespace stray {

namespace {

std::vector<std::string_view> split_components(std::string_view path) {
  std::vector<std::string_view> components;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) components.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return components;
}

std::string join_last(const std::vector<std::string_view>& components, std::size_t count) {
  std::string joined;
  for (std::size_t i = components.size() - count; i < components.size(); ++i) {
    if (!joined.empty()) joined += '/';
    joined += components[i];
  }
  return joined;
}

struct PathState {
  std::vector<std::string_view> components;
  std::size_t shown_components = 1;  // counted from the end
};

// Lengthens every suffix shared by two different paths. Returns whether
// anything changed.
bool lengthen_collisions(std::map<std::string, PathState>& states) {
  std::map<std::string, std::set<std::string>> paths_by_suffix;
  for (const auto& [path, state] : states) {
    paths_by_suffix[join_last(state.components, state.shown_components)].insert(path);
  }

  bool changed = false;
  for (const auto& [suffix, paths] : paths_by_suffix) {
    if (paths.size() < 2) continue;
    for (const std::string& path : paths) {
      PathState& state = states[path];
      if (state.shown_components < state.components.size()) {
        ++state.shown_components;
        changed = true;
      }
    }
  }
  return changed;
}

}  // namespace

std::map<std::string, std::string> shorten_paths(const std::vector<std::string>& paths) {
  std::map<std::string, PathState> states;
  for (const std::string& path : paths) {
    if (states.count(path) != 0) continue;
    PathState& state = states[path];
    state.components = split_components(states.find(path)->first);
    state.shown_components = state.components.empty() ? 0 : 1;
  }

  while (lengthen_collisions(states)) {
  }

  std::map<std::string, std::string> shortened;
  for (const auto& [path, state] : states) {
    const bool whole = state.shown_components == state.components.size();
    shortened[path] = whole ? path : join_last(state.components, state.shown_components);
  }
  return shortened;
}

}  // namespace stray
