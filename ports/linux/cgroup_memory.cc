// ports/linux/cgroup_memory.cc
#include "ports/linux/cgroup_memory.h"

#include <charconv>
#include <fstream>
#include <span>
#include <sstream>
#include <vector>

#include "base/split.h"

namespace edgert::ports {
namespace {

constexpr uint64_t kV1Unlimited = uint64_t{1} << 60;  // v1 reports "none" as ~2^63 rounded to pages

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::string_view line : SplitView(s, '\n')) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto octal = [&](size_t j) { return j < s.size() && s[j] >= '0' && s[j] <= '7'; };
    if (s[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool HasItem(std::string_view list, std::string_view item) {
  for (std::string_view x : SplitView(list, ',')) {
    if (x == item) return true;
  }
  return false;
}

struct Mount {
  std::string root, point;
};

// The mount of the v1 hierarchy holding the memory controller (v1) or of
// the unified hierarchy (v2).
std::optional<Mount> FindMount(std::string_view mountinfo, bool v2) {
  for (std::string_view line : Lines(mountinfo)) {
    const size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    const std::vector<std::string_view> pre = SplitView(line.substr(0, dash), ' ');
    const std::vector<std::string_view> post = SplitView(line.substr(dash + 3), ' ');
    if (pre.size() < 5 || post.size() < 3) continue;
    const bool match = v2 ? post[0] == "cgroup2" : post[0] == "cgroup" && HasItem(post[2], "memory");
    if (match) return Mount{Unescape(pre[3]), Unescape(pre[4])};
  }
  return std::nullopt;
}

std::optional<uint64_t> ParseBytes(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The limit one file states: nullopt for none ("max", v1's huge value, a
// missing or unreadable file).
std::optional<uint64_t> FileLimit(const ReadTextFile& read, const std::string& path) {
  const std::optional<std::string> text = read(path);
  if (!text) return std::nullopt;
  const std::optional<uint64_t> v = ParseBytes(*text);
  if (!v || *v >= kV1Unlimited) return std::nullopt;
  return v;
}

constexpr const char* kV1Files[] = {"memory.limit_in_bytes"};
constexpr const char* kV2Files[] = {"memory.max", "memory.high"};

std::optional<std::string> ReadLiveFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

std::optional<MemoryCgroup> MemoryCgroupFrom(std::string_view proc_self_cgroup, std::string_view mountinfo) {
  // Lines are "hierarchy-id:controllers:path"; the path may contain ':'.
  std::optional<std::string_view> v1_path, v2_path;
  for (std::string_view line : Lines(proc_self_cgroup)) {
    const size_t a = line.find(':'), b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, a), controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (id == "0" && controllers.empty()) v2_path = path;
    if (HasItem(controllers, "memory")) v1_path = path;
  }
  for (const bool v2 : {false, true}) {
    const std::optional<std::string_view> path = v2 ? v2_path : v1_path;
    if (!path || !path->starts_with('/')) continue;
    const std::optional<Mount> m = FindMount(mountinfo, v2);
    if (!m) continue;
    // The path is relative to the hierarchy's root; the mount may show a subtree.
    std::string_view rel = *path;
    if (m->root != "/" && rel.starts_with(m->root)) rel.remove_prefix(m->root.size());
    return MemoryCgroup{m->point, rel.empty() ? std::string("/") : std::string(rel), v2};
  }
  return std::nullopt;
}

uint64_t SmallestLimitUpwards(const MemoryCgroup& group, const ReadTextFile& read) {
  uint64_t best = 0;
  MemoryCgroup at = group;
  for (;;) {
    for (const char* file : group.v2 ? std::span<const char* const>(kV2Files) : std::span<const char* const>(kV1Files)) {
      const std::optional<uint64_t> v = FileLimit(read, at.Directory() + "/" + file);
      if (v && *v > 0 && (best == 0 || *v < best)) best = *v;
    }
    if (at.path == "/") break;
    const size_t slash = at.path.find_last_of('/');
    at.path = slash == 0 ? "/" : at.path.substr(0, slash);
  }
  return best;
}

uint64_t CgroupMemoryLimitFrom(std::string_view proc_self_cgroup, std::string_view mountinfo, const ReadTextFile& read) {
  const std::optional<MemoryCgroup> group = MemoryCgroupFrom(proc_self_cgroup, mountinfo);
  return group ? SmallestLimitUpwards(*group, read) : 0;
}

std::optional<MemoryCgroup> OwnMemoryCgroup() {
  const std::optional<std::string> cgroup = ReadLiveFile("/proc/self/cgroup");
  const std::optional<std::string> mountinfo = ReadLiveFile("/proc/self/mountinfo");
  if (!cgroup || !mountinfo) return std::nullopt;
  return MemoryCgroupFrom(*cgroup, *mountinfo);
}

uint64_t OwnCgroupMemoryLimit() {
  const std::optional<MemoryCgroup> group = OwnMemoryCgroup();
  return group ? SmallestLimitUpwards(*group, ReadLiveFile) : 0;
}

}  // namespace edgert::ports
