// A job in its own (non-root) cgroup gets that cgroup's limit as its default
// budget: the test makes a child memory cgroup with a 256 MiB limit, moves a
// forked child into it, and reads the default budget there. Needs root and a
// writable cgroup hierarchy with the memory controller (CI's machines are
// such); skips, saying why, elsewhere.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "ports/linux/cgroup_memory.h"
#include "runtime/memory/system_budget.h"

namespace edgert {
namespace {

constexpr uint64_t kLimit = 256ull << 20;

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.flush();
  return static_cast<bool>(f);
}

struct SeenByChild {
  uint64_t cgroup_limit = 0;
  uint64_t budget = 0;
  char source[200] = {};
};

TEST(CgroupBudget, AJobInAChildCgroupSeesItsLimit) {
  const std::optional<ports::MemoryCgroup> own = ports::OwnMemoryCgroup();
  if (!own) GTEST_SKIP() << "no memory cgroup is mounted for this process";
  const std::string dir = own->Directory() + "/edgert-budget-test-" + std::to_string(::getpid());
  if (::mkdir(dir.c_str(), 0755) != 0) {
    GTEST_SKIP() << "cannot make a child cgroup " << dir << ": " << std::strerror(errno);
  }
  const std::string limit_file = dir + (own->v2 ? "/memory.max" : "/memory.limit_in_bytes");
  if (!WriteFile(limit_file, std::to_string(kLimit))) {
    ::rmdir(dir.c_str());
    GTEST_SKIP() << "cannot set " << limit_file << " (v2 without the memory controller delegated?)";
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    SeenByChild seen;
    if (WriteFile(dir + "/cgroup.procs", std::to_string(::getpid()))) {
      const ports::SystemMemory m = ports::ReadSystemMemory();
      const BudgetChoice b = DefaultBudget(m);
      seen.cgroup_limit = m.cgroup_limit_bytes;
      seen.budget = b.bytes;
      std::strncpy(seen.source, b.source.c_str(), sizeof(seen.source) - 1);
    }
    const bool sent = ::write(fds[1], &seen, sizeof(seen)) == static_cast<ssize_t>(sizeof(seen));
    ::_exit(sent ? 0 : 1);
  }
  ::close(fds[1]);
  SeenByChild seen;
  const ssize_t got = ::read(fds[0], &seen, sizeof(seen));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::rmdir(dir.c_str());  // empty again once the child has exited
  ASSERT_EQ(got, static_cast<ssize_t>(sizeof(seen)));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(seen.cgroup_limit, kLimit) << "the child's cgroup " << dir;
  EXPECT_GT(seen.budget, 0u);
  EXPECT_LE(seen.budget, static_cast<uint64_t>(kLimit * kDefaultBudgetShare));
  EXPECT_NE(std::string(seen.source).find("cgroup"), std::string::npos) << seen.source;
}

}  // namespace
}  // namespace edgert
