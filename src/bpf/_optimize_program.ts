/**
 * The program optimiser (private): a valid classic BPF program in, an
 * equivalent one out (the same result on every packet and context) that runs
 * no more instructions on any packet whose loads all succeed (where a removed
 * load would have failed, the later load that covers it fails instead, after
 * more instructions, with the same 0), as
 * libpcap's optimizer does for the expressions it compiles but for any
 * program: constants propagated and folded (`_optimize_constants.ts`),
 * jumps threaded and ALU runs merged (`_optimize_flow.ts`), dead code and
 * unreachable instructions removed (`_optimize_dead_code.ts`); a program
 * whose every `ret` is `ret #0` is `ret #0`. Every pass is
 * one linear walk (jumps only go forward); a program with a backward `ja`
 * (accepted with `allowBackwardJumps`) is returned as it is. Runs once per
 * compile, never per packet.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import { validate } from "./validate.ts";
import { BPF_K, BPF_RET } from "./opcodes.ts";
import { _hasBackwardJump, _toNodes, _toProgram } from "./_optimize_nodes.ts";
import { _foldConstants } from "./_optimize_constants.ts";
import { _mayReturnA, _removeDeadCode } from "./_optimize_dead_code.ts";
import { _mergeAluRuns, _threadJumps } from "./_optimize_flow.ts";

/**
 * Most rounds of the passes (a round's merges and removals open folds to the next); they stop
 * when one changes nothing. A removed load can leave the header length before it unread, so
 * random programs (`ldx msh; ld [x + k]` runs) took four.
 */
const _ROUNDS = 4;

/**
 * The passes on `program` (see the module), without the final check: for
 * tests, which check the output themselves.
 */
export function _optimizeUnchecked(program: Program): Program {
  if (program.length === 0 || _hasBackwardJump(program)) return program;
  if (program.length > 1 && _returnsZero(program)) {
    return [{ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 }];
  }
  const nodes = _toNodes(program);
  let changed = false;
  for (let round = 0; round < _ROUNDS; round++) {
    const before = nodes.slice();
    const xAt = _foldConstants(nodes);
    _threadJumps(nodes);
    _mergeAluRuns(nodes);
    _removeDeadCode(nodes, xAt);
    if (nodes.every((node, i) => node === before[i])) break;
    changed = true;
  }
  return changed ? _toProgram(nodes) : program;
}

/**
 * Whether every `ret` of `program` is `ret #0` and no load may end it returning A (an
 * ancillary or negative-offset `[k]` load): then it returns 0 on every packet, as every way
 * out of a forward-only program is a `ret`, a failed load or a division by zero, all 0.
 */
function _returnsZero(program: Program): boolean {
  return program.every((instruction) =>
    (instruction.code & 0x07) === BPF_RET
      ? instruction.code === (BPF_RET | BPF_K) && instruction.k === 0
      : !_mayReturnA(instruction)
  );
}

/**
 * An equivalent program that runs no more instructions where its loads succeed (see the module);
 * `program` itself when no pass changed anything (as for most programs
 * libpcap's optimizer made), or when the result would not pass
 * `validate()` (a defect of a pass: never silently wrong).
 *
 * @param program A program {@linkcode validate} accepted.
 * @returns The optimised program, or `program`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { _optimizeProgram } from "./_optimize_program.ts";
 * // ld #2; add #3; ret a → ret #5
 * const program = [
 *   { code: 0x00, jt: 0, jf: 0, k: 2 },
 *   { code: 0x04, jt: 0, jf: 0, k: 3 },
 *   { code: 0x16, jt: 0, jf: 0, k: 0 },
 * ];
 * assert.deepEqual(_optimizeProgram(program), [{ code: 0x06, jt: 0, jf: 0, k: 5 }]);
 * ```
 */
export function _optimizeProgram(program: Program): Program {
  const optimized = _optimizeUnchecked(program);
  if (optimized === program) return program;
  try {
    validate(optimized);
  } catch {
    return program;
  }
  return optimized;
}
