/**
 * Tests whose outcome a path already decided, removed (private; the closure
 * strategy's pass over a lowered program, before `_dispatch_code.ts` lays it
 * out).
 *
 * A program of many OR'ed expressions tests the same packet fields again
 * and again: every expression starts with `ldh [12]; jeq #0x86dd` and `jeq
 * #0x800`, then `ldb [23]; jeq #6`, then the fragment test. By the time a
 * packet reaches the tenth expression, the first one has told what its
 * EtherType and protocol are, yet libpcap's interpreter and the dispatch
 * loop test them again (the 734-instruction bench program: 114 dispatches a
 * packet). This pass copies each block once per set of facts that can reach
 * it (a *state*: "`[12]` is 0x800", "`[23]` is not 6", "the fragment test
 * was false") and turns the tests that the state decides into jumps, so a
 * packet runs only the tests whose outcome it does not know yet.
 *
 * The facts are about values the program computed from the packet: a load
 * `[k]` (k ≥ 0), `[x + k]` with X from a given load, the wire length, a
 * constant, and those after a test's shift and mask. A packet does not change
 * while a program runs (cBPF cannot write it), so a load that succeeded once
 * gives the same value every time and passes its bounds check again: a
 * decided test's load can go. A known constant decides any test on it. The
 * only call out that could change the packet, an ancillary load (the user's
 * `random`), forgets every fact.
 *
 * A decided test leaves A holding a value the register does not have yet
 * (*pending*); it is loaded again only where the program reads A before
 * writing it (`ret a`, an ALU step, `tax`, a test on A itself), and before any
 * write of X when it came from `[x + k]`.
 *
 * To keep the copies few, a state keeps a fact only while a later block tests
 * the same thing (blocks are in program order and every jump goes forward,
 * so "later" covers every block reachable): a known value is kept only while
 * the same equality is tested again (keeping every value, `ether src` against
 * ten addresses would copy what follows once per address); A and X are kept
 * only where a later step reads them. Programs with backward jumps, and
 * programs whose copies would pass {@linkcode _MAX_BLOCKS_FACTOR} times the
 * original's blocks, are left as they are.
 *
 * @module
 */
import type { _Exit, _LoweredBlock, _LoweredProgram, _Producer, _Step, _Test } from "./_lower.ts";
import { _testTaken } from "./_lower.ts";
import { BPF_AND, BPF_RSH } from "./opcodes.ts";

/** At most this many times the program's blocks (plus 64) once copied per state. */
export const _MAX_BLOCKS_FACTOR = 4;
/** Programs of more blocks than this are left as they are (compile time). */
const _MAX_INPUT_BLOCKS = 4096;
/**
 * The deepest chain of copies made one inside another (the copy recurses
 * along a path, three calls per block): past it the program is left as it is.
 */
export const _MAX_COPY_DEPTH = 512;
/**
 * How many tests (signatures on a value) the facts may be about: those most
 * blocks make, as the EtherType, protocol and fragment tests of OR'ed
 * expressions. Each tracked test can double the copies of what follows it;
 * past the budget the pass tries again with fewer.
 */
const _TRACKED = [8, 4, 2];
/** At most this many names per register and block in the relevance analysis. */
const _MAX_NAMES = 4;
/** No name: a value the pass does not follow. */
const _UNKNOWN = -1;

/** What a path knows when it enters a block. */
interface _State {
  /** The name of A's value. */
  a: number;
  /** Whether A must be loaded again before it is read (a decided test did not load it). */
  aPending: boolean;
  /** The name of X's value. */
  x: number;
  /** Outcomes of tests, sorted: signature * 2 + 1 when true. */
  facts: number[];
}

/** What a copy returns when the copies pass the budget or the depth bound: the pass gives up. */
const _GAVE_UP = -1;

/**
 * The program with the tests a path already decided turned into jumps; the
 * program itself when it has backward jumps, or would grow past the budget.
 */
export function _removeKnownTests(lowered: _LoweredProgram): _LoweredProgram {
  if (lowered.backward || lowered.blocks.length > _MAX_INPUT_BLOCKS) return lowered;
  if (!_repeatsATest(lowered.blocks)) return lowered;
  for (const tracked of _TRACKED) {
    let copied: _LoweredProgram | undefined;
    try {
      copied = new _Specializer(lowered, tracked).run();
    } catch (error) {
      // A stack smaller than the depth bound needs (a RangeError) leaves the program as it is.
      if (error instanceof RangeError) return lowered;
      throw error;
    }
    // Undefined: past the budget or the depth bound; try again with fewer tracked tests.
    if (copied !== undefined) return copied;
  }
  return lowered;
}

