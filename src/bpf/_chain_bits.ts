/**
 * Ladders of `jset` tests on one wide load (private): a program that loads
 * `[k]` once (two or four bytes), folds an `and`/`rsh` into its first test,
 * and then runs `jset` tests on A one after another, each returning a
 * constant on one edge and going on to the next test on the other (the last
 * returning on both), returns the value of the first test that leaves. A test
 * that leaves when a bit of its mask is set leaves when it is set in any byte
 * of A; one that leaves when its mask's bits are all clear is asked of one
 * byte when its mask lies in one byte. Then which test leaves first is the
 * least of what each byte of A says, one table of 256 entries per byte
 * ({@linkcode _chainBits}): two to four loads, where the chain tests up to
 * n bits one after another (`_execute_kernels.ts`, `_bitsOf`).
 *
 * @module
 */
import type { _LoweredProgram, _Return, _Test } from "./_lower.ts";
import { BPF_JSET } from "./opcodes.ts";

/** The most tests of a ladder (a test's number must fit a table entry). */
export const _MAX_BIT_TESTS = 255;

/** A `jset` ladder as per-byte tables: see the module doc. */
export interface _ChainBits {
  /** Bytes loaded: 2 or 4. */
  size: number;
  /** The load's offset `k`. */
  offset: number;
  /** `A = (value >>> shift) & mask`, the first test's folded `rsh`/`and`. */
  shift: number;
  mask: number;
  /** Bytes of A the tables cover (2 to 4). */
  bytes: number;
  /** For byte b and its value v, `tables[b * 256 + v]`: the first test that byte makes leave, or `values.length - 1`. */
  tables: Int32Array;
  /** The value each test returns when it leaves, then the value past the last. */
  values: number[];
}

/** A ladder's test: its mask on A, whether it leaves on a set bit, and what it returns then. */
interface _Rung {
  mask: number;
  leavesOnSet: boolean;
  value: number;
}

/** The tables of the `jset` ladder `lowered` is, or undefined for any other program. */
export function _chainBits(lowered: _LoweredProgram): _ChainBits | undefined {
  const { blocks } = lowered;
  if (lowered.backward) return undefined;
  const first = blocks[0].exit;
  if (blocks[0].steps.length !== 0 || first.kind !== "test" || first.useX) return undefined;
  const load = first.producer;
  if (load === undefined || load.kind !== "load" || load.offset < 0 || load.size === 1) {
    return undefined;
  }
  const maxA = ((2 ** (8 * load.size) - 1) >>> first.shift & first.mask) >>> 0;
  if (maxA < 256) return undefined; // a table's (`_chain_pieces.ts`)
  const ladder = _rungs(lowered, maxA);
  if (ladder === undefined) return undefined;
  const bytes = maxA < 2 ** 16 ? 2 : maxA < 2 ** 24 ? 3 : 4;
  const { rungs, last } = ladder;
  const tables = new Int32Array(bytes * 256).fill(rungs.length);
  for (let b = 0; b < bytes; b++) {
    for (let v = 0; v < 256; v++) {
      const at = rungs.findIndex(({ mask, leavesOnSet }) => {
        const part = (mask >>> (8 * b)) & 0xff;
        if (leavesOnSet) return (v & part) !== 0;
        return part !== 0 && (v & part) === 0; // its mask lies in this byte (`_rungs`)
      });
      if (at >= 0) tables[b * 256 + v] = at;
    }
  }
  const values = [...rungs.map((rung) => rung.value), last];
  const { shift, mask } = first;
  return { size: load.size, offset: load.offset, shift, mask, bytes, tables, values };
}

/** The block a chain of `goto`s from `index` ends at. */
function _through(lowered: _LoweredProgram, index: number): number {
  let exit = lowered.blocks[index].exit;
  while (exit.kind === "goto" && lowered.blocks[index].steps.length === 0) {
    index = exit.to;
    exit = lowered.blocks[index].exit;
  }
  return index;
}

/**
 * The rungs of a `jset` ladder on A (values 0 to `maxA`) and the value past
 * its last, or undefined when `lowered` is not one, or one of its tests
 * leaves on clear bits of more than one byte.
 */
function _rungs(
  lowered: _LoweredProgram,
  maxA: number,
): { rungs: _Rung[]; last: number } | undefined {
  const { blocks } = lowered;
  const rungs: _Rung[] = [];
  let index = 0;
  for (;;) {
    const { steps, exit } = blocks[index];
    if (steps.length !== 0) return undefined;
    if (exit.kind === "return") return { rungs, last: exit.value >>> 0 };
    if (exit.kind !== "test" || !_isBitTest(exit, index === 0)) return undefined;
    if (rungs.length === _MAX_BIT_TESTS) return undefined;
    const whenTrue = _through(lowered, exit.whenTrue);
    const whenFalse = _through(lowered, exit.whenFalse);
    const returnsTrue = _returnsOnly(lowered, whenTrue);
    const returnsFalse = _returnsOnly(lowered, whenFalse);
    // Both return: the last rung (leaving on a set bit), then the value past it.
    const leavesOnSet = returnsTrue;
    if (!returnsTrue && !returnsFalse) return undefined;
    const leave = blocks[leavesOnSet ? whenTrue : whenFalse].exit as _Return;
    const mask = (exit.rangeMask & maxA) >>> 0;
    // A mask of no bit of A: leaving on a set bit never happens; on clear bits, always.
    if (mask === 0 && leavesOnSet) {
      index = whenFalse;
      continue;
    }
    if (mask === 0) return { rungs, last: leave.value >>> 0 };
    if (!leavesOnSet && _bytesOf(mask) > 1) return undefined;
    rungs.push({ mask, leavesOnSet, value: leave.value >>> 0 });
    if (returnsTrue && returnsFalse) {
      return { rungs, last: (blocks[whenFalse].exit as _Return).value >>> 0 };
    }
    index = leavesOnSet ? whenFalse : whenTrue;
  }
}

/** Whether block `index` returns a constant and does nothing else (no load that could fail). */
function _returnsOnly(lowered: _LoweredProgram, index: number): boolean {
  const { steps, exit } = lowered.blocks[index];
  return steps.length === 0 && exit.kind === "return";
}

/** Whether a test is a `jset` on A (the entry's may load, shift and mask). */
function _isBitTest(test: _Test, entry: boolean): boolean {
  if (test.useX || test.op !== BPF_JSET || test.low !== 1 || test.span !== 0xfffffffe) return false;
  return entry || (test.producer === undefined && test.shift === 0 && test.mask === 0xffffffff);
}

/** How many bytes of A a mask has bits in. */
function _bytesOf(mask: number): number {
  let count = 0;
  for (let b = 0; b < 4; b++) if (((mask >>> (8 * b)) & 0xff) !== 0) count++;
  return count;
}
