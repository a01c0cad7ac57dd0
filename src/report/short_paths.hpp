// Short source file names for the text report.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace stray {

// Maps each path to its shortest trailing part that no other path in
// `paths` ends with: the basename ("pthread_cond_wait.c") unless two files
// share it, then as many parent directories as tell them apart
// ("server/main.cpp" and "client/main.cpp"). A path that needs all its
// components maps to itself, leading slash included.
std::map<std::string, std::string> shorten_paths(const std::vector<std::string>& paths);

}  // namespace stray
