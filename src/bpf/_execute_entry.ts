/**
 * What a closure-strategy program runs first (private): its entry tests the
 * program's first test itself, with the operands as constants, and enters the
 * rest of the program only when the packet passes it.
 *
 * Why: where many programs are called from one place (a measurer's helper,
 * a rule set's loop), every call is V8's generic call, and a program that
 * rejects most packets at its first test (`arp`, `ip6 host X`, most
 * `tcpdump` filters begin with an EtherType test) costs libpcap 5–6.5 ns a
 * packet: no room for the dispatch loop's entry, nor for operands read from
 * an `Int32Array`. Each program's entry is a function literal of its own
 * (`_execute_entries.ts`, generated), created once, so V8 specialises its
 * optimised code to its closure: the plan's numbers, captured as `const`,
 * are constants there, and {@linkcode _enter}, inlined into it, folds down to
 * the one load, test and return the program's first block is.
 *
 * A test's target is either a constant returned at once or a continuation
 * (`_Continue`): the rest of the program entered with A as the test left it
 * (the dispatch loop from the target's block, a tree's node). With a context
 * (a second argument), the entry runs the whole program (`body`) instead,
 * which computes the context's bounds.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import type { _LoweredBlock, _LoweredProgram } from "./_lower.ts";
import { _readBigEndian } from "./_packet_access.ts";
import { _inRange, _pickEqual } from "./_execute_kernels.ts";
import type { _BatchRun } from "./_run_batch.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/** The rest of a program after its first test, from the target block, A as the test left it. */
export type _Continue = (P: Uint8Array, A: number) => number;

/**
 * What a program's entry runs: its first test (a fused test of `_lower` on
 * `[k]` or `len`, block 0 having no steps) and its two targets, or only its
 * body (`size` -1).
 */
export interface _EntryPlan {
  /** Bytes the test loads from `k` (1, 2 or 4), 0 for `len`, -1: no first test. */
  size: number;
  k: number;
  /** Bytes from the packet's start that must be present, else the program returns 0. */
  need: number;
  shift: number;
  mask: number;
  rangeMask: number;
  low: number;
  span: number;
  /** The value returned when the test holds, unless `onTrue` continues. */
  whenTrue: number;
  whenFalse: number;
  onTrue: _Continue | undefined;
  onFalse: _Continue | undefined;
  /** The whole program, for a packet with a context (and when there is no first test). */
  body: _Run;
  /** The program's batch function. */
  runBatch: _BatchRun;
}

/**
 * A plan without a first test: the entry calls `body` (closure trees,
 * compare chains, programs whose first block has steps).
 */
export function _bodyPlan(body: _Run, runBatch: _BatchRun): _EntryPlan {
  return {
    size: -1,
    k: 0,
    need: 0,
    shift: 0,
    mask: 0,
    rangeMask: 0,
    low: 0,
    span: 0,
    whenTrue: 0,
    whenFalse: 0,
    onTrue: undefined,
    onFalse: undefined,
    body,
    runBatch,
  };
}

/**
 * The entry's work for a packet without a context, its operands constants
 * once V8 inlines it into the entry: the first test (the `_lower` fused test:
 * `A = (load >>> shift) & mask`, true when `((A & rangeMask) - low) >>> 0 <=
 * span`), then its target. Both targets returned constants: the value is
 * picked without a branch, as the kernels of `_execute_kernels.ts` do.
 */
export function _enter(
  P: Uint8Array,
  size: number,
  k: number,
  need: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  whenTrue: number,
  whenFalse: number,
  onTrue: _Continue | undefined,
  onFalse: _Continue | undefined,
  body: _Run,
): number {
  if (size < 0) return body(P);
  const LE = P.length;
  if (need > LE) return 0;
  const loaded = size === 0 ? LE : _readBigEndian(P, k, size);
  if (onTrue === undefined && onFalse === undefined) {
    if (span === 0 && rangeMask === -1) {
      return _pickEqual(((loaded >>> shift) & mask) ^ low, whenTrue, whenFalse);
    }
    return _inRange(loaded, shift, mask, rangeMask, low, span, whenTrue, whenFalse);
  }
  const A = (loaded >>> shift) & mask;
  if (_inRange(A, 0, -1, rangeMask, low, span, 1, 0) === 1) {
    return onTrue === undefined ? whenTrue : onTrue(P, A);
  }
  return onFalse === undefined ? whenFalse : onFalse(P, A);
}

/** A block's returned constant, when it only returns one. */
function _returned(block: _LoweredBlock): number | undefined {
  return block.steps.length === 0 && block.need === 0 && block.exit.kind === "return"
    ? block.exit.value >>> 0
    : undefined;
}

/**
 * The plan of `lowered`'s first test, its continuations made by `from` for a
 * target block that does not only return; undefined when block 0 has steps or
 * does not end in a fused test on `[k]` (k ≥ 0) or `len`.
 */
export function _firstTestPlan(
  lowered: _LoweredProgram,
  from: (block: number) => _Continue,
  body: _Run,
  runBatch: _BatchRun,
): _EntryPlan | undefined {
  const first = lowered.blocks[0];
  const test = first.exit;
  if (first.steps.length !== 0 || test.kind !== "test" || test.useX) return undefined;
  const load = test.producer;
  let size: number;
  let k = 0;
  if (load?.kind === "load" && load.offset >= 0) {
    size = load.size;
    k = load.offset;
  } else if (load?.kind === "load-length" && load.into === "a") size = 0;
  else return undefined;
  const whenTrue = _returned(lowered.blocks[test.whenTrue]);
  const whenFalse = _returned(lowered.blocks[test.whenFalse]);
  return {
    size,
    k,
    need: Math.max(first.need, size === 0 ? 0 : k + size),
    shift: test.shift,
    mask: test.mask,
    rangeMask: test.rangeMask,
    low: test.low,
    span: test.span,
    whenTrue: whenTrue ?? 0,
    whenFalse: whenFalse ?? 0,
    onTrue: whenTrue === undefined ? from(test.whenTrue) : undefined,
    onFalse: whenFalse === undefined ? from(test.whenFalse) : undefined,
    body,
    runBatch,
  };
}
