// runtime/memory/system_budget.h: the budget a job gets when the user names
// none, from what the system says it has (ports::ReadSystemMemory), and what
// the user should know about swap and memory pressure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ports/memory.h"

namespace edgert {

struct BudgetChoice {
  uint64_t bytes = 0;                 // 0: the system told us nothing (no budget)
  std::string source;                 // "--budget" or how the default was derived
  std::vector<std::string> warnings;  // swap in use, memory pressure
  bool named = false;                 // the user gave it: a plan may spend all of it on speed
};

// Share of the available memory a default budget takes: the rest is left to
// the page cache and the other programs.
inline constexpr double kDefaultBudgetShare = 0.8;
// PSI "some avg10" (% of the last 10 s some task waited for memory) above
// which the system counts as under pressure: the default budget then halves.
inline constexpr double kPressuredAvg10 = 10.0;

// The default: kDefaultBudgetShare of min(MemAvailable, the cgroup's limit),
// halved under memory pressure.
BudgetChoice DefaultBudget(const ports::SystemMemory& system);

// Notes about swap and pressure for any budget (given or default).
std::vector<std::string> SwapWarnings(const ports::SystemMemory& system);

}  // namespace edgert
