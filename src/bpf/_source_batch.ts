/**
 * The source strategy's `runBatch` (private): the program's generated body
 * inside one loop over the batch's frames, so that a frame costs no call and
 * no context object; each frame's bounds are locals, computed as the batch
 * path of every other strategy computes them (`_run_batch.ts`).
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import { _EMPTY_CONTEXT, _loadEnd, _loadIndex } from "./_packet_access.ts";
import { _ancillary } from "./_ancillary.ts";
import { _lower } from "./_lower.ts";
import { _generateBody } from "./_source_codegen.ts";
import { _batchCount, type _BatchRun } from "./_run_batch.ts";

/** The helpers the generated loop calls, passed in as one argument. */
const HELPERS = {
  batchCount: _batchCount,
  loadEnd: _loadEnd,
  loadIndex: _loadIndex,
  ancillary: _ancillary,
  EMPTY: _EMPTY_CONTEXT,
};

/**
 * The source of a validated program's batch loop: frame `n`'s result goes to
 * `results[n]`. Offset 0 is the frame's start plus its data offset, the
 * network header there too, the link header at the frame's start; loads end
 * at the frame's captured end (never past the buffer) or its wire length
 * from offset 0, as `_batchThroughContext` describes each frame to a program
 * of one packet. Only numbers from the validated program are written in.
 */
export function _generateBatchSource(program: Program): string {
  const { body, uses } = _generateBody(
    _lower(program),
    (value) => `{ results[n] = ${value}; continue frames; }`,
  );
  const cells = [...uses.memory].sort((a, b) => a - b).map((cell) => `M${cell}`);
  return [
    '"use strict";',
    "return function runBatch(batch, results) {",
    "const count = h.batchCount(batch, results);",
    "const P = batch.bytes, offsets = batch.offsets, captured = batch.capturedLengths;",
    "const wires = batch.wireLengths, datas = batch.dataOffsets;",
    "const C = batch.context === undefined ? h.EMPTY : batch.context;",
    "const length = P.length;",
    `let A = 0, X = 0, i = 0, o = 0, v = 0${cells.map((c) => `, ${c} = 0`).join("")};`,
    "frames: for (let n = 0; n < count; n++) {",
    "const MAC = offsets[n];",
    "const B = datas === undefined ? MAC : MAC + datas[n];",
    "const NET = B;",
    "const last = MAC + captured[n];",
    "const end = last < length ? last : length;",
    "const W = wires === undefined ? (end > B ? end - B : 0) : wires[n];",
    "const LE = h.loadEnd(B, end, W);",
    `A = 0; X = 0;${cells.map((c) => ` ${c} = 0;`).join("")}`,
    ...body,
    "}",
    "};",
  ].join("\n");
}

/**
 * The batch loop of a validated program as a function (`new Function`);
 * throws where code generation is refused.
 */
export function _compileSourceBatch(program: Program): _BatchRun {
  const factory = new Function("h", _generateBatchSource(program)) as (
    helpers: typeof HELPERS,
  ) => _BatchRun;
  return factory(HELPERS);
}