/**
 * Whether two blocks make the same test (the same load, mask and range, or
 * the same range on A as it is): only then can a path know a test's outcome
 * before making it. Most single expressions (`tcp port 80`) make none, and
 * skip the pass.
 */
function _repeatsATest(blocks: readonly _LoweredBlock[]): boolean {
  const seen = new Set<string>();
  for (const { exit } of blocks) {
    if (exit.kind !== "test" || exit.useX) continue;
    const p = exit.producer;
    const load = p === undefined
      ? "A"
      : p.kind === "load-length"
      ? "len"
      : `${p.kind}${p.offset}:${p.size}`;
    const key = `${load}>${exit.shift}&${exit.mask}?${exit.rangeMask}.${exit.low}.${exit.span}`;
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

/** Names of values, interned as numbers: how to compute each into A, its base, its constant. */
class _Names {
  readonly #ids = new Map<string, number>();
  /** Per name: the steps that load it into A (undefined: it cannot be, as `msh[k]`). */
  readonly steps: (_Step[] | undefined)[] = [];
  /** Per name: the X name its steps read, or `_UNKNOWN`. */
  readonly needsX: number[] = [];
  /** Per name: its number for a constant. */
  readonly constant: (number | undefined)[] = [];
  /** Per masked name: the name it masks, its shift and mask (`_UNKNOWN` for others). */
  readonly base: number[] = [];
  readonly shift: number[] = [];
  readonly mask: number[] = [];

  /** The name of a producer's value with X named `x`. */
  produced(producer: _Producer, x: number): number {
    if (producer === undefined) return _UNKNOWN;
    if (producer.kind === "load") {
      if (producer.offset < 0) return _UNKNOWN;
      return this.#name(`[${producer.offset}:${producer.size}]`, [{ ...producer, checked: true }]);
    }
    if (producer.kind === "load-indirect") {
      if (x === _UNKNOWN) return _UNKNOWN;
      return this.#name(`[${x}+${producer.offset}:${producer.size}]`, [producer], x);
    }
    return this.#name("len", [{ kind: "load-length", into: "a" }]);
  }

  /** The name of `(value >>> shift) & mask`. */
  masked(value: number, shift: number, mask: number): number {
    if (value === _UNKNOWN || (shift === 0 && mask === 0xffffffff)) return value;
    const constant = this.constant[value];
    if (constant !== undefined) return this.constantName(((constant >>> shift) & mask) >>> 0);
    const steps = this.steps[value];
    if (steps === undefined) return _UNKNOWN;
    const name = this.#name(`(${value}>>${shift}&${mask})`, [
      ...steps,
      ...(shift === 0 ? [] : [{ kind: "alu", op: BPF_RSH, useX: false, k: shift } as const]),
      ...(mask === 0xffffffff ? [] : [{ kind: "alu", op: BPF_AND, useX: false, k: mask } as const]),
    ], this.needsX[value]);
    this.base[name] = value;
    this.shift[name] = shift;
    this.mask[name] = mask;
    return name;
  }

  /** The name of a constant. */
  constantName(value: number): number {
    const name = this.#name(`#${value}`, [{ kind: "load-constant", into: "a", value }]);
    this.constant[name] = value;
    return name;
  }

  /** The name of `4 * ([offset] & 0xf)` (X only). */
  headerLength(offset: number): number {
    return offset < 0 ? _UNKNOWN : this.#name(`msh[${offset}]`, undefined);
  }

  #name(key: string, steps: _Step[] | undefined, needsX = _UNKNOWN): number {
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.steps.length;
      this.#ids.set(key, id);
      this.steps.push(steps);
      this.needsX.push(needsX);
      this.constant.push(undefined);
      this.base.push(_UNKNOWN);
      this.shift.push(0);
      this.mask.push(0xffffffff);
    }
    return id;
  }
}

/** Tests on named values, interned as numbers, with the last block that makes each. */
class _Signatures {
  readonly #ids = new Map<string, number>();
  /** Per signature: the value it tests. */
  readonly name: number[] = [];
  /** Per signature: its test (for the range and the equality). */
  readonly test: _Test[] = [];
  /** Per signature: the last block (program order) that makes it, -1 if none. */
  readonly lastUse: number[] = [];
  /** Per signature: the blocks that make it, in order. */
  readonly uses: number[][] = [];

