/**
 * Private: a rule's shape, the number naming what its matches test within
 * one compile. Two rules of one compile with the same shape have the same
 * base and the same matches in the same order (the same kinds, negations,
 * protocols, networks, interface names and program keys; comments stand in
 * their places but their texts are left out): their summaries, index
 * guards, exact programs and Wasm tests are equal, so the compile makes
 * them once per shape (a big rule set repeats many match lists: 6,128
 * distinct among the 10,000 rules of the diverse generator's seed 1, 800
 * among 1,000).
 *
 * Each match is a number (its kind, negation and what it names, each named
 * by a number given in order of appearance); a rule's list of them is found
 * by its hash among the lists seen (compared whole), so no text is built per
 * rule.
 *
 * @module
 */
import type { _Network } from "./_ip.ts";
import type { _PreparedMatch } from "./_match_tests.ts";

/** Most shapes one compile numbers (more: the later rules get none, and are made on their own). */
export const _MAX_SHAPES = 1 << 20;

/** Most distinct names (program keys, networks, interface names) a match number can hold. */
const _MAX_NAMES = 1 << 25;

// A match's number: `((name × 2 + side) × 2 + negated) × 8 + kind` (side: `-s`/`-d`, `-i`/`-o`;
// a protocol's name is its number; a comment is its kind alone). `negated` is the match's own
// `invert`: the prepared match's is false for `! -p all`, which never matches.
const _COMMENT = 0;
const _PROTOCOL = 1;
const _ADDRESS = 2;
const _INTERFACE = 3;
const _PROGRAM = 4;

/**
 * Tests: a change planted in each match's number (a wrong one, such as
 * negation left out, must make the differential tests fail).
 */
export const _shapeHook = { plant: null as null | ((item: number) => number) };

/** Numbers the shapes of one compile's rules. */
export class _RuleShapes {
  readonly #programs = new Map<string | _Network, number>();
  readonly #networks = new Map<string | _Network, number>();
  readonly #interfaces = new Map<string | _Network, number>();
  /** Per shape, its base and its matches' numbers. */
  readonly #shapes: number[][] = [];
  /** Shapes by the hash of their numbers (most hashes name one shape). */
  readonly #byHash = new Map<number, number | number[]>();
  /** The numbers of the rule being numbered. */
  #items: number[] = [];

  /** How many shapes are numbered. */
  get size(): number {
    return this.#shapes.length;
  }

  /**
   * The shape of a rule at `base` (a small number) with `prepared` matches:
   * `[number, new]` (`new`: first seen now), or `undefined` when a program
   * match has no key (its program is not named within the compile), an
   * address no parsed network, or a bound is reached.
   */
  number(prepared: readonly _PreparedMatch[], base: number): [number, boolean] | undefined {
    // One loop, no call per match: it runs for every rule, mostly before V8 optimises it.
    const items = this.#items;
    items.length = 0;
    items.push(base);
    let hash = base;
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i];
      const m = p.match;
      let kind: number;
      let names: Map<string | _Network, number>;
      let key: string | _Network;
      let side = 0;
      if (m.kind === "comment") {
        items.push(_COMMENT);
        hash = Math.imul(hash, 0x01000193) | 0;
        continue;
      } else if (m.kind === "protocol") {
        let item = ((m.protocol * 2 + (m.invert ? 1 : 0)) * 8 + _PROTOCOL) >>> 0;
        if (_shapeHook.plant !== null) item = _shapeHook.plant(item);
        items.push(item);
        hash = (Math.imul(hash, 0x01000193) ^ item) | 0;
        continue;
      } else if (m.kind === "address") {
        if (p.network === undefined) return undefined;
        kind = _ADDRESS;
        names = this.#networks;
        key = p.network;
        side = m.direction === "source" ? 0 : 1;
      } else if (m.kind === "interface") {
        kind = _INTERFACE;
        names = this.#interfaces;
        key = m.name;
        side = m.direction === "in" ? 0 : 1;
      } else {
        if (p.key === undefined) return undefined;
        kind = _PROGRAM;
        names = this.#programs;
        key = p.key;
      }
      let name = names.get(key);
      if (name === undefined) {
        name = names.size;
        if (name >= _MAX_NAMES) return undefined;
        names.set(key, name);
      }
      let item = (((2 * name + side) * 2 + (m.invert ? 1 : 0)) * 8 + kind) >>> 0;
      if (_shapeHook.plant !== null) item = _shapeHook.plant(item);
      items.push(item);
      hash = (Math.imul(hash, 0x01000193) ^ item) | 0;
    }
    const known = this.#byHash.get(hash);
    if (typeof known === "number") {
      if (_same(this.#shapes[known], items)) return [known, false];
    } else if (known !== undefined) {
      for (const shape of known) if (_same(this.#shapes[shape], items)) return [shape, false];
    }
    const shape = this.#shapes.length;
    if (shape >= _MAX_SHAPES) return undefined;
    this.#shapes.push(items.slice());
    if (known === undefined) this.#byHash.set(hash, shape);
    else if (typeof known === "number") this.#byHash.set(hash, [known, shape]);
    else known.push(shape);
    return [shape, true];
  }
}

/** Whether two lists of numbers are equal. */
function _same(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
