/**
 * Private: the body of a function of the Wasm classifier module
 * (./_classifier_wasm_module.ts): structured control, frame record reads,
 * how a run's result and a rule test's failure leave; and big-endian loads.
 *
 * @module
 */
import { _OP, type _WasmCode } from "../bpf/_wasm_encoder.ts";
import { _WasmBlocks } from "../bpf/_wasm_blocks.ts";
import { FRAME_AT } from "./_classifier_wasm_layout.ts";

/** A classifier function's body: structured control plus frame record reads. */
export class _Body extends _WasmBlocks {
  /**
   * Pushes frame record word `word`, at its constant address: the record
   * classified is always at `FRAME_AT` (local 0, where a function takes the
   * record's address, holds that address too).
   */
  word(word: number): this {
    this.c.i32(FRAME_AT).memory(_OP.i32Load, 4 * word);
    return this;
  }
  /**
   * In a chain's `run` of cases: the label of the block that holds its whole
   * code, whose value is the run's result (so that the same code can run
   * inline in the records loop, ./_classifier_wasm_stage.ts); -1 elsewhere.
   */
  exit = -1;
  /** Ends the function with the value on the stack: `return`, or a branch out of `exit`. */
  leave(): void {
    if (this.exit < 0) this.c.op(_OP.return);
    else this.br(this.exit);
  }
  /** `if (top) return value` (see {@linkcode leave}). */
  returnIf(value: number): void {
    this.open(_OP.if);
    this.c.i32(value);
    this.leave();
    this.close();
  }
  /**
   * In a rule's test: the label its failure branches to where the test is
   * inlined in its chain's candidate loop, -1 in a test function of its own
   * (the failure returns 0).
   */
  failLabel = -1;
  /** In a rule's test: `if (top) the test fails`. */
  failIf(): void {
    if (this.failLabel < 0) this.returnIf(0);
    else this.brIf(this.failLabel);
  }
  /** In a rule's test: the test fails. */
  fail(): void {
    if (this.failLabel < 0) this.c.i32(0).op(_OP.return);
    else this.br(this.failLabel);
  }
}

/** Loads `size` bytes big-endian at the address on the stack plus `offset` (`temp`: a scratch local). */
export function _read(c: _WasmCode, size: number, offset: number, temp: number): void {
  c.memory(size === 1 ? _OP.i32Load8U : size === 2 ? _OP.i32Load16U : _OP.i32Load, offset);
  if (size === 2) {
    c.tee(temp).i32(8).op(_OP.i32Shl).get(temp).i32(8).op(_OP.i32ShrU).op(_OP.i32Or)
      .i32(0xffff).op(_OP.i32And);
  } else if (size === 4) {
    c.tee(temp).i32(8).op(_OP.i32Rotr).i32(0xff00ff00).op(_OP.i32And)
      .get(temp).i32(8).op(_OP.i32Rotl).i32(0x00ff00ff).op(_OP.i32And).op(_OP.i32Or);
  }
}
