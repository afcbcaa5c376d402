/**
 * The dispatch loop of the closure strategy (private): runs dispatch code
 * ({@linkcode _encodeDispatch}) on one packet. The loop is the body of the
 * function that `compileClosure` returns (one more call per packet costs as
 * much as a short program), shared by every program: V8 compiles it once,
 * with A, X, the program counter and the packet bounds as untagged int32 in
 * registers. Its inner loop holds the common operations (the fused tests,
 * superinstructions, returns, jumps, plain loads) and makes no call, so the
 * JIT keeps both arrays' lengths and data pointers across iterations; the
 * rest leave it for {@linkcode _step}. A and X are int32 bits (unsigned only
 * where it matters: compares, division, `>>>`, the result).
 *
 * The fused tests' cases (between the `GENERATED` comments) are written by
 * scripts/generate_execute_cases.ts from one template per test and one tail
 * per variant (`_RET_PAIR`, `_TRUE_RETURNS`, `_FALSE_RETURNS`); its test fails
 * when they differ from the templates. Edit the templates, then rerun it.
 *
 * A test whose two targets are returns (`_RET_PAIR`) picks its result with
 * masks instead of a branch or a `Number(bool)` index (which V8 compiles to a
 * branch): `x = A ^ v` is 0 exactly when equal, and `((x - 1) & ~x) >> 31`
 * is then -1, else 0; the range test's mask is the borrow out of `span - d`
 * (`((~s & d) | (~(s ^ d) & (s - d))) >> 31`, -1 when `d > span` unsigned);
 * `t ^ ((t ^ f) & mask)` then picks. Which target a packet takes depends on
 * its bytes, and a mispredicted branch costs more than the test (measured on
 * `ip` through this loop with one program compiled: 8.7 → 7.1 ns a packet). Tests that continue in the program keep
 * their branch: a mask there makes the next dispatch wait for the packet's
 * bytes (the 734-instruction program 330 → 574 ns).
 *
 * `R`, the result, is 0 until an operation ends the program with another
 * value (the batch copy sets it to 0 per frame), so a load out of bounds
 * only leaves `program`: two or three bytes of bytecode less at each of
 * about 200 places.
 *
 * V8 optimises no function whose bytecode is longer than
 * `--max-optimized-bytecode-size` (61,440 bytes): past it the loop runs in
 * the baseline tiers, about twice as slow (bench/RESULTS.md, session 18).
 * Node's V8 lays out 1.6–1.8% more bytecode for the same source (Node 20:
 * 59,820 bytes for this loop, 58,791 in Deno 2.9), and each generated case
 * counts: scripts/generate_execute_frames_test.ts checks this loop and its
 * batch copy in Deno's V8, scripts/execute_bytecode_node_test.ts all three
 * copies in Node's. The batch copy leaves out the fused chains no program
 * was seen to use (`FRAMES_LEFT_OUT` of scripts/generate_execute_frames.ts).
 *
 * Batches run a copy of this loop, `_executorFrames` in `_execute_frames.ts`
 * (written by scripts/generate_execute_frames.ts; rerun it after editing
 * this file), so that V8 optimises per-packet calls and batches apart: one
 * literal serving both loses the per-packet code's folded `B = 0` and
 * `LE = P.length` in every process that also runs batches. Only the copy
 * has the batch's code (the script puts it in place of the lines marked
 * `// FRAMES: <name>`): a per-packet call sets up no batch variables and
 * runs no `frames` loop, which short programs paid for on every packet.
 *
 * Programs of arithmetic run a third copy, `_executorArithmetic` in
 * `_execute_arith.ts` (written by scripts/generate_execute_arith.ts: rerun
 * it too after editing this file), without the cases of mid-size `tcpdump`
 * programs and with a case for each pair of operations of
 * `_dispatch_fused.ts` (two operations in one dispatch), which have no room
 * here.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import {
  _BACKWARD_JUMP_BUDGET,
  _captureEnd,
  _dataStart,
  _EMPTY_CONTEXT,
  _loadEnd,
  _macStart,
  _networkStart,
  _wireLength,
} from "./_packet_access.ts";
import { REG_A, REG_X, RESULT, STATE_LENGTH } from "./_execute_state.ts";
import { _step } from "./_execute_step.ts";
// FRAMES: import

// check-function-length: table (its inner function is the dispatch loop)
/**
 * The function that runs `code` on a packet: `run(P, C)`, where `B` is
 * `dataOffset`, `LE` the absolute end of loads, `W` the wire length,
 * `NET`/`MAC` the header indices (-1: no link-layer header), `S` the state
 * array (`_execute_state.ts`) and `C` the context for ancillary loads; it
 * returns the program's result (uint32). Buffers whose indices do not fit in
 * int32 (past 2 GiB) go to `beyondInt32`. In the batch copy
 * (`_executorFrames`, whose lines marked `// FRAMES:` hold the batch's parts)
 * a batch (`_execute_batch.ts`) passes its cursor as `C`: the function then
 * runs every frame of the batch in turn (the `frames` loop), writes each
 * result to the batch's `results` and returns 0; the per-packet function has
 * no batch code at all. Each operation that ends the program sets `R` and
 * leaves the `program` block.
 *
 * The case labels are the operation numbers of `_dispatch_code.ts` written as
 * literals (named in a comment), dense from 0 so the JIT builds one jump
 * table; imported constants would make each label a load and a compare.
 */
