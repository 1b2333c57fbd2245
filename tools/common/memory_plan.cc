// tools/common/memory_plan.cc
#include "tools/common/memory_plan.h"

#include <cstdio>

#include "ports/memory.h"
#include "tools/common/cli.h"

namespace edgert::cli {

Result<BudgetChoice> ResolveBudget(const std::string& flag) {
  if (flag.empty()) return DefaultBudget(ports::ReadSystemMemory());
  auto bytes = ParseBytes(flag);
  if (!bytes.ok()) return bytes.status().WithContext("--budget");
  if (*bytes == 0) return InvalidArgument("--budget 0: give a size, e.g. 2GB");
  BudgetChoice b;
  b.bytes = *bytes;
  b.source = "--budget " + flag;
  b.named = true;
  b.warnings = SwapWarnings(ports::ReadSystemMemory());
  return b;
}

int PrintPlan(const MemoryPlan& plan, const BudgetChoice& budget, bool json) {
  if (json) {
    std::printf("%s\n", PlanJson(plan).c_str());
  } else {
    std::printf("budget: %s (%s)\n%s", plan.budget_bytes ? Mib(plan.budget_bytes).c_str() : "none",
                budget.source.c_str(), FormatPlan(plan).c_str());
    for (const std::string& w : budget.warnings) std::printf("note: %s\n", w.c_str());
  }
  return 0;
}

void PrintPlanNotes(const MemoryPlan& plan, const BudgetChoice& budget) {
  for (const std::string& n : plan.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  for (const std::string& w : budget.warnings) std::fprintf(stderr, "note: %s\n", w.c_str());
}

}  // namespace edgert::cli