  /**
   * Keeps facts only for the `count` signatures most blocks make (earliest
   * first among equals): forgets the last use of the others.
   */
  keepCommonest(count: number): void {
    const order = this.uses.map((uses, signature) => ({ signature, uses: uses.length }))
      .sort((p, q) => q.uses - p.uses || p.signature - q.signature);
    for (const { signature } of order.slice(count)) this.lastUse[signature] = -1;
  }

  /** Records that block `b` (blocks visited in order) makes `signature`. */
  use(signature: number, b: number): void {
    if (this.lastUse[signature] !== b) this.uses[signature].push(b);
    this.lastUse[signature] = b;
  }

  /** How many blocks from `b` on make `signature`. */
  remaining(signature: number, b: number): number {
    const uses = this.uses[signature];
    let low = 0;
    let high = uses.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (uses[middle] < b) low = middle + 1;
      else high = middle;
    }
    return uses.length - low;
  }

  /** The signature of `test` on `name`. */
  of(name: number, test: _Test): number {
    const key = `${name}:${test.rangeMask}:${test.low}:${test.span}`;
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.name.length;
      this.#ids.set(key, id);
      this.name.push(name);
      this.test.push(test);
      this.lastUse.push(-1);
      this.uses.push([]);
    }
    return id;
  }
}

/** Whether a test is `value == low` on the whole value. */
function _isEquality(test: _Test): boolean {
  return test.rangeMask === 0xffffffff && test.span === 0;
}

/** The names A and X hold after a step (not an exit). */
function _namesAfter(step: _Step, a: number, x: number, names: _Names): [number, number] {
  switch (step.kind) {
    case "load":
    case "load-indirect":
      return [names.produced(step, x), x];
    case "load-header-length":
      return [a, names.headerLength(step.offset)];
    case "load-length": {
      const length = names.produced(step, x);
      return step.into === "a" ? [length, x] : [a, length];
    }
    case "load-constant":
      return step.into === "a"
        ? [names.constantName(step.value), x]
        : [a, names.constantName(step.value)];
    case "load-scratch":
      return step.into === "a" ? [_UNKNOWN, x] : [a, _UNKNOWN];
    case "store":
      return [a, x];
    case "tax":
      return [a, a];
    case "txa":
      return [x !== _UNKNOWN && names.steps[x] !== undefined ? x : _UNKNOWN, x];
    case "alu":
      return [_UNKNOWN, x];
    case "load-ancillary":
      return [_UNKNOWN, _UNKNOWN];
  }
}

/** Whether a step reads A (an ancillary load may return it, or read it as NLATTR does). */
function _readsA(step: _Step): boolean {
  return step.kind === "alu" || (step.kind === "store" && step.from === "a") ||
    step.kind === "tax" || step.kind === "load-ancillary";
}

/** Whether a step writes A. */
function _writesA(step: _Step): boolean {
  switch (step.kind) {
    case "load":
    case "load-indirect":
    case "load-ancillary":
    case "alu":
    case "txa":
      return true;
    case "load-length":
    case "load-constant":
    case "load-scratch":
      return step.into === "a";
    default:
      return false;
  }
}

/** Whether a step reads X. */
function _readsX(step: _Step): boolean {
  return step.kind === "load-indirect" || (step.kind === "store" && step.from === "x") ||
    step.kind === "txa" || (step.kind === "alu" && step.useX) || step.kind === "load-ancillary";
}

/** Whether a step writes X. */
function _writesX(step: _Step): boolean {
  switch (step.kind) {
    case "load-header-length":
    case "tax":
      return true;
    case "load-length":
    case "load-constant":
    case "load-scratch":
      return step.into === "x";
    default:
      return false;
  }
}

/** Whether an exit reads A / X as the block reaches it (before the test's own load). */
function _exitReads(exit: _Exit): { a: boolean; x: boolean } {
  if (exit.kind === "return-a") return { a: true, x: false };
  if (exit.kind !== "test") return { a: false, x: false };
  return {
    a: exit.producer === undefined,
    x: exit.useX || exit.producer?.kind === "load-indirect",
  };
}

/** A block's successors. */
function _successors(exit: _Exit): number[] {
  if (exit.kind === "goto") return [exit.to];
  if (exit.kind === "test") return [exit.whenTrue, exit.whenFalse];
  return [];
}

/**
 * Whether A and X may be read before written from each block's start (the
 * blocks in program order, every jump forward: one backward sweep).
 */