export function _executor(
  code: Int32Array,
  beyondInt32: (P: Uint8Array, C?: PacketContext) => number,
): (P: Uint8Array, C?: PacketContext) => number {
  const S = new Int32Array(STATE_LENGTH);
  // check-function-length: table (one case per operation in one loop, so the JIT keeps A, X and the bounds in registers)
  const run = function run(P: Uint8Array): number {
    // The context, as `arguments[1]`: with a second formal parameter, the usual
    // call with only a packet costs V8 an argument-padding step, about 3 ns here.
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined; // FRAMES: context-argument
    // Indices are int32 here, so the JIT keeps them untagged in registers.
    let B = 0;
    let LE = P.length | 0;
    let W = LE;
    let NET = 0;
    let MAC = -1;
    // FRAMES: cursor
    if (C !== undefined || LE !== P.length) {
      { // FRAMES: context
        const context = C ?? _EMPTY_CONTEXT;
        const captureEnd = _captureEnd(P, context);
        const base = _dataStart(context);
        const wire = _wireLength(context, base, captureEnd);
        const loadEnd = _loadEnd(base, captureEnd, wire);
        const network = _networkStart(context, base);
        const mac = _macStart(context);
        if (
          (loadEnd | 0) !== loadEnd || (base | 0) !== base || (network | 0) !== network ||
          (mac | 0) !== mac || P.length > 0x7fffffff
        ) return beyondInt32(P, C);
        B = base | 0;
        LE = loadEnd | 0;
        W = wire;
        NET = network | 0;
        MAC = mac | 0;
      }
    }
    // FRAMES: arrays
    const K = code;
    let R = 0;
    { // FRAMES: frames
      let A = 0;
      let X = 0;
      let pc = 0;
      let jumps = 0; // backward jumps taken
      program: {
        for (;;) {
          // Read here so the inner loop knows both arrays' shapes and lengths.
          if (LE > P.length || pc >= K.length) {
            break program;
          }
          fast: for (;;) {
            switch (K[pc]) {
              // BEGIN GENERATED by scripts/generate_execute_cases.ts
              case 217: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 15: { // _T_B_EQ
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                pc = equal ? K[(pc + 3) | 0] : K[(pc + 4) | 0];
                continue;
              }
              case 218: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 47: { // _T_B_EQ ret
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const x = A ^ K[(pc + 2) | 0];
                const f = K[(pc + 4) | 0];
                {
                  R = (f ^ ((K[(pc + 3) | 0] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
                  break program;
                }
              }
              case 221: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 16: { // _T_H_EQ
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                const equal = A === K[(pc + 2) | 0];
                pc = equal ? K[(pc + 3) | 0] : K[(pc + 4) | 0];
                continue;
              }
              case 222: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 48: { // _T_H_EQ ret
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                const x = A ^ K[(pc + 2) | 0];
                const f = K[(pc + 4) | 0];
                {
                  R = (f ^ ((K[(pc + 3) | 0] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
                  break program;
                }
              }
              case 225: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 17: { // _T_W_EQ
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                pc = equal ? K[(pc + 3) | 0] : K[(pc + 4) | 0];
                continue;
              }
              case 226: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 49: { // _T_W_EQ ret
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const x = A ^ K[(pc + 2) | 0];
                const f = K[(pc + 4) | 0];
                {
                  R = (f ^ ((K[(pc + 3) | 0] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
                  break program;
                }
              }
              case 18: { // _T_A_EQ
                const equal = A === K[(pc + 1) | 0];
                pc = equal ? K[(pc + 2) | 0] : K[(pc + 3) | 0];
                continue;
              }
              case 50: { // _T_A_EQ ret
                const x = A ^ K[(pc + 1) | 0];
                const f = K[(pc + 3) | 0];
                {
                  R = (f ^ ((K[(pc + 2) | 0] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
                  break program;
                }
              }
              case 229: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 22: { // _T_B_EQ2
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                pc = A === K[(pc + 2) | 0]
                  ? K[(pc + 3) | 0]
                  : A === K[(pc + 4) | 0]
                  ? K[(pc + 5) | 0]
                  : K[(pc + 6) | 0];
                continue;
              }
              case 231: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 23: { // _T_H_EQ2
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                pc = A === K[(pc + 2) | 0]
                  ? K[(pc + 3) | 0]
                  : A === K[(pc + 4) | 0]
                  ? K[(pc + 5) | 0]
                  : K[(pc + 6) | 0];
                continue;
              }
              case 233: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 24: { // _T_W_EQ2
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                pc = A === K[(pc + 2) | 0]
                  ? K[(pc + 3) | 0]
                  : A === K[(pc + 4) | 0]
                  ? K[(pc + 5) | 0]
                  : K[(pc + 6) | 0];
                continue;
              }
              case 25: { // _T_A_EQ2
                pc = A === K[(pc + 1) | 0]
                  ? K[(pc + 2) | 0]
                  : A === K[(pc + 3) | 0]
                  ? K[(pc + 4) | 0]
                  : K[(pc + 5) | 0];
                continue;
              }
              case 205: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 9: { // _T_B
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 206: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 41: { // _T_B ret
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 209: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 10: { // _T_H
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 210: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 42: { // _T_H ret
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 213: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 11: { // _T_W
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 214: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 43: { // _T_W ret
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 8: { // _T_A
                A = (A >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 40: { // _T_A ret
                A = (A >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 12: { // x + k ≥ 0 here, else in _step: _T_IND_B
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 1 > LE) break program;
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 44: { // x + k ≥ 0 here, else in _step: _T_IND_B ret
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 1 > LE) break program;
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 13: { // x + k ≥ 0 here, else in _step: _T_IND_H
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 2 > LE) break program;
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 45: { // x + k ≥ 0 here, else in _step: _T_IND_H ret
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 2 > LE) break program;
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 14: { // x + k ≥ 0 here, else in _step: _T_IND_W
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 4 > LE) break program;
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 46: { // x + k ≥ 0 here, else in _step: _T_IND_W ret
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 4 > LE) break program;
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 19: { // _T_MSH_IND_B
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 1 > LE) break program;
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 51: { // _T_MSH_IND_B ret
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 1 > LE) break program;
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 20: { // _T_MSH_IND_H
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 2 > LE) break program;
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 52: { // _T_MSH_IND_H ret
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 2 > LE) break program;
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 21: { // _T_MSH_IND_W
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 4 > LE) break program;
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 53: { // _T_MSH_IND_W ret
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 4 > LE) break program;
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 219: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 79: { // _T_B_EQ rettrue
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                if (equal) {
                  R = K[(pc + 3) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 4) | 0];
                continue;
              }
              case 220: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 111: { // _T_B_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                if (!equal) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 3) | 0];
                continue;
              }
              case 223: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 80: { // _T_H_EQ rettrue
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                const equal = A === K[(pc + 2) | 0];
                if (equal) {
                  R = K[(pc + 3) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 4) | 0];
                continue;
              }
              case 224: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 112: { // _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                const equal = A === K[(pc + 2) | 0];
                if (!equal) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 3) | 0];
                continue;
              }
              case 227: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 81: { // _T_W_EQ rettrue
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                if (equal) {
                  R = K[(pc + 3) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 4) | 0];
                continue;
              }
              case 228: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 113: { // _T_W_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                if (!equal) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 3) | 0];
                continue;
              }
              case 82: { // _T_A_EQ rettrue
                const equal = A === K[(pc + 1) | 0];
                if (equal) {
                  R = K[(pc + 2) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 3) | 0];
                continue;
              }
              case 114: { // _T_A_EQ retfalse
                const equal = A === K[(pc + 1) | 0];
                if (!equal) {
                  R = K[(pc + 3) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 2) | 0];
                continue;
              }
              case 207: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 73: { // _T_B rettrue
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 208: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 105: { // _T_B retfalse
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 211: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 74: { // _T_H rettrue
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 212: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 106: { // _T_H retfalse
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 215: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 75: { // _T_W rettrue
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 216: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 107: { // _T_W retfalse
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 72: { // _T_A rettrue
                A = (A >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 104: { // _T_A retfalse
                A = (A >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 83: { // _T_MSH_IND_B rettrue
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 1 > LE) break program;
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 115: { // _T_MSH_IND_B retfalse
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 1 > LE) break program;
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 84: { // _T_MSH_IND_H rettrue
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 2 > LE) break program;
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 116: { // _T_MSH_IND_H retfalse
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 2 > LE) break program;
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 85: { // _T_MSH_IND_W rettrue
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 4 > LE) break program;
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 117: { // _T_MSH_IND_W retfalse
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 4 > LE) break program;
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 76: { // x + k ≥ 0 here, else in _step: _T_IND_B rettrue
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 1 > LE) break program;
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 108: { // x + k ≥ 0 here, else in _step: _T_IND_B retfalse
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 1 > LE) break program;
                A = ((P[i]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 77: { // x + k ≥ 0 here, else in _step: _T_IND_H rettrue
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 2 > LE) break program;
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 109: { // x + k ≥ 0 here, else in _step: _T_IND_H retfalse
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 2 > LE) break program;
                A = (((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 78: { // x + k ≥ 0 here, else in _step: _T_IND_W rettrue
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 4 > LE) break program;
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 110: { // x + k ≥ 0 here, else in _step: _T_IND_W retfalse
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 4 > LE) break program;
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 230: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 118: { // _T_B_EQ2 retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                if (A === K[(pc + 2) | 0]) {
                  pc = K[(pc + 3) | 0];
                  continue;
                }
                if (A !== K[(pc + 4) | 0]) {
                  R = K[(pc + 6) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 5) | 0];
                continue;
              }
              case 232: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 119: { // _T_H_EQ2 retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A === K[(pc + 2) | 0]) {
                  pc = K[(pc + 3) | 0];
                  continue;
                }
                if (A !== K[(pc + 4) | 0]) {
                  R = K[(pc + 6) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 5) | 0];
                continue;
              }
              case 234: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 120: { // _T_W_EQ2 retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                if (A === K[(pc + 2) | 0]) {
                  pc = K[(pc + 3) | 0];
                  continue;
                }
                if (A !== K[(pc + 4) | 0]) {
                  R = K[(pc + 6) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 5) | 0];
                continue;
              }
              case 121: { // _T_A_EQ2 retfalse
                if (A === K[(pc + 1) | 0]) {
                  pc = K[(pc + 2) | 0];
                  continue;
                }
                if (A !== K[(pc + 3) | 0]) {
                  R = K[(pc + 5) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 4) | 0];
                continue;
              }
              case 189: { // _T_A_EQN
                let at = (pc + 2) | 0;
                const end = (at + 2 * K[(pc + 1) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 235: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 190: { // _T_B_EQN
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 191: { // _T_H_EQN
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 237: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 192: { // _T_W_EQN
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 193: { // _T_MSH_IND_H_EQN
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                let at = (pc + 4) | 0;
                const end = (at + 2 * K[(pc + 3) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 194: { // _T_W_PAIR
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 4 > LE) break program;
                  A = ((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                    P[(i + 3) | 0]) & K[(pc + 2) | 0];
                  if (A === K[(pc + 3) | 0]) {
                    const t = K[(pc + 4) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                }
                const j = B + K[(pc + 5) | 0];
                if (j + 4 > LE) break program;
                A =
                  ((P[j] << 24) | (P[(j + 1) | 0] << 16) | (P[(j + 2) | 0] << 8) | P[(j + 3) | 0]) &
                  K[(pc + 6) | 0];
                if (A === K[(pc + 7) | 0]) {
                  const t = K[(pc + 8) | 0];
                  if (t < 0) {
                    R = K[~t] >>> 0;
                    break program;
                  }
                  pc = t;
                  continue fast;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 239: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 195: { // _T_W_EQ_PAIR
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 4 > LE) break program;
                  A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                    P[(i + 3) | 0];
                  if (A === K[(pc + 2) | 0]) {
                    pc = K[(pc + 3) | 0];
                    continue;
                  }
                }
                const j = B + K[(pc + 4) | 0];
                if (j + 4 > LE) break program;
                A = (P[j] << 24) | (P[(j + 1) | 0] << 16) | (P[(j + 2) | 0] << 8) | P[(j + 3) | 0];
                if (A === K[(pc + 5) | 0]) {
                  pc = K[(pc + 6) | 0];
                  continue;
                }
                pc = K[(pc + 7) | 0];
                continue;
              }
              case 196: { // _T_H_EQ3
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A === K[(pc + 3) | 0]) {
                  const t = K[(pc + 4) | 0];
                  if (t < 0) {
                    R = K[~t] >>> 0;
                    break program;
                  }
                  pc = t;
                  continue fast;
                }
                if (A === K[(pc + 5) | 0]) {
                  const t = K[(pc + 6) | 0];
                  if (t < 0) {
                    R = K[~t] >>> 0;
                    break program;
                  }
                  pc = t;
                  continue fast;
                }
                if (A === K[(pc + 7) | 0]) {
                  const t = K[(pc + 8) | 0];
                  if (t < 0) {
                    R = K[~t] >>> 0;
                    break program;
                  }
                  pc = t;
                  continue fast;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 197: { // _T_A_EQN retend
                let at = (pc + 2) | 0;
                const end = (at + 2 * K[(pc + 1) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 236: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 198: { // _T_B_EQN retend
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 199: { // _T_H_EQN retend
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 238: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 200: { // _T_W_EQN retend
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 201: { // _T_MSH_IND_H_EQN retend
                const h = B + K[(pc + 1) | 0];
                if (h + 1 > LE) break program;
                X = (P[h] & 0xf) << 2;
                const i = B + X + K[(pc + 2) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                let at = (pc + 4) | 0;
                const end = (at + 2 * K[(pc + 3) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 202: { // _T_W_PAIR retend
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 4 > LE) break program;
                  A = ((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                    P[(i + 3) | 0]) & K[(pc + 2) | 0];
                  if (A === K[(pc + 3) | 0]) {
                    const t = K[(pc + 4) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                }
                const j = B + K[(pc + 5) | 0];
                if (j + 4 > LE) break program;
                A =
                  ((P[j] << 24) | (P[(j + 1) | 0] << 16) | (P[(j + 2) | 0] << 8) | P[(j + 3) | 0]) &
                  K[(pc + 6) | 0];
                if (A === K[(pc + 7) | 0]) {
                  const t = K[(pc + 8) | 0];
                  if (t < 0) {
                    R = K[~t] >>> 0;
                    break program;
                  }
                  pc = t;
                  continue fast;
                }
                {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
              }
              case 240: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 203: { // _T_W_EQ_PAIR retend
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 4 > LE) break program;
                  A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                    P[(i + 3) | 0];
                  if (A === K[(pc + 2) | 0]) {
                    pc = K[(pc + 3) | 0];
                    continue;
                  }
                }
                const j = B + K[(pc + 4) | 0];
                if (j + 4 > LE) break program;
                A = (P[j] << 24) | (P[(j + 1) | 0] << 16) | (P[(j + 2) | 0] << 8) | P[(j + 3) | 0];
                if (A === K[(pc + 5) | 0]) {
                  pc = K[(pc + 6) | 0];
                  continue;
                }
                {
                  R = K[(pc + 7) | 0] >>> 0;
                  break program;
                }
              }
              case 204: { // _T_H_EQ3 retend
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A === K[(pc + 3) | 0]) {
                  const t = K[(pc + 4) | 0];
                  if (t < 0) {
                    R = K[~t] >>> 0;
                    break program;
                  }
                  pc = t;
                  continue fast;
                }
                if (A === K[(pc + 5) | 0]) {
                  const t = K[(pc + 6) | 0];
                  if (t < 0) {
                    R = K[~t] >>> 0;
                    break program;
                  }
                  pc = t;
                  continue fast;
                }
                if (A === K[(pc + 7) | 0]) {
                  const t = K[(pc + 8) | 0];
                  if (t < 0) {
                    R = K[~t] >>> 0;
                    break program;
                  }
                  pc = t;
                  continue fast;
                }
                {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
              }
              case 241: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 129: { // _T_LEN
                A = (W >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 242: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 186: { // _T_LEN ret
                A = (W >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 243: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 187: { // _T_LEN rettrue
                A = (W >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 244: { // then the next operation's case: _T_H_EQ retfalse
                const i = B + K[(pc + 1) | 0];
                if (i + 2 > LE) break program;
                A = (P[i] << 8) | P[(i + 1) | 0];
                if (A !== K[(pc + 2) | 0]) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = (pc + 5) | 0;
              }
              // falls through
              case 188: { // _T_LEN retfalse
                A = (W >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 245: { // then a copy of 17's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                pc = equal ? K[(pc + 3) | 0] : K[(pc + 4) | 0];
                continue;
              }
              case 246: { // then a copy of 49's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const x = A ^ K[(pc + 2) | 0];
                const f = K[(pc + 4) | 0];
                {
                  R = (f ^ ((K[(pc + 3) | 0] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
                  break program;
                }
              }
              case 247: { // then a copy of 81's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                if (equal) {
                  R = K[(pc + 3) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 4) | 0];
                continue;
              }
              case 248: { // then a copy of 113's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                if (!equal) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 3) | 0];
                continue;
              }
              case 249: { // then a copy of 11's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 250: { // then a copy of 43's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 251: { // then a copy of 75's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 252: { // then a copy of 107's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 253: { // then a copy of 15's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                pc = equal ? K[(pc + 3) | 0] : K[(pc + 4) | 0];
                continue;
              }
              case 254: { // then a copy of 47's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const x = A ^ K[(pc + 2) | 0];
                const f = K[(pc + 4) | 0];
                {
                  R = (f ^ ((K[(pc + 3) | 0] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
                  break program;
                }
              }
              case 255: { // then a copy of 79's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                if (equal) {
                  R = K[(pc + 3) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 4) | 0];
                continue;
              }
              case 256: { // then a copy of 111's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                if (!equal) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 3) | 0];
                continue;
              }
              case 257: { // then a copy of 192's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 258: { // then a copy of 200's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 259: { // then a copy of 190's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 260: { // then a copy of 198's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 261: { // then a copy of 195's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 4 > LE) break program;
                  A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                    P[(i + 3) | 0];
                  if (A === K[(pc + 2) | 0]) {
                    pc = K[(pc + 3) | 0];
                    continue;
                  }
                }
                const j = B + K[(pc + 4) | 0];
                if (j + 4 > LE) break program;
                A = (P[j] << 24) | (P[(j + 1) | 0] << 16) | (P[(j + 2) | 0] << 8) | P[(j + 3) | 0];
                if (A === K[(pc + 5) | 0]) {
                  pc = K[(pc + 6) | 0];
                  continue;
                }
                pc = K[(pc + 7) | 0];
                continue;
              }
              case 262: { // then a copy of 203's case: _T_H_EQ2
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    pc = A === K[(pc + 4) | 0] ? K[(pc + 5) | 0] : K[(pc + 6) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 4 > LE) break program;
                  A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                    P[(i + 3) | 0];
                  if (A === K[(pc + 2) | 0]) {
                    pc = K[(pc + 3) | 0];
                    continue;
                  }
                }
                const j = B + K[(pc + 4) | 0];
                if (j + 4 > LE) break program;
                A = (P[j] << 24) | (P[(j + 1) | 0] << 16) | (P[(j + 2) | 0] << 8) | P[(j + 3) | 0];
                if (A === K[(pc + 5) | 0]) {
                  pc = K[(pc + 6) | 0];
                  continue;
                }
                {
                  R = K[(pc + 7) | 0] >>> 0;
                  break program;
                }
              }
              case 263: { // then a copy of 17's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                pc = equal ? K[(pc + 3) | 0] : K[(pc + 4) | 0];
                continue;
              }
              case 264: { // then a copy of 49's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const x = A ^ K[(pc + 2) | 0];
                const f = K[(pc + 4) | 0];
                {
                  R = (f ^ ((K[(pc + 3) | 0] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
                  break program;
                }
              }
              case 265: { // then a copy of 81's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                if (equal) {
                  R = K[(pc + 3) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 4) | 0];
                continue;
              }
              case 266: { // then a copy of 113's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                const equal = A === K[(pc + 2) | 0];
                if (!equal) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 3) | 0];
                continue;
              }
              case 267: { // then a copy of 11's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                pc = taken ? K[(pc + 8) | 0] : K[(pc + 9) | 0];
                continue;
              }
              case 268: { // then a copy of 43's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const d = ((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) | 0;
                const s = K[(pc + 7) | 0];
                const t = K[(pc + 8) | 0];
                {
                  R = (t ^ ((t ^ K[(pc + 9) | 0]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>>
                    0;
                  break program;
                }
              }
              case 269: { // then a copy of 75's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (taken) {
                  R = K[(pc + 8) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 9) | 0];
                continue;
              }
              case 270: { // then a copy of 107's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) break program;
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0];
                const taken =
                  (((A & K[(pc + 5) | 0]) - K[(pc + 6) | 0]) >>> 0) <= (K[(pc + 7) | 0] >>> 0);
                if (!taken) {
                  R = K[(pc + 9) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 8) | 0];
                continue;
              }
              case 271: { // then a copy of 15's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                pc = equal ? K[(pc + 3) | 0] : K[(pc + 4) | 0];
                continue;
              }
              case 272: { // then a copy of 47's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const x = A ^ K[(pc + 2) | 0];
                const f = K[(pc + 4) | 0];
                {
                  R = (f ^ ((K[(pc + 3) | 0] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
                  break program;
                }
              }
              case 273: { // then a copy of 79's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                if (equal) {
                  R = K[(pc + 3) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 4) | 0];
                continue;
              }
              case 274: { // then a copy of 111's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                const equal = A === K[(pc + 2) | 0];
                if (!equal) {
                  R = K[(pc + 4) | 0] >>> 0;
                  break program;
                }
                pc = K[(pc + 3) | 0];
                continue;
              }
              case 275: { // then a copy of 192's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 276: { // then a copy of 200's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 4 > LE) break program;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 277: { // then a copy of 190's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                pc = K[end];
                continue;
              }
              case 278: { // then a copy of 198's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                const i = B + K[(pc + 1) | 0];
                if (i + 1 > LE) break program;
                A = P[i];
                let at = (pc + 3) | 0;
                const end = (at + 2 * K[(pc + 2) | 0]) | 0;
                do {
                  if (A === K[at]) {
                    const t = K[(at + 1) | 0];
                    if (t < 0) {
                      R = K[~t] >>> 0;
                      break program;
                    }
                    pc = t;
                    continue fast;
                  }
                  at = (at + 2) | 0;
                } while (at !== end);
                {
                  R = K[end] >>> 0;
                  break program;
                }
              }
              case 279: { // then a copy of 195's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 4 > LE) break program;
                  A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                    P[(i + 3) | 0];
                  if (A === K[(pc + 2) | 0]) {
                    pc = K[(pc + 3) | 0];
                    continue;
                  }
                }
                const j = B + K[(pc + 4) | 0];
                if (j + 4 > LE) break program;
                A = (P[j] << 24) | (P[(j + 1) | 0] << 16) | (P[(j + 2) | 0] << 8) | P[(j + 3) | 0];
                if (A === K[(pc + 5) | 0]) {
                  pc = K[(pc + 6) | 0];
                  continue;
                }
                pc = K[(pc + 7) | 0];
                continue;
              }
              case 280: { // then a copy of 203's case: _T_H_EQ2 retfalse
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 2 > LE) break program;
                  A = (P[i] << 8) | P[(i + 1) | 0];
                  if (A !== K[(pc + 2) | 0]) {
                    if (A !== K[(pc + 4) | 0]) {
                      R = K[(pc + 6) | 0] >>> 0;
                      break program;
                    }
                    pc = K[(pc + 5) | 0];
                    continue;
                  }
                  pc = (pc + 7) | 0;
                }
                {
                  const i = B + K[(pc + 1) | 0];
                  if (i + 4 > LE) break program;
                  A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                    P[(i + 3) | 0];
                  if (A === K[(pc + 2) | 0]) {
                    pc = K[(pc + 3) | 0];
                    continue;
                  }
                }
                const j = B + K[(pc + 4) | 0];
                if (j + 4 > LE) break program;
                A = (P[j] << 24) | (P[(j + 1) | 0] << 16) | (P[(j + 2) | 0] << 8) | P[(j + 3) | 0];
                if (A === K[(pc + 5) | 0]) {
                  pc = K[(pc + 6) | 0];
                  continue;
                }
                {
                  R = K[(pc + 7) | 0] >>> 0;
                  break program;
                }
              }
              // END GENERATED
              case 5: // _RET
              {
                R = K[(pc + 1) | 0] >>> 0;
                break program;
              }
              case 6: // _RET_A
              {
                R = A >>> 0;
                break program;
              }
              case 7: // _GOTO
                pc = K[(pc + 1) | 0];
                continue;
              case 0: // _NEED
                if (B + (K[(pc + 1) | 0] >>> 0) > LE) {
                  break program;
                }
                pc = (pc + 2) | 0;
                continue;
              case 1: { // _LD_B
                const i = B + K[(pc + 1) | 0];
                A = P[i];
                pc = (pc + 2) | 0;
                continue;
              }
              case 2: { // _LD_H
                const i = B + K[(pc + 1) | 0];
                A = (P[i] << 8) | P[(i + 1) | 0];
                pc = (pc + 2) | 0;
                continue;
              }
              case 3: { // _LD_W
                const i = B + K[(pc + 1) | 0];
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                pc = (pc + 2) | 0;
                continue;
              }
              case 4: // _LDX_MSH
                X = (P[B + K[(pc + 1) | 0]] & 0xf) << 2;
                pc = (pc + 2) | 0;
                continue;
              // Indirect loads at `x + k` ≥ 0 (below 0, the windows: `_step`).
              // A case per size (one for the three re-read K[pc] and picked the size with two compares).
              case 133: { // _LD_IND_B (x + k ≥ 0 here, else in _step)
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                if (o > LE - B - 1) break program;
                const i = (B + o) | 0;
                A = P[i];
                pc = (pc + 2) | 0;
                continue;
              }
              case 134: { // _LD_IND_H
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                if (o > LE - B - 2) break program;
                const i = (B + o) | 0;
                A = (P[i] << 8) | P[(i + 1) | 0];
                pc = (pc + 2) | 0;
                continue;
              }
              case 135: { // _LD_IND_W
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                if (o > LE - B - 4) break program;
                const i = (B + o) | 0;
                A = (P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) | P[(i + 3) | 0];
                pc = (pc + 2) | 0;
                continue;
              }
              case 131: { // _T_X (A op X, unsigned)
                const op = K[(pc + 1) | 0];
                const taken = op === 0x10 // BPF_JEQ
                  ? A === X
                  : op === 0x20 // BPF_JGT
                  ? (A >>> 0) > (X >>> 0)
                  : op === 0x30 // BPF_JGE
                  ? (A >>> 0) >= (X >>> 0)
                  : (A & X) !== 0;
                pc = taken ? K[(pc + 2) | 0] : K[(pc + 3) | 0];
                continue;
              }
              case 169: // _FIELD_B
              case 172: { // _FIELD_B_X
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) {
                  break program;
                }
                A = (((P[B + K[(pc + 1) | 0]] >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) +
                  K[(pc + 5) | 0]) | 0;
                if (K[pc] === 172) X = A;
                pc = (pc + 6) | 0;
                continue;
              }
              case 170: // _FIELD_H
              case 173: { // _FIELD_H_X
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) {
                  break program;
                }
                const i = B + K[(pc + 1) | 0];
                A = (((((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) +
                  K[(pc + 5) | 0]) | 0;
                if (K[pc] === 173) X = A;
                pc = (pc + 6) | 0;
                continue;
              }
              case 171: // _FIELD_W
              case 174: { // _FIELD_W_X
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) {
                  break program;
                }
                const i = B + K[(pc + 1) | 0];
                A = (((((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) + K[(pc + 5) | 0]) | 0;
                if (K[pc] === 174) X = A;
                pc = (pc + 6) | 0;
                continue;
              }
              case 175: // _FIELD_IND_B (x + k ≥ 0 here, else in _step)
              case 178: { // _FIELD_IND_B_X
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 1 > LE) {
                  break program;
                }
                A = (((P[i] >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) + K[(pc + 5) | 0]) | 0;
                if (K[pc] === 178) X = A;
                pc = (pc + 6) | 0;
                continue;
              }
              case 176: // _FIELD_IND_H (x + k ≥ 0 here, else in _step)
              case 179: { // _FIELD_IND_H_X
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 2 > LE) {
                  break program;
                }
                A = (((((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) +
                  K[(pc + 5) | 0]) | 0;
                if (K[pc] === 179) X = A;
                pc = (pc + 6) | 0;
                continue;
              }
              case 177: // _FIELD_IND_W (x + k ≥ 0 here, else in _step)
              case 180: { // _FIELD_IND_W_X
                const o = (X + K[(pc + 1) | 0]) | 0;
                if (o < 0) break fast;
                const i = B + o;
                if (i + 4 > LE) {
                  break program;
                }
                A = (((((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) + K[(pc + 5) | 0]) | 0;
                if (K[pc] === 180) X = A;
                pc = (pc + 6) | 0;
                continue;
              }
              case 181: { // _FIELD_B_M
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) {
                  break program;
                }
                const i = B + K[(pc + 1) | 0];
                A = (((P[i] >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) + K[(pc + 5) | 0]) | 0;
                S[K[(pc + 6) | 0]] = A;
                pc = (pc + 7) | 0;
                continue;
              }
              case 182: { // _FIELD_H_M
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) {
                  break program;
                }
                const i = B + K[(pc + 1) | 0];
                A = (((((P[i] << 8) | P[(i + 1) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) +
                  K[(pc + 5) | 0]) | 0;
                S[K[(pc + 6) | 0]] = A;
                pc = (pc + 7) | 0;
                continue;
              }
              case 183: { // _FIELD_W_M
                if (B + (K[(pc + 2) | 0] >>> 0) > LE) {
                  break program;
                }
                const i = B + K[(pc + 1) | 0];
                A = (((((P[i] << 24) | (P[(i + 1) | 0] << 16) | (P[(i + 2) | 0] << 8) |
                  P[(i + 3) | 0]) >>> K[(pc + 3) | 0]) & K[(pc + 4) | 0]) + K[(pc + 5) | 0]) | 0;
                S[K[(pc + 6) | 0]] = A;
                pc = (pc + 7) | 0;
                continue;
              }
              case 184: { // _T_X_MEM (A = M[cell], then A op X, unsigned)
                A = S[K[(pc + 1) | 0]];
                const op = K[(pc + 2) | 0];
                const taken = op === 0x10 // BPF_JEQ
                  ? A === X
                  : op === 0x20 // BPF_JGT
                  ? (A >>> 0) > (X >>> 0)
                  : op === 0x30 // BPF_JGE
                  ? (A >>> 0) >= (X >>> 0)
                  : (A & X) !== 0;
                pc = taken ? K[(pc + 3) | 0] : K[(pc + 4) | 0];
                continue;
              }
              case 185: // _X_FROM_CELL
                A = (S[K[(pc + 1) | 0]] + X + K[(pc + 2) | 0]) | 0;
                X = A;
                pc = (pc + 3) | 0;
                continue;
              case 138: // _LD_LEN
                A = W | 0;
                pc = (pc + 1) | 0;
                continue;
              case 139: // _LDX_LEN
                X = W | 0;
                pc = (pc + 1) | 0;
                continue;
              case 140: // _LD_IMM
                A = K[(pc + 1) | 0];
                pc = (pc + 2) | 0;
                continue;
              case 141: // _LDX_IMM
                X = K[(pc + 1) | 0];
                pc = (pc + 2) | 0;
                continue;
              case 142: // _LD_MEM
                A = S[K[(pc + 1) | 0]];
                pc = (pc + 2) | 0;
                continue;
              case 143: // _LDX_MEM
                X = S[K[(pc + 1) | 0]];
                pc = (pc + 2) | 0;
                continue;
              case 144: // _ST
                S[K[(pc + 1) | 0]] = A;
                pc = (pc + 2) | 0;
                continue;
              case 145: // _STX
                S[K[(pc + 1) | 0]] = X;
                pc = (pc + 2) | 0;
                continue;
              case 146: // _TAX
                X = A;
                pc = (pc + 1) | 0;
                continue;
              case 147: // _TXA
                A = X;
                pc = (pc + 1) | 0;
                continue;
              case 148: // _ALU_K add
                A = (A + K[(pc + 1) | 0]) | 0;
                pc = (pc + 2) | 0;
                continue;
              case 149: // _ALU_K sub
                A = (A - K[(pc + 1) | 0]) | 0;
                pc = (pc + 2) | 0;
                continue;
              case 150: // _ALU_K mul
                A = Math.imul(A, K[(pc + 1) | 0]);
                pc = (pc + 2) | 0;
                continue;
              case 151: // _ALU_K div (k ≠ 0: the checker refuses it)
                A = ((A >>> 0) / (K[(pc + 1) | 0] >>> 0)) | 0;
                pc = (pc + 2) | 0;
                continue;
              case 152: // _ALU_K mod
                A = ((A >>> 0) % (K[(pc + 1) | 0] >>> 0)) | 0;
                pc = (pc + 2) | 0;
                continue;
              case 153: // _ALU_K and
                A = A & K[(pc + 1) | 0];
                pc = (pc + 2) | 0;
                continue;
              case 154: // _ALU_K or
                A = A | K[(pc + 1) | 0];
                pc = (pc + 2) | 0;
                continue;
              case 155: // _ALU_K xor
                A = A ^ K[(pc + 1) | 0];
                pc = (pc + 2) | 0;
                continue;
              case 156: // _ALU_K lsh
                A = A << K[(pc + 1) | 0];
                pc = (pc + 2) | 0;
                continue;
              case 157: // _ALU_K rsh
                A = (A >>> K[(pc + 1) | 0]) | 0;
                pc = (pc + 2) | 0;
                continue;
              case 158: // _ALU_X add
                A = (A + X) | 0;
                pc = (pc + 1) | 0;
                continue;
              case 159: // _ALU_X sub
                A = (A - X) | 0;
                pc = (pc + 1) | 0;
                continue;
              case 160: // _ALU_X mul
                A = Math.imul(A, X);
                pc = (pc + 1) | 0;
                continue;
              case 161: // _ALU_X div
                if (X === 0) {
                  break program;
                }
                A = ((A >>> 0) / (X >>> 0)) | 0;
                pc = (pc + 1) | 0;
                continue;
              case 162: // _ALU_X mod
                if (X === 0) {
                  break program;
                }
                A = ((A >>> 0) % (X >>> 0)) | 0;
                pc = (pc + 1) | 0;
                continue;
              case 163: // _ALU_X and
                A = A & X;
                pc = (pc + 1) | 0;
                continue;
              case 164: // _ALU_X or
                A = A | X;
                pc = (pc + 1) | 0;
                continue;
              case 165: // _ALU_X xor
                A = A ^ X;
                pc = (pc + 1) | 0;
                continue;
              case 166: // _ALU_X lsh (the low 5 bits, as the kernel)
                A = A << X;
                pc = (pc + 1) | 0;
                continue;
              case 167: // _ALU_X rsh
                A = (A >>> X) | 0;
                pc = (pc + 1) | 0;
                continue;
              case 168: // _NEG
                A = -A | 0;
                pc = (pc + 1) | 0;
                continue;
              default:
                break fast;
            }
          }
          // Everything else, outside the inner loop so that it makes no call.
          if (K[pc] === 128) { // _GOTO_BACK
            if (++jumps > _BACKWARD_JUMP_BUDGET) {
              break program;
            }
            pc = K[(pc + 1) | 0];
            continue;
          }
          S[REG_A] = A;
          S[REG_X] = X;
          pc = _step(K, pc, S, P, C ?? _EMPTY_CONTEXT, B, LE, W, NET, MAC);
          if (pc < 0) {
            R = S[RESULT] >>> 0;
            break program;
          }
          A = S[REG_A];
          X = S[REG_X];
        }
      }
      return R; // FRAMES: result
    }
  };
  return run as (P: Uint8Array, C?: PacketContext) => number;
}
