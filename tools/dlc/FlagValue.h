// The `--flag VALUE` / `--flag=VALUE` spelling of the dlc commands' flags.
#pragma once

#include <cstdlib>
#include <string>

namespace dlc::tool {

// Whether argv[i] is `flag` (its value the next argument) or `flag=VALUE`;
// if so stores the value in `v`, advancing i past a separate value. `flag`
// given last, without its value, throws Error(FLAG + " needs a value").
template <typename Error>
bool flagValue(int argc, char** argv, int& i, const std::string& flag, std::string& v) {
  std::string a = argv[i];
  if (a == flag) {
    if (i + 1 >= argc) throw Error(flag + " needs a value");
    v = argv[++i];
    return true;
  }
  if (a.rfind(flag + "=", 0) == 0) {
    v = a.substr(flag.size() + 1);
    return true;
  }
  return false;
}

// `v`, the value of `flag`, as an integer from `least` to 1000000 (a count of
// runs, steps ...), else throws Error naming the flag and the range.
template <typename Error>
int flagCount(const std::string& flag, const std::string& v, int least) {
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || x < least || x > 1000000)
    throw Error(flag + " '" + v + "': expected an integer from " + std::to_string(least) + " to 1000000");
  return static_cast<int>(x);
}

}  // namespace dlc::tool
