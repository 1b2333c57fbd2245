// ports/linux/cgroup_memory.h: the memory limit of the cgroup this process
// runs in (internal to ports/; ReadSystemMemory reports it).
//
// A job started by `systemd-run -p MemoryMax=...`, inside a container, or by
// a sandbox sits in a child cgroup whose limit the root cgroup's files do not
// show. The process's own cgroup comes from /proc/self/cgroup, where that
// hierarchy is mounted from /proc/self/mountinfo; the limit is the smallest
// of its own and its ancestors' (a parent's limit covers its children):
//   cgroup v1 (a hierarchy with the memory controller): memory.limit_in_bytes,
//     where values of 2^60 and more mean "no limit";
//   cgroup v2 (the "0::" line): memory.max and memory.high, "max" meaning none
//     (memory.high is where the kernel starts reclaiming and throttling the
//     group: past it a job is pushed into swap, so it bounds the budget too).
// When a hybrid system has both, the v1 memory hierarchy is the one the
// kernel enforces (v2 then has no memory controller).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace edgert::ports {

// The contents of a file, or nullopt when it cannot be read.
using ReadTextFile = std::function<std::optional<std::string>(const std::string& path)>;

// The cgroup that accounts a process's memory: its directory is
// mount_point + path ("/" being the mount itself).
struct MemoryCgroup {
  std::string mount_point;
  std::string path;
  bool v2 = false;
  std::string Directory() const { return path == "/" ? mount_point : mount_point + path; }
};

// From the texts of /proc/self/cgroup and /proc/self/mountinfo; nullopt when
// the process's memory is in no cgroup hierarchy that is mounted.
std::optional<MemoryCgroup> MemoryCgroupFrom(std::string_view proc_self_cgroup, std::string_view mountinfo);
std::optional<MemoryCgroup> OwnMemoryCgroup();

// The smallest limit of `group` and its ancestors, reading the limit files
// through `read`; 0 when there is none or it cannot be told.
uint64_t SmallestLimitUpwards(const MemoryCgroup& group, const ReadTextFile& read);

// Both steps from the texts (tests), and for this process from the live files.
uint64_t CgroupMemoryLimitFrom(std::string_view proc_self_cgroup, std::string_view mountinfo, const ReadTextFile& read);
uint64_t OwnCgroupMemoryLimit();

}  // namespace edgert::ports
