/**
 * What every handler of the HTTP service shares: storage, limits, clock,
 * the compiled rule sets and stream admission.
 *
 * @module
 */
import type { AppLimits } from "./app_deps.ts";
import type { RuleSetStore } from "./rule_set_store.ts";
import type { _LoadedRuleSets } from "./_loaded_rule_sets.ts";
import type { _StreamAdmission } from "./_stream_admission.ts";
import type { _LoopBudget } from "./_loop_budget.ts";

/** The state and settings of one app instance, passed to every handler. */
export interface _Service {
  readonly store: RuleSetStore;
  readonly limits: AppLimits;
  readonly now: () => Date;
  readonly ruleSets: _LoadedRuleSets;
  readonly admission: _StreamAdmission;
  /** The event-loop slices every filter stream routes its input in. */
  readonly budget: _LoopBudget;
}
