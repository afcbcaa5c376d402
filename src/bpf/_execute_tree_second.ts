/**
 * Second (and for `equal1`, `equal2`, `testA` third; for `testRun` third and fourth, for
 * `equalPair` third) copies of the closure trees' test literals (private): the same
 * nodes as `_execute_tree.ts`'s `equal1` … `rangeX2`, written out again, for a
 * node whose path from the root already holds a node of the same literal
 * (`tcp port 80`'s two `[x + k] == 80` tests, `host`'s two address tests,
 * `vlan`'s compare chain on A).
 *
 * Why: V8 never inlines a function into a copy of itself (a "recursive"
 * call, even between two closures of one literal), so the second node of a
 * literal on a path was a real call, and so was everything below it:
 * `vlan and ip` ran 9.7 ns a packet as a tree against 7.7 through the
 * dispatch loop (libpcap 7.8), `host 10.1.2.3 and tcp port 443` 10.5
 * against libpcap's 11.0 (bench/RESULTS.md, session 17). Each literal here
 * keeps its first copy's name, so the trees' call-site counts
 * (`_CallSites`) do not change. Like the first copies, each calls its
 * target from one call site (`_execute_tree.ts` says why).
 *
 * @module
 */
import type { _TreeNode } from "./_execute_tree_steps.ts";

/** The second `testA` (`_execute_tree.ts` documents the operands). */
export function _testA2(
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testA(P, B, LE, A): number {
    const a = (A >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `equal1`. */
export function _equal12(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal1(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `equal2`. */
export function _equal22(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal2(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `equal4`. */
export function _equal42(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal4(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `equalX2`. */
export function _equalX22(
  S: Int32Array,
  k: number,
  v: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalX2(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `range4`. */
export function _range42(
  k: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function range4(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const value = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (value >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `rangeX2`. */
export function _rangeX22(
  S: Int32Array,
  k: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function rangeX2(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The third `equal1` (the IPv6 paths of `tcp`/`udp` filters test `[20]` and `[54]`). */
export function _equal13(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal1(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The third `equal2` (`tcp port 80` over IPv6: the ether type, then both ports). */
export function _equal23(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal2(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The third `testA` (`ip or arp or rarp`-style chains of ether types, with a later test on A). */
export function _testA3(
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testA(P, B, LE, A): number {
    const a = (A >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `range2` (the fragment test, then a 2-byte field test). */
export function _range22(
  k: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function range2(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `testRun` (`ip6 host X`: the source address's run, then the destination's). */
export function _testRun2(R: Int32Array, t: _TreeNode, f: _TreeNode): _TreeNode {
  const n = R.length;
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testRun(P, B, LE): number {
    let a = 0;
    let passed = true;
    for (let j = 0; j < n; j += 8) {
      const i = B + R[j];
      const size = R[j + 1];
      if (i + size > LE) return 0;
      const value = size === 4
        ? (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]
        : size === 2
        ? (P[i] << 8) | P[i + 1]
        : P[i];
      a = (value >>> R[j + 2]) & R[j + 3];
      const taken = ((a & R[j + 4]) - R[j + 5]) >>> 0 <= R[j + 6] >>> 0;
      if (taken !== (R[j + 7] === 1)) {
        passed = false;
        break;
      }
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The third `testRun` (`ip6 host X or ip6 host Y`: four runs on a path). */
export function _testRun3(R: Int32Array, t: _TreeNode, f: _TreeNode): _TreeNode {
  const n = R.length;
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testRun(P, B, LE): number {
    let a = 0;
    let passed = true;
    for (let j = 0; j < n; j += 8) {
      const i = B + R[j];
      const size = R[j + 1];
      if (i + size > LE) return 0;
      const value = size === 4
        ? (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]
        : size === 2
        ? (P[i] << 8) | P[i + 1]
        : P[i];
      a = (value >>> R[j + 2]) & R[j + 3];
      const taken = ((a & R[j + 4]) - R[j + 5]) >>> 0 <= R[j + 6] >>> 0;
      if (taken !== (R[j + 7] === 1)) {
        passed = false;
        break;
      }
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The fourth `testRun` (`ip6 host X or ip6 host Y`: four runs on a path). */
export function _testRun4(R: Int32Array, t: _TreeNode, f: _TreeNode): _TreeNode {
  const n = R.length;
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testRun(P, B, LE): number {
    let a = 0;
    let passed = true;
    for (let j = 0; j < n; j += 8) {
      const i = B + R[j];
      const size = R[j + 1];
      if (i + size > LE) return 0;
      const value = size === 4
        ? (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]
        : size === 2
        ? (P[i] << 8) | P[i + 1]
        : P[i];
      a = (value >>> R[j + 2]) & R[j + 3];
      const taken = ((a & R[j + 4]) - R[j + 5]) >>> 0 <= R[j + 6] >>> 0;
      if (taken !== (R[j + 7] === 1)) {
        passed = false;
        break;
      }
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `equalPair` (`ether host X`: the source's pair, then the destination's). */
export function _equalPair2(
  k1: number,
  v1: number,
  o1: boolean,
  k2: number,
  v2: number,
  o2: boolean,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalPair(P, B, LE): number {
    let i = B + k1;
    if (i + 4 > LE) return 0;
    let a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    let passed = (a === v1) === o1;
    if (passed) {
      i = B + k2;
      if (i + 2 > LE) return 0;
      a = (P[i] << 8) | P[i + 1];
      passed = (a === v2) === o2;
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The third `equalPair` (`ether host X`: the source's pair, then the destination's). */
export function _equalPair3(
  k1: number,
  v1: number,
  o1: boolean,
  k2: number,
  v2: number,
  o2: boolean,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalPair(P, B, LE): number {
    let i = B + k1;
    if (i + 4 > LE) return 0;
    let a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    let passed = (a === v1) === o1;
    if (passed) {
      i = B + k2;
      if (i + 2 > LE) return 0;
      a = (P[i] << 8) | P[i + 1];
      passed = (a === v2) === o2;
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}