function _liveness(blocks: readonly _LoweredBlock[]): { a: Uint8Array; x: Uint8Array } {
  const a = new Uint8Array(blocks.length);
  const x = new Uint8Array(blocks.length);
  for (let b = blocks.length - 1; b >= 0; b--) {
    const { steps, exit } = blocks[b];
    let aDone = false;
    let xDone = false;
    let aLive = false;
    let xLive = false;
    for (const step of steps) {
      if (!aDone && _readsA(step)) aLive = aDone = true;
      if (!xDone && _readsX(step)) xLive = xDone = true;
      if (_writesA(step)) aDone = true;
      if (_writesX(step)) xDone = true;
    }
    const reads = _exitReads(exit);
    if (!aDone && reads.a) aLive = aDone = true;
    if (!xDone && reads.x) xLive = xDone = true;
    if (exit.kind === "test" && exit.producer !== undefined) aDone = true;
    for (const next of _successors(exit)) {
      if (!aDone && a[next]) aLive = true;
      if (!xDone && x[next]) xLive = true;
    }
    a[b] = aLive ? 1 : 0;
    x[b] = xLive ? 1 : 0;
  }
  return { a, x };
}

/**
 * Records in `signatures.lastUse` the last block that makes each test. The
 * names A and X may hold at each block come from a forward pass over the
 * blocks (at most {@linkcode _MAX_NAMES} per register; more, or an unknown
 * one, and the block's test is not recorded: facts for it are then dropped,
 * which keeps the test and costs nothing else).
 */
function _recordLastUses(blocks: readonly _LoweredBlock[], names: _Names, signatures: _Signatures) {
  const aIn: Set<number>[] = blocks.map(() => new Set());
  const xIn: Set<number>[] = blocks.map(() => new Set());
  aIn[0].add(names.constantName(0));
  xIn[0].add(names.constantName(0));
  const add = (into: Set<number>, name: number) => {
    if (into.has(_UNKNOWN) || into.has(name)) return;
    if (name === _UNKNOWN || into.size >= _MAX_NAMES) {
      into.clear();
      into.add(_UNKNOWN);
    } else into.add(name);
  };
  blocks.forEach(({ steps, exit }, b) => {
    for (const a0 of aIn[b]) {
      for (const x0 of xIn[b]) {
        let a = a0;
        let x = x0;
        for (const step of steps) [a, x] = _namesAfter(step, a, x, names);
        if (exit.kind === "test") {
          const base = exit.producer === undefined ? a : names.produced(exit.producer, x);
          a = names.masked(base, exit.shift, exit.mask);
          if (a !== _UNKNOWN && !exit.useX) signatures.use(signatures.of(a, exit), b);
        }
        for (const next of _successors(exit)) {
          add(aIn[next], a);
          add(xIn[next], x);
        }
      }
    }
  });
}

/** Copies each block once per state that reaches it, deciding what the state decides. */
class _Specializer {
  readonly #blocks: readonly _LoweredBlock[];
  readonly #names = new _Names();
  readonly #signatures = new _Signatures();
  readonly #live: { a: Uint8Array; x: Uint8Array };
  /** The copies, children before parents; their exits name copies by this order. */
  readonly #out: _LoweredBlock[] = [];
  /** Block and state → index in `#out`. */
  readonly #memo = new Map<string, number>();
  readonly #budget: number;
  /** How many copies are being made, one inside another (at most {@linkcode _MAX_COPY_DEPTH}). */
  #depth = 0;

