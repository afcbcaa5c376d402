/**
 * The "closure" compile strategy: no code generation, so it runs where
 * `eval`, `new Function` and run-time Wasm are forbidden.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { _lower } from "./_lower.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _encodeDispatch, _RET, _T_LEN_RET } from "./_dispatch_code.ts";
import { _executor } from "./_execute.ts";
import { _ARITHMETIC_LEFT_OUT, _executorArithmetic } from "./_execute_arith.ts";
import { _fuseArithmetic, _withPlainTests } from "./_dispatch_fused.ts";
import { _executorFrames, _FRAMES_LEFT_OUT } from "./_execute_frames.ts";
import { _singleOperation } from "./_execute_single.ts";
import { _compareChain } from "./_execute_chain.ts";
import { _chainAsTests } from "./_chain_pieces.ts";
import { _testTree, _TREE_LIMITS } from "./_execute_tree.ts";
import { _processTreeEntries } from "./_execute_tree_entries.ts";
import { interpret } from "./interpret.ts";
import type { _BatchRun } from "./_run_batch.ts";
import { _executorBatch } from "./_execute_batch.ts";

/**
 * Compiles an already validated program for the edge-safe path: optimised
 * first (`_optimize_program.ts`: known values folded, dead and unreachable
 * code removed; the same result on every packet), then lowered to
 * basic blocks whose loads, `and`/`rsh` run and conditional jump are fused
 * into one test with the bounds check hoisted to the block's start
 * (`_lower.ts`), laid out as one `Int32Array` of operations with
 * superinstructions for the common shapes (`ldx msh` with the `[x + k]` test
 * after it, `A == v1 / A == v2` compare chains, tests whose two targets only
 * return, and the steps of `u32`-style programs: a field run `ld [k]; rsh;
 * and; add; tax` or on `[x + k]`, a field into a scratch cell, `ld M[c]`
 * before a test on X, `ld M[c]; add x; add #k; tax`), and run by one dispatch loop that is the body of the returned
 * function (`_execute.ts`), so no call happens per instruction and the JIT
 * keeps the loop's state in registers. A program that is one operation
 * (`ret #k`, or one `[k]` or `len` test whose two targets only return, as
 * `ip` or `len > 100`) runs as a closure over that operation's operands
 * instead, without the loop (`_execute_single.ts`); one test on `[k]` runs
 * as a tree (below) while the process has tree entries left, whose code V8
 * specialises to its operands (from a call site shared by many programs,
 * `arp` 6.4 → 4.8 ns a packet, bench/RESULTS.md, session 18), with the
 * single closure's batch loop for `runBatch`. A compare chain on one load
 * (`vlan`, `ip or ip6`) runs as a tree too while entries are left (from a
 * shared helper `arp or rarp` 7.3 → 5.0 ns), else as a closure of its own
 * (`_execute_chain.ts`: a table, a list, or a search over the pieces of the
 * chain's value, whatever its length), through an entry of its own while one
 * is left (as a `len` test); a chain of few pieces first becomes the fewest
 * tests that return the same (`_chain_pieces.ts`); and a small
 * program of fused tests, with a few steps at most (`tcp port 80`, `udp`, a
 * `u32` match), runs as a tree of closures, one per block or step, that V8
 * inlines into one another (`_execute_tree.ts`), entered through function
 * literals of its own (`_execute_tree_entries.ts`): the first 256 such
 * programs of a process get them; later ones keep the dispatch loop, which
 * runs as fast whatever else ran in the process. Allocates nothing per
 * packet; buffers past 2 GiB run through {@linkcode interpret}. Not reentrant
 * from inside `context.random`. Its `runBatch` runs the program over frames
 * side by side in one buffer (a `PacketBatch`) with one call: a small
 * program's kernel then runs in a loop of its own over the frames, and the
 * dispatch loop runs every frame inside one call, so no call happens per
 * frame. Where many programs are called from one place, calling each one's
 * `runBatch` once per block pays V8's megamorphic call once per block rather
 * than once per packet (about 4–5 ns, as much as libpcap's whole `arp`).
 *
 * Use {@linkcode compile}, which validates first.
 *
 * @param program A program {@linkcode validate} accepted.
 * @returns The program as a function of (packet, context).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileClosure } from "./compile_closure.ts";
 * const accept = compileClosure([{ code: 0x06, jt: 0, jf: 0, k: 1 }]);
 * assert.equal(accept(new Uint8Array(0)), 1);
 * const results = new Uint32Array(2);
 * const batch = { bytes: new Uint8Array(8), offsets: Uint32Array.of(0, 4), capturedLengths: Uint32Array.of(4, 4) };
 * accept.runBatch(batch, results);
 * assert.deepEqual([...results], [1, 1]);
 * ```
 */
export function compileClosure(
  program: Program,
): _Compiled {
  // A compare chain cut into few pieces runs as the fewest tests that return the same.
  const lowered = _chainAsTests(_removeKnownTests(_lower(_optimizeProgram(program))));
  const code = _encodeDispatch(lowered);
  // Buffers past 2 GiB (indices beyond int32) run through the reference interpreter.
  const beyondInt32 = (packet: Uint8Array, context?: PacketContext) =>
    interpret(program, packet, context);
  const dispatchLoop = () => {
    // Batches run the loop's copy, so V8 optimises it apart from per-packet calls.
    // Arithmetic runs the loop's copy that fuses pairs of operations (`_dispatch_fused.ts`).
    const fused = _fuseArithmetic(code, ARITHMETIC_LEFT_OUT);
    const run = fused === undefined
      ? _executor(code, beyondInt32)
      : _executorArithmetic(fused, beyondInt32);
    // The batch copy runs the fused chains it leaves out as their plain tests.
    const frames = _executorFrames(_withPlainTests(code, FRAMES_LEFT_OUT), beyondInt32);
    return { run, runBatch: _executorBatch(frames) };
  };
  // A closure of its own for one operation or a compare chain; a tree first while entries are
  // left (but for `ret #k` and `len` tests), with the closure's batch loop for `runBatch`; else
  // a chain's or a `len` test's closure through an entry of its own while one is left.
  const small = _singleOperation(code) ?? _compareChain(lowered);
  if (code[0] !== _RET && code[0] !== _T_LEN_RET) {
    const tree = _testTree(lowered, dispatchLoop, _TREE_LIMITS, _processTreeEntries);
    if (tree !== undefined) return Object.assign(tree.run, { runBatch: (small ?? tree).runBatch });
  }
  if (
    small !== undefined && code[0] !== _RET &&
    _processTreeEntries.available
  ) {
    const entered = _processTreeEntries.take(small.run, small.runBatch);
    return Object.assign(entered.run, { runBatch: entered.runBatch });
  }
  const made = small ?? dispatchLoop();
  return Object.assign(made.run, { runBatch: made.runBatch });
}

const ARITHMETIC_LEFT_OUT = new Set(_ARITHMETIC_LEFT_OUT);
const FRAMES_LEFT_OUT = new Set(_FRAMES_LEFT_OUT);

type _Compiled = ((packet: Uint8Array, context?: PacketContext) => number) & {
  runBatch: _BatchRun;
};
