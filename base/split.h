// base/split.h: a text cut at every `by`, empty parts kept ("a,,b" -> a, "", b;
// "" -> one empty part). The parts view `s`: they live as long as it does.
#pragma once

#include <string_view>
#include <vector>

namespace edgert {

inline std::vector<std::string_view> SplitView(std::string_view s, char by) {
  std::vector<std::string_view> parts;
  for (size_t at = 0;;) {
    const size_t next = s.find(by, at);
    parts.push_back(s.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    if (next == std::string_view::npos) return parts;
    at = next + 1;
  }
}

}  // namespace edgert