  constructor(lowered: _LoweredProgram, tracked: number) {
    this.#blocks = lowered.blocks;
    this.#live = _liveness(this.#blocks);
    _recordLastUses(this.#blocks, this.#names, this.#signatures);
    this.#signatures.keepCommonest(tracked);
    this.#budget = _MAX_BLOCKS_FACTOR * this.#blocks.length + 64;
  }

  /** The copied program, entry first, every jump forward; undefined past the budget or depth bound. */
  run(): _LoweredProgram | undefined {
    const zero = this.#names.constantName(0);
    const entry = this.#copy(0, { a: zero, aPending: false, x: zero, facts: [] });
    if (entry === _GAVE_UP) return undefined;
    // Reversed post-order: the entry first, and every jump goes forward.
    const last = this.#out.length - 1;
    if (entry !== last) throw new Error("the entry block is not the last made");
    const at = (index: number) => last - index;
    const blocks = this.#out.map((block) => ({ ...block, exit: _renumbered(block.exit, at) }));
    return { blocks: blocks.reverse(), backward: false };
  }

  /** The index of block `b`'s copy for `state` (made on first use), or {@linkcode _GAVE_UP}. */
  #copy(b: number, state: _State): number {
    const lastUse = this.#signatures.lastUse;
    const aLive = this.#live.a[b] === 1;
    const canonical: _State = {
      a: aLive ? state.a : _UNKNOWN,
      aPending: aLive && state.aPending,
      x: this.#live.x[b] === 1 ? state.x : _UNKNOWN,
      facts: state.facts.filter((fact) => lastUse[fact >> 1] >= b),
    };
    const key = `${b},${canonical.a},${
      canonical.aPending ? 1 : 0
    },${canonical.x};${canonical.facts}`;
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    if (this.#depth >= _MAX_COPY_DEPTH) return _GAVE_UP;
    this.#depth++;
    const index = this.#build(b, canonical);
    this.#depth--;
    if (index === _GAVE_UP) return _GAVE_UP;
    this.#memo.set(key, index);
    return index;
  }

  /**
   * Adds a copy and returns its index, or returns the copy a decided block
   * leads to; {@linkcode _GAVE_UP} when a copy it needs gave up.
   */
  #build(b: number, state: _State): number {
    if (this.#out.length > this.#budget) return _GAVE_UP;
    const block = this.#blocks[b];
    const steps: _Step[] = [];
    for (const step of block.steps) this.#step(step, state, steps);
    const exit = block.exit;
    const emit = (exit: _Exit) => {
      this.#out.push({ start: block.start, need: block.need, steps, exit });
      return this.#out.length - 1;
    };
    switch (exit.kind) {
      case "return":
        return emit(exit);
      case "return-a":
        this.#materialize(state, steps);
        return emit(exit);
      case "goto": {
        const to = this.#copy(exit.to, state);
        if (to === _GAVE_UP) return _GAVE_UP;
        return steps.length === 0 && block.need === 0 ? to : emit({ ...exit, to });
      }
      case "test":
        return this.#test(exit, state, steps, block.need, emit);
    }
  }

  /** A block's test: decided (a jump, or the decided target itself), or kept with a fact per edge. */
  #test(
    test: _Test,
    state: _State,
    steps: _Step[],
    need: number,
    emit: (exit: _Exit) => number,
  ): number {
    const names = this.#names;
    const base = test.producer === undefined ? state.a : names.produced(test.producer, state.x);
    const value = names.masked(base, test.shift, test.mask);
    const outcome = test.useX || value === _UNKNOWN || !this.#mayPend(test, value, base, state)
      ? undefined
      : this.#decided(value, test, state);
    if (outcome !== undefined) {
      // A holds `value` once the test has run; the register has it only if nothing changed.
      state.aPending ||= test.producer !== undefined || value !== base;
      state.a = value;
      const target = outcome ? test.whenTrue : test.whenFalse;
      this.#dropHeaderLength(test, state, steps, target);
      const to = this.#copy(target, state);
      if (to === _GAVE_UP) return _GAVE_UP;
      return steps.length === 0 && need === 0 ? to : emit({ kind: "goto", to, backward: false });
    }
    // A test on a pending A loads it itself (one fused test), or after it is loaded again.
    const made = test.producer === undefined ? this.#withPendingLoad(test, state) : test;
    if (made === test && test.producer === undefined) this.#materialize(state, steps);
    state.a = value;
    state.aPending = false;
    if (test.useX || value === _UNKNOWN) {
      const whenTrue = this.#copy(test.whenTrue, state);
      if (whenTrue === _GAVE_UP) return _GAVE_UP;
      const whenFalse = this.#copy(test.whenFalse, state);
      return whenFalse === _GAVE_UP ? _GAVE_UP : emit({ ...made, whenTrue, whenFalse });
    }
    const signature = this.#signatures.of(value, test);
    const whenTrue = this.#copy(test.whenTrue, _withFact(state, signature * 2 + 1));
    if (whenTrue === _GAVE_UP) return _GAVE_UP;
    const whenFalse = this.#copy(test.whenFalse, _withFact(state, signature * 2));
    if (whenFalse === _GAVE_UP) return _GAVE_UP;
    return emit({ ...made, whenTrue, whenFalse });
  }

