// tools/common/memory_plan.h: --budget and --plan, the same way in edge-run
// and edge-tune.
#pragma once

#include <string>

#include "base/status.h"
#include "runtime/memory/planner.h"
#include "runtime/memory/system_budget.h"

namespace edgert::cli {

struct PlanOutput {
  bool plan = false;  // --plan: print the plan and exit
  bool json = false;  // --json with --plan
};

// --budget's value, or the default from the system's memory when empty.
Result<BudgetChoice> ResolveBudget(const std::string& flag);

// --plan: the plan on stdout (table or one JSON line); returns the exit code (0).
int PrintPlan(const MemoryPlan& plan, const BudgetChoice& budget, bool json);

// Before a run: what the plan changed to fit, and swap or pressure warnings, on stderr.
void PrintPlanNotes(const MemoryPlan& plan, const BudgetChoice& budget);

}  // namespace edgert::cli
