/**
 * The test literals of trees cut by joints (private): the nodes of
 * `_execute_tree.ts` (`testA`, `equal1` … `range4`, `equalX2`, `rangeX2`,
 * `header`) written out again under names of their own (`testAPart` …), four
 * copies of each (V8 never inlines a literal into itself, so a part may hold
 * each literal on a path as often as it has copies; with two, and one of
 * `header`, every `port` past the first needed a joint of its own and
 * `ip6 host A or ip6 host B` more than a tree may have: bench/RESULTS.md,
 * session 20, h20refuse), so that the parts of jointed trees
 * share no literal with the trees V8 inlines whole. Each test calls its
 * target from one call site, `(taken ? t : (mark = 0, f))(P, B, LE, a)` (the form of
 * the trees' literals: `_execute_tree.ts`).
 *
 * Why: V8 inlines a call only where the call site's share of its caller's
 * calls is at least 0.15 (`--min-inlining-frequency`), counted in the
 * feedback of the caller's literal, which every tree of the process using that
 * literal shares (`--trace-turbo-inlining`: `testA` candidates at frequency
 * 0.07 and 0.12 left as calls). With jointed trees on the same literals, small
 * trees that had run at 0.6× libpcap ran at 1.2× (`not net 172.16.0.0/12`
 * 8.1 → 16.8 ns: bench/RESULTS.md, session 19, h19mid).
 *
 * @module
 */
import type { _TreeNode } from "./_execute_tree_steps.ts";

/** `testA` for parts of jointed trees. */
export function _testAPart(
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
  return function testAPart(P, B, LE, A): number {
    const a = (A >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `testA` for parts of jointed trees (second copy). */
export function _testAPart2(
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
  return function testAPart(P, B, LE, A): number {
    const a = (A >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `testA` for parts of jointed trees (third copy). */
export function _testAPart3(
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
  return function testAPart(P, B, LE, A): number {
    const a = (A >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `testA` for parts of jointed trees (fourth copy). */
export function _testAPart4(
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
  return function testAPart(P, B, LE, A): number {
    const a = (A >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal1` for parts of jointed trees. */
export function _equal1Part(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal1` for parts of jointed trees (second copy). */
export function _equal1Part2(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal1` for parts of jointed trees (third copy). */
export function _equal1Part3(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal1` for parts of jointed trees (fourth copy). */
export function _equal1Part4(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal2` for parts of jointed trees. */
export function _equal2Part(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal2` for parts of jointed trees (second copy). */
export function _equal2Part2(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal2` for parts of jointed trees (third copy). */
export function _equal2Part3(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal2` for parts of jointed trees (fourth copy). */
export function _equal2Part4(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal4` for parts of jointed trees. */
export function _equal4Part(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal4` for parts of jointed trees (second copy). */
export function _equal4Part2(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal4` for parts of jointed trees (third copy). */
export function _equal4Part3(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `equal4` for parts of jointed trees (fourth copy). */
export function _equal4Part4(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range1` for parts of jointed trees. */
export function _range1Part(
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
  return function range1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = (P[i] >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range1` for parts of jointed trees (second copy). */
export function _range1Part2(
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
  return function range1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = (P[i] >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range1` for parts of jointed trees (third copy). */
export function _range1Part3(
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
  return function range1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = (P[i] >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range1` for parts of jointed trees (fourth copy). */
export function _range1Part4(
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
  return function range1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = (P[i] >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range2` for parts of jointed trees. */
export function _range2Part(
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
  return function range2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range2` for parts of jointed trees (second copy). */
export function _range2Part2(
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
  return function range2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range2` for parts of jointed trees (third copy). */
export function _range2Part3(
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
  return function range2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range2` for parts of jointed trees (fourth copy). */
export function _range2Part4(
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
  return function range2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range4` for parts of jointed trees. */
export function _range4Part(
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
  return function range4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const value = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (value >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range4` for parts of jointed trees (second copy). */
export function _range4Part2(
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
  return function range4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const value = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (value >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range4` for parts of jointed trees (third copy). */
export function _range4Part3(
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
  return function range4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const value = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (value >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `range4` for parts of jointed trees (fourth copy). */
export function _range4Part4(
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
  return function range4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const value = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (value >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `header` for parts of jointed trees. */
export function _headerPart(h: number, S: Int32Array, next: _TreeNode): _TreeNode {
  return function headerPart(P, B, LE, A): number {
    const i = B + h;
    if (i + 1 > LE) return 0;
    S[16] = (P[i] & 0xf) << 2; // X
    return next(P, B, LE, A);
  };
}

/** `header` for parts of jointed trees (second copy). */
export function _headerPart2(h: number, S: Int32Array, next: _TreeNode): _TreeNode {
  return function headerPart(P, B, LE, A): number {
    const i = B + h;
    if (i + 1 > LE) return 0;
    S[16] = (P[i] & 0xf) << 2; // X
    return next(P, B, LE, A);
  };
}

/** `header` for parts of jointed trees (third copy). */
export function _headerPart3(h: number, S: Int32Array, next: _TreeNode): _TreeNode {
  return function headerPart(P, B, LE, A): number {
    const i = B + h;
    if (i + 1 > LE) return 0;
    S[16] = (P[i] & 0xf) << 2; // X
    return next(P, B, LE, A);
  };
}

/** `header` for parts of jointed trees (fourth copy). */
export function _headerPart4(h: number, S: Int32Array, next: _TreeNode): _TreeNode {
  return function headerPart(P, B, LE, A): number {
    const i = B + h;
    if (i + 1 > LE) return 0;
    S[16] = (P[i] & 0xf) << 2; // X
    return next(P, B, LE, A);
  };
}

/** `equalX2` for parts of jointed trees. */
export function _equalX2Part(
  S: Int32Array,
  k: number,
  v: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalX2Part(P, B, LE): number {
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

/** `equalX2` for parts of jointed trees (second copy). */
export function _equalX2Part2(
  S: Int32Array,
  k: number,
  v: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalX2Part(P, B, LE): number {
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

/** `equalX2` for parts of jointed trees (third copy). */
export function _equalX2Part3(
  S: Int32Array,
  k: number,
  v: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalX2Part(P, B, LE): number {
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

/** `equalX2` for parts of jointed trees (fourth copy). */
export function _equalX2Part4(
  S: Int32Array,
  k: number,
  v: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalX2Part(P, B, LE): number {
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

/** `rangeX2` for parts of jointed trees. */
export function _rangeX2Part(
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
  return function rangeX2Part(P, B, LE): number {
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

/** `rangeX2` for parts of jointed trees (second copy). */
export function _rangeX2Part2(
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
  return function rangeX2Part(P, B, LE): number {
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

/** `rangeX2` for parts of jointed trees (third copy). */
export function _rangeX2Part3(
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
  return function rangeX2Part(P, B, LE): number {
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

/** `rangeX2` for parts of jointed trees (fourth copy). */
export function _rangeX2Part4(
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
  return function rangeX2Part(P, B, LE): number {
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
