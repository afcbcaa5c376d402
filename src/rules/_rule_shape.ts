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
 * by a number given in order of appearance); a rule's list of them is a
 * path in a trie of maps, so no text is built per rule.
 *
 * @module
 */
import type { _Network } from "./_ip.ts";
import type { _PreparedMatch } from "./_match_tests.ts";

/** Most shapes one compile numbers (more: the later rules get none, and are made on their own). */
export const _MAX_SHAPES = 1 << 20;

/** Most distinct names (program keys, networks, interface names) a match number can hold. */
const _MAX_NAMES = 1 << 26;

// A match's number: `((name × 2 + negated) × 8 + kind)`.
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

/** A node of the trie: its shape when a rule's list ends here (-1: none yet), its children. */
interface _ShapeNode {
  shape: number;
  next: Map<number, _ShapeNode> | null;
}

/** Numbers the shapes of one compile's rules. */
export class _RuleShapes {
  readonly #programs = new Map<string, number>();
  readonly #networks = new Map<_Network, number>();
  readonly #interfaces = new Map<string, number>();
  /** Per base, the trie's root. */
  readonly #roots: _ShapeNode[] = [];
  #size = 0;

  /** How many shapes are numbered. */
  get size(): number {
    return this.#size;
  }

  /**
   * The shape of a rule at `base` (a small number) with `prepared` matches:
   * `[number, new]` (`new`: first seen now), or `undefined` when a program
   * match has no key (its program is not named within the compile), an
   * address no parsed network, or a bound is reached.
   */
  number(prepared: readonly _PreparedMatch[], base: number): [number, boolean] | undefined {
    let node = this.#roots[base];
    if (node === undefined) node = this.#roots[base] = { shape: -1, next: null };
    for (let i = 0; i < prepared.length; i++) {
      const item = this.#item(prepared[i]);
      if (item < 0) return undefined;
      const next = node.next ??= new Map();
      let child = next.get(item);
      if (child === undefined) {
        child = { shape: -1, next: null };
        next.set(item, child);
      }
      node = child;
    }
    if (node.shape >= 0) return [node.shape, false];
    if (this.#size >= _MAX_SHAPES) return undefined;
    node.shape = this.#size++;
    return [node.shape, true];
  }

  /** A match's number, or -1 when it cannot be named. */
  #item(p: _PreparedMatch): number {
    const m = p.match;
    let kind: number;
    let name: number;
    switch (m.kind) {
      case "comment":
        return _COMMENT;
      case "protocol":
        kind = _PROTOCOL;
        name = m.protocol;
        break;
      case "address": {
        if (p.network === undefined) return -1;
        kind = _ADDRESS;
        name = 2 * _name(this.#networks, p.network) + (m.direction === "source" ? 0 : 1);
        break;
      }
      case "interface":
        kind = _INTERFACE;
        name = 2 * _name(this.#interfaces, m.name) + (m.direction === "in" ? 0 : 1);
        break;
      default: {
        if (p.key === undefined) return -1;
        kind = _PROGRAM;
        name = _name(this.#programs, p.key);
      }
    }
    if (name < 0 || name >= _MAX_NAMES) return -1;
    const item = ((name * 2 + (p.invert ? 1 : 0)) * 8 + kind) >>> 0;
    return _shapeHook.plant === null ? item : _shapeHook.plant(item);
  }
}

/** The number of `key` in `names` (numbered in order of appearance). */
function _name<K>(names: Map<K, number>, key: K): number {
  let n = names.get(key);
  if (n === undefined) {
    n = names.size;
    names.set(key, n);
  }
  return n;
}
