// runtime/memory/system_budget.cc: DefaultBudget and SwapWarnings.
#include "runtime/memory/system_budget.h"

#include <algorithm>
#include <cstdio>

#include "runtime/memory/planner.h"

namespace edgert {
namespace {

bool Pressured(const ports::SystemMemory& s) {
  return s.pressure_some_avg10 > kPressuredAvg10 || s.pressure == ports::MemoryPressure::kWarning ||
         s.pressure == ports::MemoryPressure::kCritical;
}

}  // namespace

std::vector<std::string> SwapWarnings(const ports::SystemMemory& s) {
  std::vector<std::string> w;
  char buf[256];
  if (s.swap_total_bytes > 0) {
    const uint64_t used = s.swap_total_bytes - std::min(s.swap_free_bytes, s.swap_total_bytes);
    std::snprintf(buf, sizeof(buf),
                  "swap is on (%s, %s used): weights are clean file pages and never go to swap; the arena is "
                  "locked in RAM where the OS allows",
                  Mib(s.swap_total_bytes).c_str(), Mib(used).c_str());
    w.push_back(buf);
  }
  if (Pressured(s)) {
    std::snprintf(buf, sizeof(buf), "the system is under memory pressure (PSI some avg10 %.1f%%)", s.pressure_some_avg10);
    w.push_back(buf);
  }
  return w;
}

BudgetChoice DefaultBudget(const ports::SystemMemory& s) {
  BudgetChoice b;
  b.warnings = SwapWarnings(s);
  uint64_t available = s.available_bytes;
  std::string from = "MemAvailable " + Mib(s.available_bytes);
  if (s.cgroup_limit_bytes > 0 && (available == 0 || s.cgroup_limit_bytes < available)) {
    available = s.cgroup_limit_bytes;
    from = "the cgroup's limit " + Mib(s.cgroup_limit_bytes);
  }
  if (available == 0) {
    b.source = "no budget: the system reports no available memory";
    return b;
  }
  double share = kDefaultBudgetShare;
  if (Pressured(s)) share /= 2;
  b.bytes = static_cast<uint64_t>(static_cast<double>(available) * share) >> 20 << 20;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "default: %.0f%% of %s%s; --budget to choose", share * 100, from.c_str(),
                Pressured(s) ? ", halved under memory pressure" : "");
  b.source = buf;
  return b;
}

}  // namespace edgert
