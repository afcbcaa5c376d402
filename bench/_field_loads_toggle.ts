/**
 * Private bench toggle (issue 11, session 16): the three field-load changes
 * of session 16 at once, for `bench/_slice_ab.ts RULES N TREE
 * bench/_field_loads_toggle.ts fieldLoads` (off: X not staged and loaded
 * per load, guards on no bits read their field, address words checked
 * whatever the class).
 *
 * @module
 */
import { _classKnown, _stagedX } from "../src/rules/_classifier_wasm_field_loads.ts";
import { _guardLoads } from "../src/rules/_classifier_wasm_guards.ts";

/** `on` sets all three. */
export const fieldLoads = {
  get on(): boolean {
    return _stagedX.on;
  },
  set on(value: boolean) {
    _stagedX.on = _guardLoads.on = _classKnown.on = value;
  },
};