  /**
   * Whether a decided test may leave A pending as `value`: A is unchanged,
   * or `value` is loaded again with no X or with the X this path holds. A
   * value read through an X written since (`ldx #3` after `ldb [x + 0]`)
   * cannot be loaded again, so its test is kept.
   */
  #mayPend(test: _Test, value: number, base: number, state: _State): boolean {
    if (test.producer === undefined && value === base) return true;
    const x = this.#names.needsX[value];
    return x === _UNKNOWN || x === state.x;
  }

  /**
   * A test on A (no load of its own) while A is pending as a load, maybe
   * shifted and masked: the same test with that load as its producer and the
   * two shifts and masks folded into one (as `_fuseTest` folds them), so the
   * load costs no operation of its own. The test itself when A is not pending
   * or comes from something else.
   */
  #withPendingLoad(test: _Test, state: _State): _Test {
    if (!state.aPending || test.useX) return test;
    const names = this.#names;
    let name = state.a;
    let shift = 0;
    let mask = 0xffffffff;
    if (names.base[name] !== _UNKNOWN) {
      shift = names.shift[name];
      mask = names.mask[name];
      name = names.base[name];
    }
    const steps = names.steps[name];
    const producer = steps?.length === 1 ? steps[0] : undefined;
    if (
      producer === undefined ||
      (producer.kind !== "load" && producer.kind !== "load-indirect" &&
        producer.kind !== "load-length")
    ) return test;
    // ((v >>> shift) & mask) >>> r, then & test.mask.
    const r = test.shift;
    if (shift + r >= 32) {
      shift = 0;
      mask = 0;
    } else {
      shift += r;
      mask >>>= r;
    }
    return { ...test, producer, shift, mask: (mask & test.mask) >>> 0 };
  }

  /**
   * Drops the `ldx 4*([k]&0xf)` before a decided test on `[x + k']` when
   * nothing reads X afterwards: the fact that decided the test is about a
   * value loaded through that same X, so this load already succeeded on the
   * path (its bounds check passes) and X holds its value.
   */
  #dropHeaderLength(test: _Test, state: _State, steps: _Step[], target: number): void {
    const last = steps[steps.length - 1];
    if (test.producer?.kind !== "load-indirect" || last?.kind !== "load-header-length") return;
    const needsX = state.aPending && this.#names.needsX[state.a] !== _UNKNOWN;
    if (this.#live.x[target] === 1 || (needsX && this.#live.a[target] === 1)) return;
    steps.pop();
  }

  /** What the state says of `value`'s test, if anything. */
  #decided(value: number, test: _Test, state: _State): boolean | undefined {
    const names = this.#names;
    const signatures = this.#signatures;
    const constant = names.constant[value];
    if (constant !== undefined) return _testTaken(test, constant);
    const base = names.base[value];
    for (const fact of state.facts) {
      const signature = fact >> 1;
      const name = signatures.name[signature];
      if (name !== value && name !== base) continue;
      const known = signatures.test[signature];
      const exact = (fact & 1) === 1 && _isEquality(known);
      if (name === base) {
        if (exact) {
          return _testTaken(test, ((known.low >>> names.shift[value]) & names.mask[value]) >>> 0);
        }
        continue;
      }
      if (exact) return _testTaken(test, known.low);
      if (
        known.rangeMask === test.rangeMask && known.low === test.low && known.span === test.span
      ) {
        return (fact & 1) === 1;
      }
    }
    return undefined;
  }

  /** Appends a step, loading a pending A first where the step reads A or changes X under it. */
  #step(step: _Step, state: _State, steps: _Step[]): void {
    const pendingNeedsX = state.aPending && this.#names.needsX[state.a] !== _UNKNOWN;
    if (_readsA(step) || (_writesX(step) && pendingNeedsX)) this.#materialize(state, steps);
    steps.push(step);
    [state.a, state.x] = _namesAfter(step, state.a, state.x, this.#names);
    if (_writesA(step)) state.aPending = false;
    // A user callback (`random`) could change the packet: forget every fact.
    if (step.kind === "load-ancillary") state.facts = [];
  }

  /** Loads A again if a decided test left it pending. */
  #materialize(state: _State, steps: _Step[]): void {
    if (!state.aPending) return;
    steps.push(...this.#names.steps[state.a]!);
    state.aPending = false;
  }
}

/** A copy of the state with one more fact, kept sorted. */
function _withFact(state: _State, fact: number): _State {
  const facts = [...state.facts, fact].sort((a, b) => a - b);
  return { ...state, facts };
}

/** An exit with its block indices mapped. */
function _renumbered(exit: _Exit, at: (index: number) => number): _Exit {
  if (exit.kind === "goto") return { ...exit, to: at(exit.to) };
  if (exit.kind === "test") {
    return { ...exit, whenTrue: at(exit.whenTrue), whenFalse: at(exit.whenFalse) };
  }
  return exit;
}
