/**
 * Private: the Wasm classifier module's (./_classifier_wasm_module.ts)
 * `stage` and `records` functions (their code: ./_classifier_wasm_stage.ts):
 * frames described and classified in the module, `records` calling
 * `classify` or, where chains call each other directly, running the entry
 * chain's `run` inline.
 *
 * @module
 */
import type { _WasmCode, _WasmFunction } from "../bpf/_wasm_encoder.ts";
import { _isVersionByte } from "./_frame_class.ts";
import {
  _recordsCallFunction,
  _recordsFunction,
  _recordsRunFunction,
  _stageFunction,
} from "./_classifier_wasm_stage.ts";
import { T_RECORDS, T_RUN_RECORDS, T_STAGE } from "./_classifier_wasm_indices.ts";
import type { _ModuleFlags, _WasmPlan } from "./_classifier_wasm_plan.ts";
import { _emitTotals, _entryClassify } from "./_classifier_wasm_classify.ts";

/**
 * Whether `records` runs the entry chain inline where chains call each
 * other directly (tests switch it off), and the longest entry `run` code
 * placed so (the module then holds it twice: in `run`, which `classify` and
 * `batch` call, and in the records loop).
 */
export const _fusedRecords = { enabled: true, bytes: 1 << 20 };

/**
 * The module's `stage` and `records` functions (at `stage` and `stage + 1`);
 * where chains call each other directly (`nested`), `records` calls a loop
 * with the entry chain's `run` inline (`stage + 2`).
 */
export function _stagingFunctions(
  plan: _WasmPlan,
  module: _ModuleFlags,
  runs: readonly _WasmFunction[],
  at: { nested: number | undefined; classify: number; stage: number },
): { functions: _WasmFunction[]; recordsRunEntry: boolean } {
  const layout = plan.layout;
  const stageFlags = {
    byIp: plan.byIp,
    readNibble: plan.fields.some(_isVersionByte),
    readsUpper: module.readsUpper,
    readsLink: plan.anyLink,
    readsInterfaces: module.readsInterfaces,
    readsPatterns: module.patterns.size > 0,
  };
  const emitTotals = (c: _WasmCode, v: number, scratch: number) => {
    _emitTotals(c, layout, v, scratch, () => c.i32(layout.frames));
  };
  const stage = _stageFunction(layout, stageFlags, T_STAGE);
  const entry = runs[plan.entry];
  if (
    at.nested === undefined || !_fusedRecords.enabled || plan.chains[plan.entry].length === 0 ||
    entry.code.length > _fusedRecords.bytes
  ) {
    const records = _recordsFunction(layout, stageFlags, at.classify, emitTotals, T_RECORDS);
    return { functions: [stage, records], recordsRunEntry: false };
  }
  // The run's local `r` (8) is free once its code has run.
  const classify = _entryClassify(plan, (c) => c.append(entry.code.view()), 8);
  const inline = { locals: entry.locals, classify };
  return {
    functions: [
      stage,
      _recordsCallFunction(at.stage + 2, T_RECORDS),
      _recordsRunFunction(layout, stageFlags, inline, emitTotals, T_RUN_RECORDS),
    ],
    recordsRunEntry: true,
  };
}
