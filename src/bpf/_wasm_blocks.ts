/**
 * Structured control flow for a Wasm function body being written: blocks,
 * loops and ifs opened by label, branches to a label by its depth.
 *
 * @module
 */
import { _OP, _VOID, _WasmCode } from "./_wasm_encoder.ts";

/** A function body with its label depth tracked (for `br` to named labels). */
export class _WasmBlocks {
  readonly c: _WasmCode;
  depth = 0;
  /** A body written into `c` (default: a new buffer). */
  constructor(c: _WasmCode = new _WasmCode()) {
    this.c = c;
  }
  /** Opens a block, loop or if of result type `type`; returns its label. */
  open(op: number, type: number = _VOID): number {
    this.c.begin(op, type);
    return ++this.depth;
  }
  /** The `else` of the innermost open `if`. */
  else(): void {
    this.c.op(_OP.else);
  }
  /** Closes the innermost open block, loop or if. */
  close(): void {
    this.c.op(_OP.end);
    this.depth--;
  }
  /** Branches to `label` (a block's end, a loop's start). */
  br(label: number): void {
    this.c.opIndex(_OP.br, this.depth - label);
  }
  /** Branches to `label` when the top of the stack is not 0. */
  brIf(label: number): void {
    this.c.opIndex(_OP.brIf, this.depth - label);
  }
}
