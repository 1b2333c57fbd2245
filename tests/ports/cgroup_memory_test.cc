// Our own cgroup's memory limit from /proc/self/cgroup and mountinfo: the
// layouts a laptop, a container and a systemd scope give (fake files; the
// live kernel is tests/memory/cgroup_budget_test.cc's).
#include "ports/linux/cgroup_memory.h"

#include <gtest/gtest.h>

#include <map>

namespace edgert::ports {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr const char* kV1Unlimited = "9223372036854771712\n";

// Hybrid (cgroup v1 with the memory controller, an empty v2 beside it).
constexpr const char* kHybridMounts =
    "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n"
    "35 30 0:31 / /sys/fs/cgroup/cpu rw,nosuid - cgroup cgroup rw,cpu\n"
    "36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n";
constexpr const char* kHybridSelf = "9:name=systemd:/\n4:memory:/process_api/job7\n1:cpu:/\n0::/\n";

// Pure v2 (a current distribution; systemd-run -p MemoryMax puts the job in a scope).
constexpr const char* kV2Mounts = "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
constexpr const char* kV2Self = "0::/user.slice/run-r1.scope\n";

struct FakeFiles {
  std::map<std::string, std::string> files;
  ReadTextFile Reader() const {
    return [this](const std::string& path) -> std::optional<std::string> {
      const auto it = files.find(path);
      if (it == files.end()) return std::nullopt;
      return it->second;
    };
  }
};

TEST(CgroupMemory, V1ReadsTheProcessOwnGroupNotTheRoot) {
  FakeFiles f;
  f.files["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = kV1Unlimited;
  f.files["/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes"] = kV1Unlimited;
  f.files["/sys/fs/cgroup/memory/process_api/job7/memory.limit_in_bytes"] = "1073741824\n";
  EXPECT_EQ(CgroupMemoryLimitFrom(kHybridSelf, kHybridMounts, f.Reader()), 1024 * kMiB);
}

TEST(CgroupMemory, AParentsSmallerLimitWins) {
  FakeFiles f;
  f.files["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = kV1Unlimited;
  f.files["/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes"] = "536870912\n";
  f.files["/sys/fs/cgroup/memory/process_api/job7/memory.limit_in_bytes"] = "1073741824\n";
  EXPECT_EQ(CgroupMemoryLimitFrom(kHybridSelf, kHybridMounts, f.Reader()), 512 * kMiB);
}

TEST(CgroupMemory, NoLimitAnywhereIsZero) {
  FakeFiles f;
  f.files["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = kV1Unlimited;
  f.files["/sys/fs/cgroup/memory/process_api/job7/memory.limit_in_bytes"] = kV1Unlimited;
  EXPECT_EQ(CgroupMemoryLimitFrom(kHybridSelf, kHybridMounts, f.Reader()), 0u);
  FakeFiles v2;
  v2.files["/sys/fs/cgroup/user.slice/run-r1.scope/memory.max"] = "max\n";
  v2.files["/sys/fs/cgroup/user.slice/run-r1.scope/memory.high"] = "max\n";
  EXPECT_EQ(CgroupMemoryLimitFrom(kV2Self, kV2Mounts, v2.Reader()), 0u);
}

TEST(CgroupMemory, V2TakesTheSmallerOfMaxAndHighUpTheTree) {
  FakeFiles f;
  f.files["/sys/fs/cgroup/user.slice/run-r1.scope/memory.max"] = "3221225472\n";
  f.files["/sys/fs/cgroup/user.slice/run-r1.scope/memory.high"] = "2147483648\n";
  f.files["/sys/fs/cgroup/user.slice/memory.max"] = "max\n";
  EXPECT_EQ(CgroupMemoryLimitFrom(kV2Self, kV2Mounts, f.Reader()), 2048 * kMiB);
  f.files["/sys/fs/cgroup/user.slice/memory.max"] = "1073741824\n";
  EXPECT_EQ(CgroupMemoryLimitFrom(kV2Self, kV2Mounts, f.Reader()), 1024 * kMiB);
}

TEST(CgroupMemory, AContainerSeesItsGroupAsTheRoot) {
  // A cgroup namespace: the job's group is "/", mounted at /sys/fs/cgroup.
  FakeFiles f;
  f.files["/sys/fs/cgroup/memory.max"] = "805306368\n";
  EXPECT_EQ(CgroupMemoryLimitFrom("0::/\n", kV2Mounts, f.Reader()), 768 * kMiB);
  // No namespace, the mount shows a subtree (docker's v1 bind mount).
  FakeFiles sub;
  sub.files["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = "268435456\n";
  EXPECT_EQ(CgroupMemoryLimitFrom("5:memory:/docker/abc\n",
                                  "40 30 0:33 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n",
                                  sub.Reader()),
            256 * kMiB);
}

TEST(CgroupMemory, OddTextsAreNoLimitNotACrash) {
  // (Built in one initializer: GCC 12 warns falsely (-Wrestrict) on these assignments at -O3.)
  const FakeFiles f{{{"/sys/fs/cgroup/user.slice/run-r1.scope/memory.max", "12abc\n"},
                     {"/sys/fs/cgroup/user.slice/memory.max", "\n"},
                     {"/sys/fs/cgroup/memory.max", "99999999999999999999999\n"}}};
  EXPECT_EQ(CgroupMemoryLimitFrom(kV2Self, kV2Mounts, f.Reader()), 0u);
  EXPECT_EQ(CgroupMemoryLimitFrom("", "", f.Reader()), 0u);
  EXPECT_EQ(CgroupMemoryLimitFrom("garbage\n::\n", "no dash here\n", f.Reader()), 0u);
  // A v1 memory line without its mount, a v2 line without a cgroup2 mount.
  EXPECT_EQ(CgroupMemoryLimitFrom("4:memory:/x\n0::/y\n", "", f.Reader()), 0u);
}

TEST(CgroupMemory, EscapedMountPoints) {
  FakeFiles f;
  f.files["/mnt/cg roup/job/memory.max"] = "1048576\n";
  EXPECT_EQ(CgroupMemoryLimitFrom("0::/job\n", "30 25 0:26 / /mnt/cg\\040roup rw - cgroup2 none rw\n", f.Reader()),
            kMiB);
}

}  // namespace
}  // namespace edgert::ports
