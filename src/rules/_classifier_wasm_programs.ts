/**
 * Private: the cBPF programs of rule matches (`--bpf`, `--expr`, u32) in
 * the Wasm classifier module's rule tests (./_classifier_wasm_rule_tests.ts):
 * lowered (../bpf/_lower.ts) and run by the Wasm backend's program emitter
 * (../bpf/_wasm_codegen.ts) over a window of the frame record, or why one
 * runs in JavaScript (a call back: `jsMatch`).
 *
 * @module
 */
import { type _Locals, _ProgramEmitter } from "../bpf/_wasm_codegen.ts";
import { _I32, _OP } from "../bpf/_wasm_encoder.ts";
import { _lower, type _LoweredProgram } from "../bpf/_lower.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { LINKTYPE_EN10MB } from "../capture/link_types.ts";
import type { _PreparedMatch } from "./_match_tests.ts";
import { _readsAncillary } from "./_reads_ancillary.ts";
import { F_JS_MATCH } from "./_classifier_wasm_indices.ts";
import type { _TestEmission } from "./_classifier_wasm_plan.ts";
import type { _Body } from "./_classifier_wasm_body.ts";
import { _windowWord } from "./_classifier_wasm_field_loads.ts";
import {
  FR_LINK,
  FR_LINK_TYPE,
  W_BASE,
  W_LOAD_END,
  W_MAC,
  W_NETWORK,
  W_WIRE,
} from "./_classifier_wasm_layout.ts";

/**
 * Per program: its lowered form, or why it runs in JavaScript. A match with
 * a compiled program runs `match.program` (validated; for `--expr`, the
 * optimised program its test runs and its summary read: the unoptimised one
 * does not mean the same where a load fails, tests/expr_optimised_meaning_test.ts).
 */
export function _loweredProgram(match: _PreparedMatch): _LoweredProgram | string {
  const instructions = match.compiledProgram !== undefined ? match.program : null;
  if (instructions === null) {
    return match.match.kind === "bpf"
      ? "a link-base --expr is compiled per link type"
      : "a u32 test past 4096 instructions";
  }
  return _lowered(instructions);
}

/** Why `instructions` run in JavaScript (not lowered), or undefined. */
export function _loweringRefusal(instructions: readonly Instruction[]): string | undefined {
  if (_readsAncillary(instructions)) return "the program reads ancillary fields";
  // A `ja` goes back when its int32 offset is negative (`_jumpTarget`).
  for (const { code, k } of instructions) {
    if (code === _JA && (k | 0) < 0) return "the program jumps backwards";
  }
  return undefined;
}

/** `BPF_JMP | BPF_JA`. */
const _JA = 0x05;

/** The lowered form of `instructions`, or why it runs in JavaScript. */
function _lowered(instructions: readonly Instruction[]): _LoweredProgram | string {
  const refusal = _loweringRefusal(instructions);
  if (refusal !== undefined) return refusal;
  const lowered = _lower(instructions.map(({ code, jt, jf, k }) => ({ code, jt, jf, k: k >>> 0 })));
  if (lowered.backward) return "the program jumps backwards";
  return lowered;
}

/**
 * Pushes the result of `lowered` run over window `window` (`FR_NET` or
 * `FR_LINK`) of the frame: a lowered program (emitted here) or the bytes
 * emitted for the same program text before. Returns the program's bytes, for
 * reuse by rules that repeat the text.
 */
export function _emitProgram(
  b: _Body,
  L: _Locals,
  lowered: _LoweredProgram | Uint8Array,
  window: number,
  windows?: readonly [number, number, number, number],
): Uint8Array {
  const c = b.c;
  _windowWord(b, { windows }, window, W_BASE);
  c.set(L.base);
  _windowWord(b, { windows }, window, W_LOAD_END);
  c.set(L.end);
  b.word(window + W_WIRE);
  c.set(L.wire);
  b.word(window + W_NETWORK);
  c.set(L.net);
  b.word(window + W_MAC);
  c.set(L.mac);
  c.i32(0).set(L.a).i32(0).set(L.x);
  if (lowered instanceof Uint8Array) {
    c.append(lowered);
    return lowered;
  }
  const start = c.length;
  c.begin(_OP.block, _I32);
  // The frame record's windows end at most `wire` bytes past their base.
  new _ProgramEmitter(c, L, lowered, true, true).emit();
  c.op(_OP.end);
  return c.view().slice(start);
}

/**
 * A link-base `--expr`: on EN10MB frames its Ethernet program (the program
 * its summary read, `ethernetOnly`) over the link window in Wasm; on other
 * link types (compiled per link type and capture interface) a call back
 * into JavaScript. All of it a call back when the Ethernet program does not
 * lower. `programs` keeps the Ethernet program's code (or why it does not
 * lower) by the match's key, as `_emitTest` (./_classifier_wasm_rule_tests.ts)
 * keeps other programs'.
 */
export function _emitEthernetProgram(
  b: _Body,
  L: _Locals,
  match: _PreparedMatch,
  { escapes, programs }: Pick<_TestEmission, "escapes" | "programs">,
  windows?: readonly [number, number, number, number],
): void {
  const c = b.c;
  const key = match.key;
  let lowered: Uint8Array | _LoweredProgram | string | undefined = key !== undefined
    ? programs.get(key)
    : undefined;
  if (lowered === undefined) {
    const instructions = match.program;
    lowered = instructions === null
      ? "a link-base --expr is compiled per link type"
      : _lowered(instructions);
    if (key !== undefined && typeof lowered === "string") programs.set(key, lowered);
  }
  if (typeof lowered === "string") {
    c.i32(escapes.add(match, lowered)).get(0).opIndex(_OP.call, F_JS_MATCH).op(_OP.i32Eqz);
    b.failIf();
    return;
  }
  const q = escapes.add(match, "a link-base --expr on a link type other than EN10MB");
  b.word(FR_LINK_TYPE);
  c.i32(LINKTYPE_EN10MB).op(_OP.i32Eq);
  b.open(_OP.if, _I32);
  const emitted = _emitProgram(b, L, lowered, FR_LINK, windows);
  if (key !== undefined && !(lowered instanceof Uint8Array)) programs.set(key, emitted);
  // Passes when (result !== 0) !== invert.
  if (match.invert) c.op(_OP.i32Eqz);
  else c.i32(0).op(_OP.i32Ne);
  b.else();
  c.i32(q).get(0).opIndex(_OP.call, F_JS_MATCH);
  b.close();
  c.op(_OP.i32Eqz);
  b.failIf();
}
